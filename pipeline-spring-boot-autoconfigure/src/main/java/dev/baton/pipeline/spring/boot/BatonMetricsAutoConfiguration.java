package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.micrometer.MicrometerPipelineListener;
import dev.baton.pipeline.spi.StageStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Baton's meters ({@code baton.stage.*}, {@code baton.batch.*} and the {@code baton.batches} gauges of
 * {@link MicrometerPipelineListener}) on the application's {@link MeterRegistry}; the runner takes the listener
 * like any other PipelineListener bean.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple"
                    + ".SimpleMetricsExportAutoConfiguration"
        },
        after = BatonAutoConfiguration.class)
@ConditionalOnClass({MicrometerPipelineListener.class, MeterRegistry.class})
@ConditionalOnBean({MeterRegistry.class, Pipeline.class, StageStore.class})
public class BatonMetricsAutoConfiguration {
    /**
     * @param registry the application's registry
     * @param store the store the gauges read
     * @param pipeline the pipeline, for the gauge of batches at stages it does not have
     * @return the listener that records the meters
     */
    @Bean
    @ConditionalOnMissingBean
    public MicrometerPipelineListener batonMetrics(MeterRegistry registry, StageStore store, Pipeline pipeline) {
        return MicrometerPipelineListener.builder(registry)
                .store(store)
                .pipeline(pipeline)
                .build();
    }
}
