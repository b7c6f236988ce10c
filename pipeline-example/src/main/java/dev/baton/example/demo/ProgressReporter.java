package dev.baton.example.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows the demo's progress: on a terminal, one line redrawn in place with a bar; otherwise a plain
 * line at most every few seconds, so logs and CI output stay readable. Not thread-safe: one thread
 * reports.
 */
public final class ProgressReporter {
    private static final int BAR_WIDTH = 30;
    private static final Duration PLAIN_EVERY = Duration.ofSeconds(2);

    private final PrintStream out;
    private final boolean terminal;
    private final int batches;
    private final int stagesPerBatch;
    private long lastPlainNanos = Long.MIN_VALUE;
    private int lastLength;

    /**
     * @param out where to write
     * @param terminal {@code true} to redraw one line in place
     * @param batches batches in the run
     * @param stagesPerBatch stages in the pipeline
     */
    public ProgressReporter(PrintStream out, boolean terminal, int batches, int stagesPerBatch) {
        this.out = out;
        this.terminal = terminal;
        this.batches = batches;
        this.stagesPerBatch = stagesPerBatch;
    }

    /**
     * @param submitted batches submitted so far
     * @param ended batches completed or failed
     * @param failed of which failed
     * @param stagesDone stages finished
     * @param elapsed time since the start
     * @param nowNanos {@link System#nanoTime()}, to space plain lines
     */
    public void report(int submitted, int ended, int failed, int stagesDone, Duration elapsed, long nowNanos) {
        String line = line(ended, failed, stagesDone, elapsed)
                + (submitted < batches ? "  (submitted " + submitted + ")" : "");
        if (terminal) {
            String padded = line + " ".repeat(Math.max(0, lastLength - line.length()));
            lastLength = line.length();
            out.print("\r" + padded);
            out.flush();
        } else if (lastPlainNanos == Long.MIN_VALUE
                || nowNanos - lastPlainNanos >= PLAIN_EVERY.toNanos()
                || ended == batches) {
            lastPlainNanos = nowNanos;
            out.println("progress: " + line);
        }
    }

    /** Ends the in-place line on a terminal. */
    public void finish() {
        if (terminal) {
            out.println();
        }
    }

    String line(int ended, int failed, int stagesDone, Duration elapsed) {
        int totalStages = batches * stagesPerBatch;
        double fraction = totalStages == 0 ? 1.0 : Math.min(1.0, stagesDone / (double) totalStages);
        double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
        double rate = stagesDone / seconds;
        String eta =
                stagesDone == 0 ? "--:--" : clock(Duration.ofMillis((long) ((totalStages - stagesDone) / rate * 1000)));
        StringBuilder s = new StringBuilder();
        if (terminal) {
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            s.append('[')
                    .append("#".repeat(filled))
                    .append(".".repeat(BAR_WIDTH - filled))
                    .append("] ");
        }
        s.append(String.format(Locale.ROOT, "%3d%%  batches %d/%d", Math.round(fraction * 100), ended, batches));
        if (failed > 0) {
            s.append(" (").append(failed).append(" failed)");
        }
        s.append(String.format(
                Locale.ROOT,
                "  stages %d/%d  %.1f stages/s  elapsed %s  ETA %s",
                stagesDone,
                totalStages,
                rate,
                clock(elapsed),
                ended == batches ? "0:00" : eta));
        return s.toString();
    }

    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
