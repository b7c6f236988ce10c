package dev.baton.example.demo;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's closing report: batches completed and failed; per stage the p50, p95 and longest
 * invocation, the attempts (from the batches' status, retries included), the invocations,
 * the retries, the median time a batch spent in it (first start to finish: all its slices, or
 * for a fanned-out stage from the fan-out to the join) and, for a stage that fanned out, its
 * shards over all batches (completed of total; running and failed when there are any); the wall
 * time; and the first failures with their errors.
 */
public final class SummaryTable {
    private SummaryTable() {}

    /**
     * @param stages the stage names in order
     * @param statuses the final status of every batch
     * @param recorder what the listener saw
     * @param wall the run's wall time
     * @return the report, lines ending in a newline
     */
    public static String render(List<String> stages, List<BatchStatus> statuses, DemoRecorder recorder, Duration wall) {
        long completed =
                statuses.stream().filter(s -> s.state() == BatchState.COMPLETED).count();
        long failed =
                statuses.stream().filter(s -> s.state() == BatchState.FAILED).count();
        long other = statuses.size() - completed - failed;
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%nbatches: %d completed, %d failed%s, in %s (%.2f batches/s)%n%n",
                completed,
                failed,
                other > 0 ? ", " + other + " unfinished" : "",
                seconds(wall),
                statuses.size() / Math.max(0.001, wall.toMillis() / 1000.0)));
        String header = String.format(
                Locale.ROOT,
                "%-12s %8s %8s %8s %9s %12s %8s %8s  %s%n",
                "stage",
                "p50",
                "p95",
                "max",
                "attempts",
                "invocations",
                "retries",
                "took",
                "shards");
        out.append(header).append("-".repeat(header.length() - 1)).append('\n');
        int totalAttempts = 0;
        int totalRetries = 0;
        for (String stage : stages) {
            List<Long> millis = recorder.invocationMillis(stage);
            List<BatchStatus.StageView> views = statuses.stream()
                    .flatMap(s -> s.stages().stream())
                    .filter(v -> v.name().equals(stage))
                    .toList();
            int attempts =
                    views.stream().mapToInt(BatchStatus.StageView::attempts).sum();
            totalAttempts += attempts;
            totalRetries += recorder.retries(stage);
            List<Long> took = views.stream()
                    .filter(v -> v.startedAt() != null && v.finishedAt() != null)
                    .map(v -> Duration.between(v.startedAt(), v.finishedAt()).toMillis())
                    .sorted()
                    .toList();
            out.append(String.format(
                                    Locale.ROOT,
                                    "%-12s %8s %8s %8s %9d %12d %8d %8s  %s",
                                    stage,
                                    ms(percentile(millis, 50)),
                                    ms(percentile(millis, 95)),
                                    ms(millis.isEmpty() ? -1 : millis.get(millis.size() - 1)),
                                    attempts,
                                    recorder.invocations(stage),
                                    recorder.retries(stage),
                                    ms(percentile(took, 50)),
                                    shards(views))
                            .stripTrailing())
                    .append('\n');
        }
        out.append(String.format(
                Locale.ROOT, "%-12s %8s %8s %8s %9d %12s %8d%n", "total", "", "", "", totalAttempts, "", totalRetries));
        Map<Long, String> failures = new TreeMap<>();
        statuses.stream()
                .filter(s -> s.state() == BatchState.FAILED)
                .forEach(s -> failures.put(s.batchId(), s.stage() + ": " + s.error()));
        if (!failures.isEmpty()) {
            out.append("\nfailed batches")
                    .append(failures.size() > 5 ? " (first 5 of " + failures.size() + ")" : "")
                    .append(":\n");
            failures.entrySet().stream()
                    .limit(5)
                    .forEach(e -> out.append("  batch ")
                            .append(e.getKey())
                            .append(" at ")
                            .append(e.getValue())
                            .append('\n'));
        }
        return out.toString();
    }

    /**
     * @param views one stage of every batch
     * @return its shards over the batches that fanned it out, e.g. {@code 160/160} or {@code 12/16, 3 running,
     *     1 failed}; {@code -} when none did
     */
    static String shards(List<BatchStatus.StageView> views) {
        int total = 0;
        int completed = 0;
        int running = 0;
        int failed = 0;
        for (BatchStatus.StageView v : views) {
            BatchStatus.Shards s = v.shards();
            if (s != null) {
                total += s.total();
                completed += s.completed();
                running += s.running();
                failed += s.failed();
            }
        }
        if (total == 0) {
            return "-";
        }
        return completed + "/" + total + (running > 0 ? ", " + running + " running" : "")
                + (failed > 0 ? ", " + failed + " failed" : "");
    }

    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static String ms(long millis) {
        return millis < 0 ? "-" : millis + "ms";
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    }
}
