package dev.baton.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One run of the queue-table churn section: transitions through Baton's queue with a fixed number of
 * batches in flight, and what the queue and data tables looked like before, on the way and after.
 *
 * @param retention {@code delete} (Baton's retention, {@code BatchClient.purge}, deletes completed batches every
 *     {@value QueueChurn#RETENTION_EVERY_MILLIS} ms) or {@code keep} (they stay)
 * @param run {@code delete}, {@code keep}, or either paced: {@code delete@400}
 * @param rate transitions per second the run was paced at, 0 when unpaced
 * @param threads queue worker threads
 * @param inFlight batches started and not yet completed at any time
 * @param targetTransitions transitions asked for; the run stops admitting batches once it has them
 * @param transitions transitions committed in the run, including those of the batches running when it stopped
 * @param batchesStarted batches started
 * @param batchesCompleted batches completed
 * @param rowsDeleted batches Baton's retention purged (0 when kept)
 * @param elapsedNanos from the first batch started to the target reached
 * @param transitionsAtStop transitions committed when the target was reached (the throughput's numerator)
 * @param commits {@code xact_commit} difference over the whole run (retention job and meter queries included)
 * @param walBytes WAL written over the whole run
 * @param before the tables before the first batch (fresh tables, migrated by {@code BatonSchema})
 * @param after the tables after the run: workers stopped, every connection closed (statistics flushed); batches
 *     not yet claimed when the run stopped are still there, {@code pending}
 * @param samples the tables on the way, at even steps of the target (statistics may lag a second)
 * @param queuePackedBytes the heap size of the queue's rows after the run copied into a fresh table of the same
 *     fill factor (70): what the live rows need
 * @param dataPackedBytes the same for the data table (fill factor 100)
 * @param queueRowWidth after the run, by status: the queue rows' average stored width and that of their {@code
 *     stage_stats}
 */
public record ChurnResult(
        String run,
        String retention,
        int rate,
        int threads,
        int inFlight,
        long targetTransitions,
        long transitions,
        long batchesStarted,
        long batchesCompleted,
        long rowsDeleted,
        long elapsedNanos,
        long transitionsAtStop,
        long commits,
        long walBytes,
        Snapshot before,
        Snapshot after,
        List<Snapshot> samples,
        long queuePackedBytes,
        long dataPackedBytes,
        Map<String, Database.RowWidth> queueRowWidth) {

    /**
     * The two tables at one moment.
     *
     * @param transitions transitions committed so far
     * @param seconds since the first batch started (0 before)
     * @param queueByStatus the queue's rows by status; empty in samples
     * @param queue {@code batch_processing_queue}
     * @param data {@code batch_processing_data} (rows counted only before and after)
     */
    public record Snapshot(
            long transitions,
            double seconds,
            Map<String, Long> queueByStatus,
            Database.TableStats queue,
            Database.TableStats data) {}

    /** @return transitions per second until the target was reached (about the rate when paced) */
    @JsonProperty
    public double transitionsPerSec() {
        return transitionsAtStop / (elapsedNanos / 1e9);
    }

    /** @return commits per transition over the whole run */
    @JsonProperty
    public double commitsPerTransition() {
        return (double) commits / transitions;
    }

    /** @return WAL bytes per transition over the whole run */
    @JsonProperty
    public double walBytesPerTransition() {
        return (double) walBytes / transitions;
    }

    /** @return the queue's heap bytes per row after the run, or -1 with no rows */
    @JsonProperty
    public double queueBytesPerLiveRow() {
        return after.queue().rows() <= 0
                ? -1
                : (double) after.queue().relationBytes() / after.queue().rows();
    }

    /**
     * @return the queue's heap after the run divided by what its live rows need ({@link #queuePackedBytes}); -1 with no
     * rows
     */
    @JsonProperty
    public double queueHeapVsPacked() {
        return queuePackedBytes <= 0 ? -1 : (double) after.queue().relationBytes() / queuePackedBytes;
    }

    /** @return the share of the queue's updates in the run that were HOT */
    @JsonProperty
    public double queueHotUpdateShare() {
        long updates = after.queue().updated() - before.queue().updated();
        return updates == 0
                ? 0
                : (double) (after.queue().hotUpdated() - before.queue().hotUpdated()) / updates;
    }

    /**
     * @return the queue's heap after the run divided by its heap at the sample nearest half the target
     *     (1.0: it stopped growing half-way; 2.0: it grew like the transitions); -1 without such a sample
     */
    @JsonProperty
    public double queueHeapGrowthSecondHalf() {
        Snapshot half = samples.stream()
                .min((a, b) -> Long.compare(
                        Math.abs(a.transitions() - targetTransitions / 2),
                        Math.abs(b.transitions() - targetTransitions / 2)))
                .orElse(null);
        return half == null || half.queue().relationBytes() == 0
                ? -1
                : (double) after.queue().relationBytes() / half.queue().relationBytes();
    }
}
