package dev.baton.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One of Baton's performance targets and how this run measured against it.
 *
 * @param target the target as stated
 * @param measured what this run measured
 * @param met whether it was met, or {@code null} when this run could not measure it
 */
public record TargetCheck(String target, String measured, Boolean met) {
    /** Outputs above this size are chunked by {@code JdbcStageStore} (its default threshold). */
    static final int CHUNK_THRESHOLD = 512 * 1024;

    /**
     * @param contenders the side-by-side summaries
     * @param scaling the payload-scaling summaries
     * @param workers the worker count of the run
     * @return the checks, in the order of the targets
     */
    static List<TargetCheck> evaluate(List<ContenderResult> contenders, List<ScalingResult> scaling, int workers) {
        List<TargetCheck> checks = new ArrayList<>();
        Optional<ContenderResult> floor = find(contenders, "floor");
        Optional<ContenderResult> inProcess = find(contenders, "baton-inprocess");
        Optional<ContenderResult> queue = find(contenders, "baton-queue");

        String floorTarget = "baton-inprocess >= 0.7 x floor transitions/s at W=4";
        if (floor.isPresent() && inProcess.isPresent()) {
            double r = inProcess.get().transitionsPerSec() / floor.get().transitionsPerSec();
            checks.add(new TargetCheck(
                    floorTarget,
                    fmt(
                            "%.2f x floor (%.0f vs %.0f /s) at W=%d",
                            r, inProcess.get().transitionsPerSec(), floor.get().transitionsPerSec(), workers),
                    workers == 4 ? r >= 0.7 : null));
        } else {
            checks.add(new TargetCheck(floorTarget, "floor or baton-inprocess not run", null));
        }

        String peerTarget = "baton >= 1.5 x the faster of dbos and dbscheduler";
        Optional<ContenderResult> baton = contenders.stream()
                .filter(c -> c.name().startsWith("baton"))
                .max(Comparator.comparingDouble(ContenderResult::transitionsPerSec));
        Optional<ContenderResult> peer = contenders.stream()
                .filter(c -> c.name().equals("dbos") || c.name().equals("dbscheduler"))
                .max(Comparator.comparingDouble(ContenderResult::transitionsPerSec));
        if (baton.isPresent() && peer.isPresent()) {
            double r = baton.get().transitionsPerSec() / peer.get().transitionsPerSec();
            checks.add(new TargetCheck(
                    peerTarget,
                    fmt(
                            "%.2f x %s (%s %.0f vs %.0f /s)",
                            r,
                            peer.get().name(),
                            baton.get().name(),
                            baton.get().transitionsPerSec(),
                            peer.get().transitionsPerSec()),
                    r >= 1.5));
        } else {
            checks.add(new TargetCheck(peerTarget, "baton or both peers not run", null));
        }

        checks.add(inProcess
                .map(c ->
                        new TargetCheck("hand-off p99 <= 5 ms in-process", fmt("%.3f ms", c.p99Ms()), c.p99Ms() <= 5.0))
                .orElse(new TargetCheck("hand-off p99 <= 5 ms in-process", "baton-inprocess not run", null)));
        checks.add(queue.map(c -> new TargetCheck(
                        "hand-off p99 <= 20 ms via the queue", fmt("%.3f ms", c.p99Ms()), c.p99Ms() <= 20.0))
                .orElse(new TargetCheck("hand-off p99 <= 20 ms via the queue", "baton-queue not run", null)));
        checks.add(heapCheck(scaling));
        return checks;
    }

    private static TargetCheck heapCheck(List<ScalingResult> scaling) {
        String target = "heap peak independent of payload size above the chunk threshold (512KB)";
        List<ScalingResult> above = scaling.stream()
                .filter(s -> s.payloadBytes() > CHUNK_THRESHOLD)
                .sorted(Comparator.comparingInt(ScalingResult::payloadBytes))
                .toList();
        if (above.size() < 2) {
            return new TargetCheck(target, "needs two payload sizes above 512KB", null);
        }
        ScalingResult small = above.get(0);
        ScalingResult large = above.get(above.size() - 1);
        double heapRatio = large.heapPeakMb() / small.heapPeakMb();
        double sizeRatio = (double) large.payloadBytes() / small.payloadBytes();
        return new TargetCheck(
                target,
                fmt(
                        "%.0f MiB at %s vs %.0f MiB at %s: x%.2f heap for x%.0f payload",
                        large.heapPeakMb(),
                        Sizes.format(large.payloadBytes()),
                        small.heapPeakMb(),
                        Sizes.format(small.payloadBytes()),
                        heapRatio,
                        sizeRatio),
                heapRatio <= 1.25);
    }

    private static Optional<ContenderResult> find(List<ContenderResult> contenders, String name) {
        return contenders.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
