package dev.baton.example.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTableTest {
    private static BatchStatus status(long id, BatchState state, int setupAttempts, String error) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        return new BatchStatus(
                id,
                state == BatchState.COMPLETED ? "completed" : "setup",
                state,
                setupAttempts,
                error,
                t,
                t,
                null,
                null,
                t,
                false,
                List.of(new BatchStatus.StageView("setup", setupAttempts, setupAttempts, 10, t, t)));
    }

    @Test
    void shows_counts_percentiles_attempts_retries_and_failures() {
        DemoRecorder recorder = new DemoRecorder();
        for (int i = 1; i <= 20; i++) {
            recorder.stageStarted(1, "setup", 1);
            recorder.stageSucceeded(1, "setup", 1, Duration.ofMillis(i * 10L));
        }
        recorder.stageRetried(2, "setup", 2, Duration.ofMillis(100));

        String table = SummaryTable.render(
                List.of("setup"),
                List.of(status(1, BatchState.COMPLETED, 1, null), status(2, BatchState.FAILED, 3, "boom")),
                recorder,
                Duration.ofMillis(2500));

        assertThat(table).contains("batches: 1 completed, 1 failed, in 2.5s");
        assertThat(table).containsPattern("setup\\s+100ms\\s+190ms\\s+200ms\\s+4\\s+20\\s+1");
        assertThat(table).contains("batch 2 at setup: boom");
    }

    @Test
    void a_fanned_out_stage_shows_its_shards_over_all_batches_and_how_long_a_batch_spent_in_each_stage() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        List<BatchStatus> statuses = List.of(
                fannedOut(1, BatchState.COMPLETED, t, new BatchStatus.Shards(8, 8, 0, 0)),
                fannedOut(2, BatchState.COMPLETED, t, new BatchStatus.Shards(8, 8, 0, 0)),
                fannedOut(3, BatchState.FAILED, t, new BatchStatus.Shards(8, 5, 2, 1)));

        String table = SummaryTable.render(
                List.of("setup", "annotation"), statuses, new DemoRecorder(), Duration.ofSeconds(3));

        assertThat(table).containsPattern("stage\\s+p50.*retries\\s+took\\s+shards");
        assertThat(table).containsPattern("annotation .*\\s1000ms  21/24, 2 running, 1 failed\\n");
        assertThat(table).containsPattern("setup .*\\s40ms  -\\n");
    }

    private static BatchStatus fannedOut(long id, BatchState state, Instant t, BatchStatus.Shards shards) {
        return new BatchStatus(
                id,
                "annotation",
                state,
                1,
                null,
                t,
                t,
                null,
                null,
                t,
                false,
                List.of(
                        new BatchStatus.StageView("setup", 1, 1, 40, t, t.plusMillis(40)),
                        new BatchStatus.StageView("annotation", 1, 8, 200, t, t.plusMillis(500 + 250 * id), shards)));
    }

    @Test
    void percentiles_use_the_nearest_rank() {
        assertThat(SummaryTable.percentile(List.of(1L, 2L, 3L, 4L), 50)).isEqualTo(2);
        assertThat(SummaryTable.percentile(List.of(1L, 2L, 3L, 4L), 95)).isEqualTo(4);
        assertThat(SummaryTable.percentile(List.of(), 50)).isEqualTo(-1);
    }

    @Test
    void progress_draws_a_bar_on_a_terminal_and_plain_lines_elsewhere() {
        ProgressReporter terminal = new ProgressReporter(System.out, true, 10, 6);
        assertThat(terminal.line(5, 1, 30, Duration.ofSeconds(10)))
                .startsWith(
                        "[###############...............]  50%  batches 5/10 (1 failed)  stages 30/60  3.0 stages/s")
                .endsWith("ETA 0:10");
        ProgressReporter plain = new ProgressReporter(System.out, false, 10, 6);
        assertThat(plain.line(0, 0, 0, Duration.ofSeconds(1)))
                .isEqualTo("  0%  batches 0/10  stages 0/60  0.0 stages/s  elapsed 0:01  ETA --:--");
    }
}
