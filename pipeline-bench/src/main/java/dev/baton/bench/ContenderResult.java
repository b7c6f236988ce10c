package dev.baton.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One contender's numbers over the measured rounds: medians, with the spread of the throughput, and
 * the ratios to the floor.
 *
 * @param name the contender
 * @param transitionsPerSec median of the rounds
 * @param transitionsPerSecMin slowest round
 * @param transitionsPerSecMax fastest round
 * @param p50Ms median of the rounds' median hand-offs
 * @param p99Ms median of the rounds' 99th percentile hand-offs
 * @param walBytesPerTransition median of the rounds
 * @param commitsPerTransition median of the rounds
 * @param heapPeakMb median of the rounds
 * @param jvmCpuMicrosPerTransition median of the rounds: JVM CPU per transition (the database's CPU is not in it)
 * @param vsFloor this contender's numbers divided by the floor's, or {@code null} without a floor
 * @param rounds every measured round
 */
public record ContenderResult(
        String name,
        double transitionsPerSec,
        double transitionsPerSecMin,
        double transitionsPerSecMax,
        double p50Ms,
        double p99Ms,
        double walBytesPerTransition,
        double commitsPerTransition,
        double heapPeakMb,
        double jvmCpuMicrosPerTransition,
        Ratios vsFloor,
        List<RoundResult> rounds) {

    /**
     * Ratios of a contender's medians to the floor's.
     *
     * @param transitionsPerSec throughput ratio (above 1: faster than the floor)
     * @param p50Ms median hand-off ratio
     * @param p99Ms 99th percentile hand-off ratio
     * @param walBytesPerTransition WAL ratio
     * @param commitsPerTransition commit ratio
     * @param heapPeakMb heap ratio
     */
    public record Ratios(
            double transitionsPerSec,
            double p50Ms,
            double p99Ms,
            double walBytesPerTransition,
            double commitsPerTransition,
            double heapPeakMb) {}

    /**
     * @param name the contender
     * @param rounds its measured rounds, not empty
     * @param floor the floor's summary, or {@code null}
     * @return the summary
     */
    static ContenderResult of(String name, List<RoundResult> rounds, ContenderResult floor) {
        double tps = median(rounds, RoundResult::transitionsPerSec);
        double p50 = median(rounds, RoundResult::p50Ms);
        double p99 = median(rounds, RoundResult::p99Ms);
        double wal = median(rounds, RoundResult::walBytesPerTransition);
        double commits = median(rounds, RoundResult::commitsPerTransition);
        double heap = median(rounds, RoundResult::heapPeakMb);
        double cpu = median(rounds, RoundResult::jvmCpuMicrosPerTransition);
        List<Double> all = rounds.stream().map(RoundResult::transitionsPerSec).toList();
        Ratios ratios = floor == null
                ? null
                : new Ratios(
                        tps / floor.transitionsPerSec,
                        p50 / floor.p50Ms,
                        p99 / floor.p99Ms,
                        wal / floor.walBytesPerTransition,
                        commits / floor.commitsPerTransition,
                        heap / floor.heapPeakMb);
        return new ContenderResult(
                name,
                tps,
                Quantiles.min(all),
                Quantiles.max(all),
                p50,
                p99,
                wal,
                commits,
                heap,
                cpu,
                ratios,
                List.copyOf(rounds));
    }

    private static double median(List<RoundResult> rounds, ToDoubleFunction<RoundResult> metric) {
        return Quantiles.median(rounds.stream().map(metric::applyAsDouble).toList());
    }
}
