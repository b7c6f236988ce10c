package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.spi.StageStore;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/** The {@code baton} health contributor ({@link BatonHealthIndicator}), when Spring Boot's health is here. */
@AutoConfiguration(after = BatonAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(StageStore.class)
@ConditionalOnEnabledHealthIndicator("baton")
public class BatonHealthAutoConfiguration {
    /**
     * @param store the store
     * @param sweeper this process's sweeper, if it runs one
     * @return the {@code baton} health contributor
     */
    @Bean
    @ConditionalOnMissingBean(name = "batonHealthIndicator")
    public BatonHealthIndicator batonHealthIndicator(StageStore store, ObjectProvider<BatonSweeper> sweeper) {
        return new BatonHealthIndicator(store, sweeper.getIfAvailable(), Clock.systemUTC());
    }
}
