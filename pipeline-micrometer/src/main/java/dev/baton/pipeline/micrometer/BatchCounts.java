package dev.baton.pipeline.micrometer;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.StageStore;
import io.micrometer.core.instrument.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The numbers behind the {@code baton.batches} gauges, read from the store at most once per
 * interval whatever the number of gauges and scrapes. One scrape that finds the numbers stale
 * refreshes them; scrapes that arrive meanwhile read the previous numbers instead of waiting. When
 * the store cannot be read, the gauges show NaN until the next successful read, one interval later,
 * so a broken database is neither hidden behind old numbers nor hammered. Thread-safe.
 */
final class BatchCounts {
    private static final Logger LOG = LoggerFactory.getLogger(BatchCounts.class);

    /** One read of the store. */
    private record Snapshot(
            Map<BatchState, Double> byState, double stalled, double atUnknownStages, long readAtNanos) {}

    private final StageStore store;
    private final Clock clock;
    private final long intervalNanos;
    private final Duration stalledGrace;
    private final int stalledLimit;
    private final Set<String> stages;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile Snapshot snapshot;

    /** @param stages the pipeline's stages, or empty when unknown (then {@link #atUnknownStages()} is NaN) */
    BatchCounts(
            StageStore store,
            Clock clock,
            Duration interval,
            Duration stalledGrace,
            int stalledLimit,
            Set<String> stages) {
        this.stages = stages;
        this.store = store;
        this.clock = clock;
        this.intervalNanos = interval.toNanos();
        this.stalledGrace = stalledGrace;
        this.stalledLimit = stalledLimit;
    }

    /**
     * @param state a batch state
     * @return how many batches were in it at the last read, or NaN when the store could not be read
     */
    double count(BatchState state) {
        return fresh().byState().getOrDefault(state, Double.NaN);
    }

    /** @return how many batches the sweeper would pick up (capped at the limit), or NaN */
    double stalled() {
        return fresh().stalled();
    }

    /** @return unfinished batches at stages the pipeline does not have, or NaN */
    double atUnknownStages() {
        return fresh().atUnknownStages();
    }

    private Snapshot fresh() {
        Snapshot current = snapshot;
        if (current != null && clock.monotonicTime() - current.readAtNanos() < intervalNanos) {
            return current;
        }
        if (current != null && !refreshing.tryLock()) {
            return current;
        }
        if (current == null) {
            refreshing.lock();
        }
        try {
            Snapshot again = snapshot;
            if (again != null && again != current) {
                return again;
            }
            Snapshot read = read();
            snapshot = read;
            return read;
        } finally {
            refreshing.unlock();
        }
    }

    private Snapshot read() {
        long now = clock.monotonicTime();
        try {
            Map<BatchState, Double> byState = new EnumMap<>(BatchState.class);
            store.countByState().forEach((state, n) -> byState.put(state, n.doubleValue()));
            double stalled = store.findStalled(stalledGrace, stalledLimit).size();
            double outside = stages.isEmpty()
                    ? Double.NaN
                    : store.countActiveOutside(stages).values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
            return new Snapshot(byState, stalled, outside, now);
        } catch (RuntimeException e) {
            LOG.warn(
                    "baton.batches gauges: cannot read batch counts from the store ({}); showing NaN and trying again "
                            + "in {} ms",
                    e.toString(),
                    Duration.ofNanos(intervalNanos).toMillis());
            return new Snapshot(Map.of(), Double.NaN, Double.NaN, now);
        }
    }
}
