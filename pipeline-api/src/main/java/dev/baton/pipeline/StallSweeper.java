package dev.baton.pipeline;

import dev.baton.pipeline.internal.Firing;
import dev.baton.pipeline.internal.Listeners;
import dev.baton.pipeline.internal.RepeatedFailureLog;
import dev.baton.pipeline.internal.Retention;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds lost work and sets it going again (docs/architecture.md, "Failure model"): an {@code in_progress} batch whose
 * lease expired becomes pending with one more attempt (or failed, when its stage has no attempts left)
 * and is triggered; a pending batch whose trigger never arrived, or whose retry is due, is
 * triggered again. Any number of sweepers may run at once, in any processes: each rescue is a
 * compare-and-set, so every stalled batch is rescued once.
 *
 * <p>With {@link Builder#retention retention}, it also purges finished batches older than the retention period
 * on a schedule of its own ({@link Builder#retentionInterval}), on a second thread, so a long purge never delays
 * a sweep; a pass that fails is logged and the next one runs. Thread-safe.
 */
public final class StallSweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StallSweeper.class);

    /** Default time between sweeps. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    /** Default wait for a due pending batch's trigger before the sweeper fires it again. */
    public static final Duration DEFAULT_PENDING_GRACE = Duration.ofSeconds(30);

    /** Default time between two retention passes, once {@link Builder#retention retention} is set. */
    public static final Duration DEFAULT_RETENTION_INTERVAL = Duration.ofMinutes(1);

    private static final int PAGE = 100;
    private static final int MAX_PAGES_PER_SWEEP = 100;

    private final Pipeline pipeline;
    private final StageStore store;
    private final Trigger trigger;
    private final Listeners listeners;
    private final Duration pendingGrace;
    private final Duration interval;
    private final Duration retention;
    private final Set<BatchState> retainedStates;
    private final Duration retentionInterval;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Long> atUnknownStages = Map.of();
    private ScheduledExecutorService scheduler;
    private ScheduledExecutorService retentionScheduler;
    private boolean closed;

    private StallSweeper(Builder b) {
        this.pipeline = b.pipeline;
        this.store = b.store;
        this.trigger = b.trigger;
        this.listeners = b.listeners;
        this.pendingGrace = b.pendingGrace;
        this.interval = b.interval;
        this.retention = b.retention;
        this.retainedStates = b.retainedStates;
        this.retentionInterval = b.retentionInterval;
    }

    /**
     * Sweeps once, on the calling thread: pages of {@value #PAGE} stalled batches until a page is not
     * full or rescues nothing (at most {@value #MAX_PAGES_PER_SWEEP} pages), so a backlog is cleared in
     * one sweep rather than one page per interval.
     *
     * @return how many batches this sweeper rescued or re-triggered
     */
    public int sweepOnce() {
        Set<String> stages = Set.copyOf(pipeline.stageNames());
        int rescued = 0;
        for (int page = 0; page < MAX_PAGES_PER_SWEEP; page++) {
            List<BatchRecord> stalled = store.findStalled(pendingGrace, PAGE, stages);
            int now = sweep(stalled);
            rescued += now;
            if (stalled.size() < PAGE || now == 0) {
                break;
            }
        }
        if (pipeline.fansOut()) {
            rescued += sweepShards(store.findStalledShards(pendingGrace, PAGE));
        }
        reportOutside(stages);
        return rescued;
    }

    /**
     * Rescues shards as {@link #sweep} rescues batches: an expired lease is retried (or fails the batch when its
     * attempts are spent), an overdue pending shard is triggered again. Shards of stages this pipeline does not
     * fan out are left alone.
     */
    private int sweepShards(List<ShardRecord> page) {
        int rescued = 0;
        for (ShardRecord stalled : page) {
            if (!pipeline.contains(stalled.stage())) {
                continue;
            }
            boolean expired = stalled.state() == ShardState.IN_PROGRESS;
            RetryPolicy retry = pipeline.stage(stalled.stage()).retry();
            boolean exhausted = expired && !retry.allowsRetryAfter(stalled.attempt());
            String error = expired
                    ? "shard " + stalled.shard() + " of " + stalled.shards() + ": lease of " + stalled.leaseOwner()
                            + " expired at " + stalled.leaseUntil() + " during attempt " + stalled.attempt()
                            + (exhausted ? " (gave up after " + stalled.attempt() + " attempts)" : "")
                    : stalled.error();
            Optional<ShardRecord> moved = store.rescueShard(stalled, error, exhausted);
            if (moved.isEmpty()) {
                continue;
            }
            ShardRecord r = moved.get();
            rescued++;
            if (r.state() == ShardState.FAILED) {
                LOG.error("batch {} failed at stage {}: {}", r.batchId(), r.stage(), error);
                listeners.batchFailed(r.batchId(), r.stage(), error);
                continue;
            }
            LOG.info(
                    "{}: {}; triggering attempt {}",
                    r.describe(),
                    expired ? "lease expired" : "trigger overdue",
                    r.attempt());
            listeners.stalledRecovered(r.batchId(), r.stage(), r.attempt());
            try {
                trigger.fireShard(r.batchId(), r.stage(), r.shard(), Duration.ZERO, r.traceContext());
            } catch (RuntimeException e) {
                LOG.warn("{}: trigger failed ({}); the sweeper will fire it again", r.describe(), e.toString());
            }
        }
        return rescued;
    }

    /**
     * One retention pass, on the calling thread: deletes the finished batches in the {@linkplain Builder#retention
     * retained states} older than the retention period, with their outputs and inputs, as
     * {@link BatchClient#purge} does. For a host with no long-lived process, which calls it from a scheduled job.
     *
     * @return how many batches were deleted
     * @throws IllegalStateException if the builder set no retention
     */
    public long purgeOnce() {
        if (retention == null) {
            throw new IllegalStateException(
                    "this sweeper has no retention: set it with runner.sweeper().retention(period, states...)");
        }
        return Retention.purge(LOG, store, retention, retainedStates, BatchClient.PURGE_PAGE);
    }

    /**
     * Batches at a stage this pipeline does not have are never run or rescued by it: they are left as
     * they are (another deployment may have the stage), logged once per stage name, and counted in
     * {@link #atUnknownStages()}.
     */
    private void reportOutside(Set<String> stages) {
        Map<String, Long> outside = store.countActiveOutside(stages);
        for (Map.Entry<String, Long> e : outside.entrySet()) {
            if (reported.add(e.getKey())) {
                LOG.error(
                        "{} unfinished batches are at stage '{}', which this pipeline does not have {}; the sweeper "
                                + "leaves them"
                                + " alone: deploy a pipeline that has the stage, restart the batches from a stage it "
                                + "has, or cancel them",
                        e.getValue(),
                        e.getKey(),
                        pipeline.stageNames());
            }
        }
        reported.retainAll(outside.keySet());
        atUnknownStages = Map.copyOf(outside);
    }

    /**
     * @return unfinished batches per stage name that the pipeline does not have, as the last sweep
     *     counted them; empty before the first sweep
     */
    public Map<String, Long> atUnknownStages() {
        return atUnknownStages;
    }

    private int sweep(List<BatchRecord> page) {
        int rescued = 0;
        for (BatchRecord stalled : page) {
            boolean expired = stalled.state() == BatchState.IN_PROGRESS;
            RetryPolicy retry = pipeline.stage(stalled.stage()).retry();
            boolean exhausted = expired && !retry.allowsRetryAfter(stalled.attempt());
            String error = expired
                    ? "lease of " + stalled.leaseOwner() + " expired at " + stalled.leaseUntil() + " during attempt "
                            + stalled.attempt()
                            + (exhausted ? " (gave up after " + stalled.attempt() + " attempts)" : "")
                    : stalled.error();
            var moved = store.rescue(stalled, error, exhausted);
            if (moved.isEmpty()) {
                continue;
            }
            BatchRecord r = moved.get();
            rescued++;
            if (r.state() == BatchState.FAILED) {
                LOG.error("batch {} failed at stage {}: {}", r.batchId(), r.stage(), r.error());
                listeners.batchFailed(r.batchId(), r.stage(), r.error());
                continue;
            }
            LOG.info(
                    "batch {} stage {}: {}; triggering attempt {}",
                    r.batchId(),
                    r.stage(),
                    expired ? "lease expired" : "trigger overdue",
                    r.attempt());
            listeners.stalledRecovered(r.batchId(), r.stage(), r.attempt());
            Firing.fire(LOG, trigger, r.batchId(), r.stage(), r.traceContext());
        }
        return rescued;
    }

    /**
     * Sweeps every {@linkplain Builder#interval interval} on a daemon thread until {@link #close()}. A
     * second call does nothing.
     *
     * @throws IllegalStateException if the sweeper was closed
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("this sweeper was closed; build a new one");
        }
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "baton-sweeper");
            t.setDaemon(true);
            return t;
        });
        RepeatedFailureLog failures = new RepeatedFailureLog(LOG, "sweep");
        scheduler.scheduleWithFixedDelay(
                () -> guarded(this::sweepOnce, "sweep", interval, failures),
                interval.toMillis(),
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
        if (retention != null) {
            retentionScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "baton-retention");
                t.setDaemon(true);
                return t;
            });
            RepeatedFailureLog purgeFailures = new RepeatedFailureLog(LOG, "retention pass");
            retentionScheduler.scheduleWithFixedDelay(
                    () -> guarded(this::purgeOnce, "retention pass", retentionInterval, purgeFailures),
                    retentionInterval.toMillis(),
                    retentionInterval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One scheduled pass (a sweep or a retention pass): whatever it throws is logged (a repeat of the same failure
     * quietly) and the next one runs on time, as a scheduled task that throws is never run again. Only a
     * {@link VirtualMachineError} other than {@link StackOverflowError} (whose stack is unwound by now) stops it.
     */
    private static void guarded(Runnable pass, String what, Duration interval, RepeatedFailureLog failures) {
        long started = System.nanoTime();
        try {
            pass.run();
            failures.succeeded();
        } catch (Exception | Error e) {
            if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
                LOG.error("the sweeper's {} stops: {}; restart the process", what, fatal.toString());
                throw fatal;
            }
            failures.failed(e, interval);
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (tookMillis > interval.toMillis()) {
            LOG.warn(
                    "{} took {} ms, longer than its interval of {} ms (a slow or unreachable store, or a large "
                            + "backlog)",
                    what,
                    tookMillis,
                    interval.toMillis());
        }
    }

    /** Stops sweeping; a sweep under way finishes. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (retentionScheduler != null) {
            retentionScheduler.shutdownNow();
        }
    }

    /**
     * Builds a {@link StallSweeper}; obtained from {@link PipelineRunner#sweeper()}. Building starts
     * nothing. Not thread-safe.
     */
    public static final class Builder {
        private final Pipeline pipeline;
        private final StageStore store;
        private final Trigger trigger;
        private final Listeners listeners;
        private Duration pendingGrace = DEFAULT_PENDING_GRACE;
        private Duration interval = DEFAULT_INTERVAL;
        private Duration retention;
        private Set<BatchState> retainedStates;
        private Duration retentionInterval = DEFAULT_RETENTION_INTERVAL;

        Builder(Pipeline pipeline, StageStore store, Trigger trigger, Listeners listeners) {
            this.pipeline = pipeline;
            this.store = store;
            this.trigger = trigger;
            this.listeners = listeners;
        }

        /**
         * @param pendingGrace how long a due pending batch may wait for its trigger before the sweeper
         *     fires it again; zero or more; default {@link #DEFAULT_PENDING_GRACE}
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder pendingGrace(Duration pendingGrace) {
            Objects.requireNonNull(pendingGrace, "pendingGrace");
            if (pendingGrace.isNegative()) {
                throw new IllegalArgumentException("pendingGrace must not be negative, got " + pendingGrace);
            }
            this.pendingGrace = pendingGrace;
            return this;
        }

        /**
         * @param interval time between sweeps once {@link StallSweeper#start() started}; positive; default
         *     {@link #DEFAULT_INTERVAL}
         * @return this
         * @throws IllegalArgumentException if not positive
         */
        public Builder interval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("interval must be positive, got " + interval);
            }
            this.interval = interval;
            return this;
        }

        /**
         * Turns retention on: once {@linkplain StallSweeper#start() started}, the sweeper deletes, every
         * {@linkplain #retentionInterval retention interval}, the batches in {@code states} that finished more
         * than {@code olderThan} ago, with their outputs and inputs ({@link BatchClient#purge}). Off by default:
         * Baton keeps every batch until told otherwise.
         *
         * @param olderThan the retention period, zero or more
         * @param states the finished states to purge, at least one of {@link BatchState#COMPLETED},
         *     {@link BatchState#CANCELLED} and {@link BatchState#FAILED}
         * @return this
         * @throws IllegalArgumentException if {@code olderThan} is negative, or {@code states} is empty or names a
         *     state that is not finished
         */
        public Builder retention(Duration olderThan, BatchState... states) {
            Set<BatchState> wanted = states.length == 0 ? Set.of() : EnumSet.of(states[0], states);
            StageStore.Purged.check(olderThan, wanted, 1);
            this.retention = olderThan;
            this.retainedStates = Set.copyOf(wanted);
            return this;
        }

        /**
         * @param interval time between two retention passes, positive; default
         *     {@link #DEFAULT_RETENTION_INTERVAL}
         * @return this
         * @throws IllegalArgumentException if not positive
         */
        public Builder retentionInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("retentionInterval must be positive, got " + interval);
            }
            this.retentionInterval = interval;
            return this;
        }

        /** @return the sweeper, not started */
        public StallSweeper build() {
            return new StallSweeper(this);
        }
    }
}
