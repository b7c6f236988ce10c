package dev.baton.pipeline.spring.boot.internal;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.spring.boot.BatonProperties;
import dev.baton.pipeline.spring.boot.BatonStageCustomizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Builds the pipeline from {@code baton.stages}, the Stage beans, {@code baton.stage.<name>.*} and customisers. */
public final class PipelineFactory {
    private PipelineFactory() {}

    /**
     * @param properties the {@code baton.*} settings
     * @param stageBeans every Stage bean by bean name
     * @param customizers the customisers, in order
     * @return the pipeline
     * @throws IllegalStateException naming what is wrong: no {@code baton.stages}, a name there that is no Stage
     *     bean, or a {@code baton.stage.<name>} for a stage the pipeline does not have
     */
    public static Pipeline build(
            BatonProperties properties, Map<String, Stage> stageBeans, List<BatonStageCustomizer> customizers) {
        List<String> names = properties.getStages();
        if (names == null || names.isEmpty()) {
            throw new IllegalStateException("Baton has no pipeline: set baton.stages to the names of your Stage"
                    + " beans in the order a batch runs them (the Stage beans here are "
                    + new TreeSet<>(stageBeans.keySet()) + "), or define a Pipeline bean");
        }
        List<String> unknown = new ArrayList<>();
        for (String name : names) {
            if (!stageBeans.containsKey(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("baton.stages names " + unknown + ", but no Stage bean has that name;"
                    + " the Stage beans are " + new TreeSet<>(stageBeans.keySet())
                    + " (a bean's name is its @Bean method's or its @Component class's, first letter lower-case)");
        }
        for (String configured : properties.getStage().keySet()) {
            if (!names.contains(configured)) {
                throw new IllegalStateException("baton.stage." + configured + ".* configures a stage that baton.stages"
                        + " does not list; the stages are " + names);
            }
        }
        Pipeline.Builder builder = Pipeline.builder().lease(properties.getLease());
        for (String name : names) {
            BatonProperties.StageProperties settings = properties.getStage().get(name);
            builder.stage(name, stageBeans.get(name), s -> {
                if (settings != null) {
                    apply(settings, s);
                }
                customizers.forEach(c -> c.customize(name, s));
            });
        }
        return builder.build();
    }

    private static void apply(BatonProperties.StageProperties settings, Pipeline.StageSettings s) {
        if (settings.getBudget() != null) {
            s.budget(settings.getBudget());
        }
        BatonProperties.Retry r = settings.getRetry();
        if (r.getMaxAttempts() == null
                && r.getInitialBackoff() == null
                && r.getMultiplier() == null
                && r.getJitter() == null
                && r.getMaxBackoff() == null) {
            return;
        }
        RetryPolicy policy = RetryPolicy.exponential(
                r.getMaxAttempts() != null ? r.getMaxAttempts() : RetryPolicy.DEFAULT_MAX_ATTEMPTS,
                r.getInitialBackoff() != null ? r.getInitialBackoff() : RetryPolicy.DEFAULT_INITIAL_BACKOFF);
        policy = policy.withMultiplier(r.getMultiplier() != null ? r.getMultiplier() : RetryPolicy.DEFAULT_MULTIPLIER)
                .withJitter(r.getJitter() != null ? r.getJitter() : RetryPolicy.DEFAULT_JITTER)
                .withMaxBackoff(r.getMaxBackoff() != null ? r.getMaxBackoff() : RetryPolicy.DEFAULT_MAX_BACKOFF);
        s.retry(policy);
    }
}
