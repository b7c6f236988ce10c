package dev.baton.pipeline.micrometer;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.spi.StageStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Records what a {@link dev.baton.pipeline.PipelineRunner} does in a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * MicrometerPipelineListener metrics = MicrometerPipelineListener.builder(registry).store(store).build();
 * PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).listener(metrics).build();
 * }</pre>
 *
 * <p>Meters (every one also carries the builder's {@linkplain Builder#tags common tags}):
 * <ul>
 *   <li>{@value #STAGE_DURATION}, timer, tags {@code stage} and {@code outcome}: one sample per
 *       invocation; {@code outcome} is {@code succeeded}, {@code progressed} (a sliced stage committed a
 *       continuation) or {@code failed} (measured from the start of the invocation to the moment its
 *       failure was recorded, so it includes the commit of the retry or the failure);</li>
 *   <li>{@value #STAGE_SUCCEEDED}, {@value #STAGE_FAILED}, {@value #STAGE_RETRIED},
 *       {@value #STAGE_RESCUED}, counters, tag {@code stage};</li>
 *   <li>{@value #BATCH_COMPLETED}, {@value #BATCH_FAILED}, counters;</li>
 *   <li>{@value #BATCHES}, gauges, tag {@code state}, registered only when a {@linkplain Builder#store
 *       store} is given: one per {@link BatchState} ({@code pending}, {@code in_progress} — the running
 *       batches —, {@code completed}, {@code failed}, {@code cancelled}) from
 *       {@link StageStore#countByState()}, and {@code stalled}: the batches the {@link StallSweeper}
 *       would pick up (an expired lease, or pending past the grace), from
 *       {@link StageStore#findStalled}, capped at the {@linkplain Builder#stalledLimit limit}. The
 *       store is read at most once per {@linkplain Builder#countInterval interval}, whatever the number
 *       of scrapes; a failed read shows NaN until the next one. With the pipeline's
 *       {@linkplain Builder#pipeline pipeline} given, also {@value #AT_UNKNOWN_STAGE}: unfinished batches at
 *       a stage the pipeline does not have, which no sweeper of it will run.</li>
 * </ul>
 *
 * <p>Counters of one process count that process's events; sum them across processes. The gauges
 * read the shared tables, so every process reports the same numbers: take one of them, not the sum.
 *
 * <p>Thread-safe. The events cost a map lookup and a meter update each, and never touch the database.
 */
public final class MicrometerPipelineListener implements PipelineListener {
    /** Timer of stage invocations. */
    public static final String STAGE_DURATION = "baton.stage.duration";
    /** Counter of stages that succeeded. */
    public static final String STAGE_SUCCEEDED = "baton.stage.succeeded";
    /** Counter of failed stage invocations. */
    public static final String STAGE_FAILED = "baton.stage.failed";
    /** Counter of scheduled retries. */
    public static final String STAGE_RETRIED = "baton.stage.retried";
    /** Counter of stalled batches rescued by the sweeper. */
    public static final String STAGE_RESCUED = "baton.stage.rescued";
    /** Counter of completed batches. */
    public static final String BATCH_COMPLETED = "baton.batch.completed";
    /** Counter of batches failed for good. */
    public static final String BATCH_FAILED = "baton.batch.failed";
    /** Gauges of batches per state. */
    public static final String BATCHES = "baton.batches";
    /** The {@code state} tag value of the stalled-batches gauge. */
    public static final String STALLED = "stalled";
    /** The {@code state} tag value of the gauge of unfinished batches at stages the pipeline does not have. */
    public static final String AT_UNKNOWN_STAGE = "at_unknown_stage";

    /** Default time between two reads of the store by the gauges. */
    public static final Duration DEFAULT_COUNT_INTERVAL = Duration.ofSeconds(10);
    /** Default cap of the stalled gauge (and of the rows read to compute it). */
    public static final int DEFAULT_STALLED_LIMIT = 1000;

    /** Where the invocation running on this thread started; the runner calls us on that thread. */
    private record Started(long batchId, String stage, int attempt, long nanos) {}

    private final MeterRegistry registry;
    private final StageMeters meters;
    private final ThreadLocal<Started> started = new ThreadLocal<>();

    private MicrometerPipelineListener(Builder b) {
        this.registry = b.registry;
        Tags common = Tags.of(b.tags);
        this.meters = new StageMeters(registry, common);
        if (b.store != null) {
            BatchCounts counts = new BatchCounts(
                    b.store, registry.config().clock(), b.countInterval, b.stalledGrace, b.stalledLimit, b.stages);
            for (BatchState state : BatchState.values()) {
                Gauge.builder(BATCHES, counts, c -> c.count(state))
                        .tags(common)
                        .tag("state", state.dbValue())
                        .description("Batches per state, read from the store at most once per " + b.countInterval)
                        .strongReference(true)
                        .register(registry);
            }
            Gauge.builder(BATCHES, counts, BatchCounts::stalled)
                    .tags(common)
                    .tag("state", STALLED)
                    .description("Batches the stall sweeper would pick up, at most " + b.stalledLimit)
                    .strongReference(true)
                    .register(registry);
            if (!b.stages.isEmpty()) {
                Gauge.builder(BATCHES, counts, BatchCounts::atUnknownStages)
                        .tags(common)
                        .tag("state", AT_UNKNOWN_STAGE)
                        .description(
                                "Unfinished batches at a stage the pipeline does not have; no sweeper of it runs them")
                        .strongReference(true)
                        .register(registry);
            }
        }
        meters.counter(BATCH_COMPLETED, null);
        meters.counter(BATCH_FAILED, null);
    }

    /**
     * @param registry where the meters go
     * @return a builder
     */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void stageStarted(long batchId, String stage, int attempt) {
        started.set(
                new Started(batchId, stage, attempt, registry.config().clock().monotonicTime()));
    }

    @Override
    public void stageSucceeded(long batchId, String stage, int attempt, Duration duration) {
        started.remove();
        meters.duration(stage, "succeeded").record(duration);
        meters.counter(STAGE_SUCCEEDED, stage).increment();
    }

    @Override
    public void stageProgressed(long batchId, String stage, int attempt, Duration duration) {
        started.remove();
        meters.duration(stage, "progressed").record(duration);
    }

    @Override
    public void stageFailed(long batchId, String stage, int attempt, String error) {
        Started s = started.get();
        started.remove();
        if (s != null && s.batchId() == batchId && s.stage().equals(stage) && s.attempt() == attempt) {
            long took = registry.config().clock().monotonicTime() - s.nanos();
            meters.duration(stage, "failed").record(took, TimeUnit.NANOSECONDS);
        }
        meters.counter(STAGE_FAILED, stage).increment();
    }

    @Override
    public void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {
        meters.counter(STAGE_RETRIED, stage).increment();
    }

    @Override
    public void batchCompleted(long batchId) {
        meters.counter(BATCH_COMPLETED, null).increment();
    }

    @Override
    public void batchFailed(long batchId, String stage, String error) {
        meters.counter(BATCH_FAILED, null).increment();
    }

    @Override
    public void stalledRecovered(long batchId, String stage, int attempt) {
        meters.counter(STAGE_RESCUED, stage).increment();
    }

    /** Builds a {@link MicrometerPipelineListener}; every setter validates its value. Not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private StageStore store;
        private Duration countInterval = DEFAULT_COUNT_INTERVAL;
        private Duration stalledGrace = StallSweeper.DEFAULT_PENDING_GRACE;
        private int stalledLimit = DEFAULT_STALLED_LIMIT;
        private Iterable<Tag> tags = Tags.empty();
        private Set<String> stages = Set.of();

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * @param store the store whose batches the {@value MicrometerPipelineListener#BATCHES} gauges count; without
         *     one, no gauge is registered
         * @return this
         */
        public Builder store(StageStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * @param pipeline the pipeline whose stages the gauges know: with a {@linkplain #store store}, adds
         *     the {@value MicrometerPipelineListener#AT_UNKNOWN_STAGE} gauge
         * @return this
         */
        public Builder pipeline(Pipeline pipeline) {
            this.stages = Set.copyOf(pipeline.stageNames());
            return this;
        }

        /**
         * @param interval how old the gauges' numbers may be before a scrape reads the store again; 100 ms to 1 h
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder countInterval(Duration interval) {
            Objects.requireNonNull(interval, "countInterval");
            if (interval.toMillis() < 100 || interval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("countInterval must be between 100ms and 1h, got " + interval);
            }
            this.countInterval = interval;
            return this;
        }

        /**
         * @param grace how long a due pending batch may wait for its trigger before it counts as
         *     stalled; use the sweeper's; not negative
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder stalledGrace(Duration grace) {
            Objects.requireNonNull(grace, "stalledGrace");
            if (grace.isNegative()) {
                throw new IllegalArgumentException("stalledGrace must not be negative, got " + grace);
            }
            this.stalledGrace = grace;
            return this;
        }

        /**
         * @param limit the most stalled batches counted (and rows read per refresh); 1 to 100,000
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder stalledLimit(int limit) {
            if (limit < 1 || limit > 100_000) {
                throw new IllegalArgumentException("stalledLimit must be between 1 and 100000, got " + limit);
            }
            this.stalledLimit = limit;
            return this;
        }

        /**
         * @param tags added to every meter, to tell apart several pipelines in one registry
         * @return this
         */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = Objects.requireNonNull(tags, "tags");
            return this;
        }

        /**
         * Registers the gauges (when a store was given) and the batch counters.
         *
         * @return the listener; pass it to {@code PipelineRunner.Builder.listener}
         */
        public MicrometerPipelineListener build() {
            return new MicrometerPipelineListener(this);
        }
    }
}
