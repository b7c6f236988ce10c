package dev.baton.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One point of the scale curve: a contender at one number of workers, medians over the point's rounds, with what
 * the server did ({@link ServerLoad}) to say why the curve bends.
 *
 * @param contender {@code baton-inprocess}, {@code baton-queue} or {@code baton-queue-<n>jvm}
 * @param jvms worker JVMs: 1 for the threads in this JVM
 * @param threadsPerJvm worker threads in each JVM
 * @param batches batches per round
 * @param transitionsPerSec median of the rounds
 * @param transitionsPerSecMin slowest round
 * @param transitionsPerSecMax fastest round
 * @param vsFirst this throughput divided by the same curve's first point
 * @param p50Ms median of the rounds' median hand-offs
 * @param p99Ms median of the rounds' 99th percentile hand-offs
 * @param jvmCpuMicrosPerTransition median of the rounds: CPU of the JVMs that ran stages (this one, or the workers
 *     plus the starting one), per transition
 * @param serverCores median of the rounds: the server's CPU seconds per second, -1 when not visible
 * @param serverCpuMicrosPerTransition median of the rounds: the server's CPU per transition, -1 when not visible
 * @param walBytesPerSec median of the rounds
 * @param busyShare median of the rounds: share of the contender's backend samples that were busy (not idle between
 *     statements); low means the backends wait for the JVM
 * @param lockShare median of the rounds: share of busy backend samples waiting on a heavyweight lock
 * @param lwLockShare the same for lightweight locks (WAL insertion, buffer mappings, …)
 * @param ioShare the same for I/O (WAL write and sync, data file reads)
 * @param cpuShare the same for active backends with no wait event (on CPU, or runnable)
 * @param clientShare the same for backends in a transaction waiting for their client (the JVM)
 * @param topWaits the most frequent wait events over all rounds (type:event → samples), Client waits aside
 * @param rounds every measured round
 * @param loads the server's load in each round, in the order of {@code rounds}
 */
public record ScalePoint(
        String contender,
        int jvms,
        int threadsPerJvm,
        int batches,
        double transitionsPerSec,
        double transitionsPerSecMin,
        double transitionsPerSecMax,
        double vsFirst,
        double p50Ms,
        double p99Ms,
        double jvmCpuMicrosPerTransition,
        double serverCores,
        double serverCpuMicrosPerTransition,
        double walBytesPerSec,
        double busyShare,
        double lockShare,
        double lwLockShare,
        double ioShare,
        double cpuShare,
        double clientShare,
        Map<String, Long> topWaits,
        List<RoundResult> rounds,
        List<ServerLoad> loads) {

    /** Most wait events kept in {@link #topWaits}. */
    static final int TOP_WAITS = 5;

    /** Copies the collections. */
    public ScalePoint {
        topWaits = new LinkedHashMap<>(topWaits);
        rounds = List.copyOf(rounds);
        loads = List.copyOf(loads);
    }

    /**
     * @param contender the contender's name
     * @param jvms worker JVMs
     * @param threadsPerJvm threads in each
     * @param rounds the measured rounds, not empty; {@link RoundResult#jvmCpuNanos()} of every JVM that ran stages
     * @param loads the server's load in each
     * @param firstTps the curve's first point's median throughput, or NaN when this is the first
     * @return the summary
     */
    static ScalePoint of(
            String contender,
            int jvms,
            int threadsPerJvm,
            List<RoundResult> rounds,
            List<ServerLoad> loads,
            double firstTps) {
        List<Double> tps = rounds.stream().map(RoundResult::transitionsPerSec).toList();
        double median = Quantiles.median(tps);
        Map<String, Long> events = new java.util.HashMap<>();
        for (ServerLoad l : loads) {
            l.byEvent().forEach((k, v) -> events.merge(k, v, Long::sum));
        }
        Map<String, Long> top = events.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(TOP_WAITS)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        double cores = loads.stream().anyMatch(l -> l.serverCpuNanos() < 0)
                ? -1
                : Quantiles.median(loads.stream().map(ServerLoad::serverCores).toList());
        double serverMicros = cores < 0
                ? -1
                : Quantiles.median(java.util.stream.IntStream.range(0, rounds.size())
                        .mapToObj(i -> loads.get(i).serverCpuNanos()
                                / 1e3
                                / rounds.get(i).transitions())
                        .toList());
        return new ScalePoint(
                contender,
                jvms,
                threadsPerJvm,
                rounds.get(0).batches(),
                median,
                Quantiles.min(tps),
                Quantiles.max(tps),
                Double.isNaN(firstTps) ? 1.0 : median / firstTps,
                Quantiles.median(rounds.stream().map(RoundResult::p50Ms).toList()),
                Quantiles.median(rounds.stream().map(RoundResult::p99Ms).toList()),
                Quantiles.median(rounds.stream()
                        .map(RoundResult::jvmCpuMicrosPerTransition)
                        .toList()),
                cores,
                serverMicros,
                Quantiles.median(loads.stream().map(ServerLoad::walBytesPerSec).toList()),
                Quantiles.median(loads.stream().map(ServerLoad::busyShare).toList()),
                share(loads, "Lock"),
                share(loads, "LWLock"),
                share(loads, "IO"),
                share(loads, "CPU"),
                share(loads, "Client"),
                top,
                rounds,
                loads);
    }

    private static double share(List<ServerLoad> loads, String kind) {
        return Quantiles.median(loads.stream().map(l -> l.share(kind)).toList());
    }

    /** @return all worker threads of the point */
    public int workers() {
        return jvms * threadsPerJvm;
    }
}
