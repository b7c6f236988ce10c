package dev.baton.bench;

import java.util.List;

/**
 * Baton's queue worker at one thread count with one trigger: medians over the section's rounds.
 *
 * @param trigger {@code every-stage} ({@code QueueTrigger.everyStageThroughQueue()}: every stage is a
 *     {@code NOTIFY} and a claim) or {@code inline} (the default trigger: the worker thread that finished
 *     a stage claims the next one in the advance's transaction and runs it)
 * @param threads the worker's threads
 * @param batches batches per round
 * @param inFlight batches started and not yet completed at any time; 0 when every batch was started at once
 * @param transitionsPerSec median of the rounds
 * @param transitionsPerSecMin slowest round
 * @param transitionsPerSecMax fastest round
 * @param vsFewestThreads this throughput divided by the same trigger's at the fewest threads measured
 * @param p50Ms median of the rounds' median hand-offs
 * @param p99Ms median of the rounds' 99th percentile hand-offs
 * @param commitsPerTransition median of the rounds
 * @param walBytesPerTransition median of the rounds
 * @param jvmCpuMicrosPerTransition median of the rounds
 * @param claimsPerBatch median of the rounds: the dispatcher's claims per batch (6 when every stage is claimed, 1
 *     inline)
 * @param rounds every measured round
 * @param claims the dispatcher's claims in each measured round, in the order of {@code rounds}
 */
public record QueueThreadsResult(
        String trigger,
        int threads,
        int batches,
        int inFlight,
        double transitionsPerSec,
        double transitionsPerSecMin,
        double transitionsPerSecMax,
        double vsFewestThreads,
        double p50Ms,
        double p99Ms,
        double commitsPerTransition,
        double walBytesPerTransition,
        double jvmCpuMicrosPerTransition,
        double claimsPerBatch,
        List<RoundResult> rounds,
        List<Long> claims) {

    /**
     * @param trigger the trigger's mode
     * @param threads the worker's threads
     * @param inFlight batches in flight, 0 for all at once
     * @param rounds the measured rounds, not empty
     * @param claims the claims of each round
     * @param fewestThreadsTps the same trigger's median throughput at the fewest threads, or NaN to use this one's
     * @return the summary
     */
    static QueueThreadsResult of(
            String trigger,
            int threads,
            int inFlight,
            List<RoundResult> rounds,
            List<Long> claims,
            double fewestThreadsTps) {
        List<Double> tps = rounds.stream().map(RoundResult::transitionsPerSec).toList();
        double median = Quantiles.median(tps);
        int batches = rounds.get(0).batches();
        return new QueueThreadsResult(
                trigger,
                threads,
                batches,
                inFlight,
                median,
                Quantiles.min(tps),
                Quantiles.max(tps),
                Double.isNaN(fewestThreadsTps) ? 1.0 : median / fewestThreadsTps,
                Quantiles.median(rounds.stream().map(RoundResult::p50Ms).toList()),
                Quantiles.median(rounds.stream().map(RoundResult::p99Ms).toList()),
                Quantiles.median(
                        rounds.stream().map(RoundResult::commitsPerTransition).toList()),
                Quantiles.median(
                        rounds.stream().map(RoundResult::walBytesPerTransition).toList()),
                Quantiles.median(rounds.stream()
                        .map(RoundResult::jvmCpuMicrosPerTransition)
                        .toList()),
                Quantiles.median(claims.stream().map(c -> (double) c / batches).toList()),
                List.copyOf(rounds),
                List.copyOf(claims));
    }
}
