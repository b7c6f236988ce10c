package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.StallSweeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link StallSweeper}'s passes every interval on its own daemon thread and remembers when the last one
 * completed, which the {@code baton} health contributor reads: a sweeper that has not completed a pass for three
 * intervals (a database that hangs, a sweep that never ends) shows DOWN. Started and stopped by
 * {@link BatonLifecycle}. Thread-safe.
 */
public class BatonSweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatonSweeper.class);
    /** Intervals without a completed pass after which the sweeper counts as stuck. */
    public static final int STUCK_AFTER_INTERVALS = 3;

    private final StallSweeper sweeper;
    private final Duration interval;
    private final Clock clock;
    private volatile Instant started;
    private volatile Instant lastPass;
    private volatile String lastFailure;
    private ScheduledExecutorService scheduler;
    private boolean closed;

    /**
     * @param sweeper the sweeper whose passes to run; not started
     * @param interval the time between two passes
     * @param clock the clock of the pass times
     */
    public BatonSweeper(StallSweeper sweeper, Duration interval, Clock clock) {
        this.sweeper = Objects.requireNonNull(sweeper, "sweeper");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("baton.sweeper.interval must be positive, got " + interval);
        }
    }

    /** Starts the passes, the first one an interval from now; a second call does nothing. */
    public synchronized void start() {
        if (closed || scheduler != null) {
            return;
        }
        started = clock.instant();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "baton-sweeper");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::pass, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pass() {
        try {
            int rescued = sweeper.sweepOnce();
            lastPass = clock.instant();
            lastFailure = null;
            if (rescued > 0) {
                LOG.info("the sweeper set {} stalled batches going again", rescued);
            }
        } catch (RuntimeException e) {
            if (!e.toString().equals(lastFailure)) {
                LOG.warn("a sweep failed; the next one runs in {}: {}", interval, e.toString());
            }
            lastFailure = e.toString();
        }
    }

    /** @return when the last pass completed; empty before the first one */
    public Optional<Instant> lastCompletedPass() {
        return Optional.ofNullable(lastPass);
    }

    /** @return the failure of the last pass, empty when it completed */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** @return the time between two passes */
    public Duration interval() {
        return interval;
    }

    /** @return whether the passes are running */
    public synchronized boolean isRunning() {
        return scheduler != null && !closed;
    }

    /**
     * @param now the time to judge at
     * @return whether the sweeper runs but has not completed a pass for {@value #STUCK_AFTER_INTERVALS} intervals
     *     (counted from its start before its first pass)
     */
    public boolean isStuck(Instant now) {
        Instant since = lastPass != null ? lastPass : started;
        return isRunning()
                && since != null
                && since.plus(interval.multipliedBy(STUCK_AFTER_INTERVALS)).isBefore(now);
    }

    /** Stops the passes; a pass under way is interrupted. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        sweeper.close();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
