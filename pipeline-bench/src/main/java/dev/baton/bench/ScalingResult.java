package dev.baton.bench;

import java.util.List;

/**
 * Baton in-process at one output size per stage: medians over the scaling rounds.
 *
 * @param payloadBytes output size per stage
 * @param batches batches per round
 * @param transitionsPerSec median of the rounds
 * @param transitionsPerSecMin slowest round
 * @param transitionsPerSecMax fastest round
 * @param p99Ms median of the rounds' 99th percentile hand-offs
 * @param walBytesPerTransition median of the rounds
 * @param heapPeakMb median of the rounds
 * @param rounds every round
 */
public record ScalingResult(
        int payloadBytes,
        int batches,
        double transitionsPerSec,
        double transitionsPerSecMin,
        double transitionsPerSecMax,
        double p99Ms,
        double walBytesPerTransition,
        double heapPeakMb,
        List<RoundResult> rounds) {

    static ScalingResult of(List<RoundResult> rounds) {
        List<Double> tps = rounds.stream().map(RoundResult::transitionsPerSec).toList();
        RoundResult first = rounds.get(0);
        return new ScalingResult(
                first.payloadBytes(),
                first.batches(),
                Quantiles.median(tps),
                Quantiles.min(tps),
                Quantiles.max(tps),
                Quantiles.median(rounds.stream().map(RoundResult::p99Ms).toList()),
                Quantiles.median(
                        rounds.stream().map(RoundResult::walBytesPerTransition).toList()),
                Quantiles.median(rounds.stream().map(RoundResult::heapPeakMb).toList()),
                List.copyOf(rounds));
    }
}
