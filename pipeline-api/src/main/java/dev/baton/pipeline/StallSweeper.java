package dev.baton.pipeline;

import dev.baton.pipeline.internal.RepeatedFailureLog;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds lost work and sets it going again (docs/architecture.md, section 5.4): an {@code in_progress} batch whose lease
 * expired becomes pending with one more attempt (or failed, when its stage has no attempts left)
 * and is triggered; a pending batch whose trigger never arrived, or whose retry is due, is
 * triggered again. Any number of sweepers may run at once, in any processes: each rescue is a
 * compare-and-set, so every stalled batch is rescued once. Thread-safe.
 */
public final class StallSweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StallSweeper.class);

    /** Default time between sweeps. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    /** Default wait for a due pending batch's trigger before the sweeper fires it again. */
    public static final Duration DEFAULT_PENDING_GRACE = Duration.ofSeconds(30);

    private static final int PAGE = 100;
    private static final int MAX_PAGES_PER_SWEEP = 100;

    private final PipelineRunner runner;
    private final Duration pendingGrace;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Long> atUnknownStages = Map.of();
    private ScheduledExecutorService scheduler;

    /**
     * @param runner the runner whose pipeline, store, trigger and listeners are used
     * @param pendingGrace how long a due pending batch may wait for its trigger; not negative
     * @throws IllegalArgumentException if {@code pendingGrace} is negative
     */
    public StallSweeper(PipelineRunner runner, Duration pendingGrace) {
        this.runner = Objects.requireNonNull(runner, "runner");
        if (pendingGrace.isNegative()) {
            throw new IllegalArgumentException("pendingGrace must not be negative, got " + pendingGrace);
        }
        this.pendingGrace = pendingGrace;
    }

    /**
     * Sweeps once, on the calling thread: pages of {@value #PAGE} stalled batches until a page is not
     * full or rescues nothing (at most {@value #MAX_PAGES_PER_SWEEP} pages), so a backlog is cleared in
     * one sweep rather than one page per interval.
     *
     * @return how many batches this sweeper rescued or re-triggered
     */
    public int sweepOnce() {
        Set<String> stages = Set.copyOf(runner.pipeline().stageNames());
        int rescued = 0;
        for (int page = 0; page < MAX_PAGES_PER_SWEEP; page++) {
            List<BatchRecord> stalled = runner.store().findStalled(pendingGrace, PAGE, stages);
            int now = sweep(stalled);
            rescued += now;
            if (stalled.size() < PAGE || now == 0) {
                break;
            }
        }
        reportOutside(stages);
        return rescued;
    }

    /**
     * Batches at a stage this pipeline does not have are never run or rescued by it: they are left as
     * they are (another deployment may have the stage), logged once per stage name, and counted in
     * {@link #atUnknownStages()}.
     */
    private void reportOutside(Set<String> stages) {
        Map<String, Long> outside = runner.store().countActiveOutside(stages);
        for (Map.Entry<String, Long> e : outside.entrySet()) {
            if (reported.add(e.getKey())) {
                LOG.error("{} unfinished batches are at stage '{}', which this pipeline does not have {}; the sweeper leaves them"
                        + " alone: deploy a pipeline that has the stage, restart the batches from a stage it has, or cancel them",
                        e.getValue(), e.getKey(), runner.pipeline().stageNames());
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
        StageStore store = runner.store();
        Pipeline pipeline = runner.pipeline();
        int rescued = 0;
        for (BatchRecord stalled : page) {
            boolean expired = stalled.state() == BatchState.IN_PROGRESS;
            RetryPolicy retry = pipeline.stage(stalled.stage()).retry();
            boolean exhausted = expired && !retry.allowsRetryAfter(stalled.attempt());
            String error = expired
                    ? "lease of " + stalled.leaseOwner() + " expired at " + stalled.leaseUntil() + " during attempt " + stalled.attempt()
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
                runner.listeners().batchFailed(r.batchId(), r.stage(), r.error());
                continue;
            }
            LOG.info("batch {} stage {}: {}; triggering attempt {}", r.batchId(), r.stage(),
                    expired ? "lease expired" : "trigger overdue", r.attempt());
            runner.listeners().stalledRecovered(r.batchId(), r.stage(), r.attempt());
            runner.fire(r.batchId(), r.stage());
        }
        return rescued;
    }

    /**
     * Sweeps every {@code interval} on a daemon thread until {@link #close()}.
     *
     * @param interval time between sweeps, positive
     * @return this
     * @throws IllegalStateException if already started
     */
    public synchronized StallSweeper start(Duration interval) {
        if (scheduler != null) {
            throw new IllegalStateException("sweeper already started");
        }
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "baton-sweeper");
            t.setDaemon(true);
            return t;
        });
        RepeatedFailureLog failures = new RepeatedFailureLog(LOG, "sweep");
        scheduler.scheduleWithFixedDelay(() -> sweepGuarded(interval, failures), interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * One scheduled sweep: whatever it throws is logged (a repeat of the same failure quietly) and the next one
     * runs on time, as a scheduled task that throws is never run again. Only a {@link VirtualMachineError} other
     * than {@link StackOverflowError} (whose stack is unwound by now) stops the sweeper.
     */
    private void sweepGuarded(Duration interval, RepeatedFailureLog failures) {
        long started = System.nanoTime();
        try {
            sweepOnce();
            failures.succeeded();
        } catch (Exception | Error e) {
            if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
                LOG.error("the sweeper stops: {}; restart the process", fatal.toString());
                throw fatal;
            }
            failures.failed(e, interval);
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (tookMillis > interval.toMillis()) {
            LOG.warn("sweep took {} ms, longer than its interval of {} ms (a slow or unreachable store, or a large backlog)",
                    tookMillis, interval.toMillis());
        }
    }

    /** Stops sweeping. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
