package dev.baton.bench;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The fan-out section's result for one trigger and shard count: the wall time of one batch whose only stage
 * works through {@code items} items one at a time per shard, each taking {@code itemMs}, over its rounds.
 *
 * @param trigger {@code in-process}, {@code queue} or {@code http}
 * @param shards the stage's shards (1: unsharded, no shard rows)
 * @param items items of the stage
 * @param itemMs time of one item
 * @param wallMs the batch's wall time, start to completed, per round
 * @param stageMs the stage's span (first start to finish, for a fanned-out stage from the fan-out to the join) per
 *     round, from the batch's status
 * @param medianWallMs median of {@code wallMs}
 * @param idealMs {@code items × itemMs / shards}: the wall time with no overhead at all
 * @param speedUp this trigger's median wall time at one shard divided by this one's ({@code NaN} without a
 *     one-shard run)
 */
public record FanOutResult(
        String trigger,
        int shards,
        int items,
        double itemMs,
        List<Long> wallMs,
        List<Long> stageMs,
        double medianWallMs,
        double idealMs,
        double speedUp) {

    /** Copies the lists. */
    public FanOutResult {
        wallMs = List.copyOf(wallMs);
        stageMs = List.copyOf(stageMs);
    }

    /**
     * @param trigger the trigger
     * @param shards the shard count
     * @param items items of the stage
     * @param itemMs time per item
     * @param wallMs wall time per round
     * @param stageMs stage span per round
     * @param oneShardMedianMs the same trigger's median wall time at one shard, or {@code NaN}
     * @return the result
     */
    static FanOutResult of(
            String trigger,
            int shards,
            int items,
            double itemMs,
            List<Long> wallMs,
            List<Long> stageMs,
            double oneShardMedianMs) {
        double median = median(wallMs);
        return new FanOutResult(
                trigger,
                shards,
                items,
                itemMs,
                wallMs,
                stageMs,
                median,
                Math.ceil((double) items / shards) * itemMs,
                oneShardMedianMs / median);
    }

    /** @return the wall time beyond the ideal: fan-out, hand-offs, claims, commits and the join */
    public double overheadMs() {
        return medianWallMs - idealMs;
    }

    static double median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    /**
     * Prints the results as a Markdown table, as {@link ReportTable} does the other sections.
     *
     * @param results the section's results
     * @param out where to
     */
    static void print(List<FanOutResult> results, PrintStream out) {
        if (results.isEmpty()) {
            return;
        }
        FanOutResult first = results.get(0);
        out.println();
        out.printf(
                Locale.ROOT,
                "fan-out: one stage of %d items x %.0f ms, one item at a time per shard, %d round(s) per cell%n",
                first.items(),
                first.itemMs(),
                first.wallMs().size());
        out.println("| trigger | shards K | wall ms p50 (min-max) | stage ms p50 | ideal ms | overhead ms | speed-up "
                + "vs K=1 |");
        out.println("|---|---|---|---|---|---|---|");
        for (FanOutResult r : results) {
            long[] wall = r.wallMs().stream().mapToLong(Long::longValue).toArray();
            out.printf(
                    Locale.ROOT,
                    "| %s | %d | %,.0f (%,d-%,d) | %,.0f | %,.0f | %,.0f | %s |%n",
                    r.trigger(),
                    r.shards(),
                    r.medianWallMs(),
                    Arrays.stream(wall).min().orElse(0),
                    Arrays.stream(wall).max().orElse(0),
                    median(r.stageMs()),
                    r.idealMs(),
                    r.overheadMs(),
                    Double.isNaN(r.speedUp()) ? "-" : String.format(Locale.ROOT, "%.2f", r.speedUp()));
        }
    }
}
