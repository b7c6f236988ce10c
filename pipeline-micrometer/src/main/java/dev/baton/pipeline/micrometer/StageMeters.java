package dev.baton.pipeline.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-stage meters, registered on first use and then looked up in a local map, so that an event
 * costs one hash lookup rather than a registration. Stage names come from the pipeline, so the
 * number of meters is bounded. Thread-safe.
 */
final class StageMeters {
    private record Key(String name, String stage, String outcome) {}

    private final MeterRegistry registry;
    private final Tags common;
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

    StageMeters(MeterRegistry registry, Tags common) {
        this.registry = registry;
        this.common = common;
    }

    /**
     * @param name the counter's name
     * @param stage the {@code stage} tag, or {@code null} for a counter without it
     * @return the counter
     */
    Counter counter(String name, String stage) {
        return counters.computeIfAbsent(new Key(name, stage, null), k -> {
            Counter.Builder b = Counter.builder(k.name()).tags(common).description(description(k.name()));
            if (k.stage() != null) {
                b.tag("stage", k.stage());
            }
            return b.register(registry);
        });
    }

    /**
     * @param stage the {@code stage} tag
     * @param outcome the {@code outcome} tag
     * @return the {@code baton.stage.duration} timer of that stage and outcome
     */
    Timer duration(String stage, String outcome) {
        return timers.computeIfAbsent(
                new Key(MicrometerPipelineListener.STAGE_DURATION, stage, outcome),
                k -> Timer.builder(k.name())
                        .tags(common)
                        .tag("stage", k.stage())
                        .tag("outcome", k.outcome())
                        .description("Time of one stage invocation, by stage and outcome")
                        .register(registry));
    }

    private static String description(String name) {
        return switch (name) {
            case MicrometerPipelineListener.STAGE_SUCCEEDED -> "Stages that succeeded and advanced their batch";
            case MicrometerPipelineListener.STAGE_FAILED -> "Failed stage invocations, retried or not";
            case MicrometerPipelineListener.STAGE_RETRIED -> "Retries scheduled after a failed stage invocation";
            case MicrometerPipelineListener.STAGE_RESCUED -> "Stalled batches the sweeper set going again";
            case MicrometerPipelineListener.BATCH_COMPLETED -> "Batches whose every stage succeeded";
            case MicrometerPipelineListener.BATCH_FAILED -> "Batches that failed for good";
            default -> name;
        };
    }
}
