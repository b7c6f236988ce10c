package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.Pipeline;

/**
 * Tunes one stage of the auto-configured pipeline in code, after its {@code baton.stage.<name>.*} properties
 * were applied: a bean of this type is called once for every stage in {@code baton.stages}, in the beans' order.
 *
 * <pre>{@code
 * @Bean
 * BatonStageCustomizer enrichRetries() {
 *     return (stage, settings) -> {
 *         if (stage.equals("enrich")) settings.retry(RetryPolicy.exponential(5, Duration.ofSeconds(2)));
 *     };
 * }
 * }</pre>
 */
@FunctionalInterface
public interface BatonStageCustomizer {
    /**
     * @param stage the stage's name, as in {@code baton.stages}
     * @param settings its retry policy and budget, to change
     */
    void customize(String stage, Pipeline.StageSettings settings);
}
