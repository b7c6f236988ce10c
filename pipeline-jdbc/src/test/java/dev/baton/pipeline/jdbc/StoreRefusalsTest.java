package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Text that PostgreSQL cannot store as it is (U+0000 in jsonb, unpaired UTF-16 surrogates in UTF-8) is
 * either stored faithfully or refused at once by the stage that wrote it; it is never altered, and a
 * refusal by the database is never mistaken for a crash (a lease left to expire).
 */
class StoreRefusalsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;
    Sql sql;
    final SynchronousTrigger trigger = new SynchronousTrigger();
    final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        sql = new Sql(PG.dataSource());
    }

    PipelineRunner runner(Pipeline pipeline) {
        return PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void stageFailed(long batchId, String stage, int attempt, String error) {
                        events.add("failed " + stage + " " + attempt);
                    }

                    @Override
                    public void stageRetried(long batchId, String stage, int attempt, Duration backoff) {
                        events.add("retried " + stage + " " + attempt);
                    }
                })
                .build();
    }

    /** Runs {@code produce} returning {@code output}, then a stage that reads it back. */
    Object throughTwoStages(Object output) {
        AtomicReference<Object> read = new AtomicReference<>();
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "produce",
                        ctx -> StageResult.done(output),
                        s -> s.retry(RetryPolicy.exponential(3, Duration.ofMillis(1))))
                .stage("consume", ctx -> {
                    read.set(ctx.output("produce", Object.class));
                    return StageResult.done("read");
                })
                .build();
        runner(pipeline).client().start(1);
        trigger.drain();
        return read.get();
    }

    @Test
    void a_small_output_holding_u0000_is_stored_and_read_back_exactly() {
        Object read = throughTwoStages(Map.of("s", "a\u0000b"));

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(read).isEqualTo(Map.of("s", "a\u0000b"));
    }

    @Test
    void a_partial_output_holding_u0000_is_stored_and_read_back_exactly() {
        AtomicReference<Object> partial = new AtomicReference<>();
        Pipeline pipeline = Pipeline.builder()
                .stage("sliced", ctx -> {
                    if (ctx.cursor(Integer.class).isEmpty()) {
                        return StageResult.progress(1, List.of("x\u0000"));
                    }
                    partial.set(ctx.partialOutput(List.class).orElseThrow());
                    return StageResult.done("done");
                })
                .build();
        runner(pipeline).client().start(1);
        trigger.drain();

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(partial.get()).isEqualTo(List.of("x\u0000"));
    }

    @Test
    void a_chunked_output_holding_u0000_is_read_back_exactly() {
        String text = "\u0000".repeat(3_000) + "end";

        assertThat(throughTwoStages(Map.of("s", text))).isEqualTo(Map.of("s", text));
    }

    @Test
    void an_escaped_backslash_before_u0000_is_ordinary_text_in_one_row() {
        assertThat(throughTwoStages(Map.of("s", "\\u0000"))).isEqualTo(Map.of("s", "\\u0000"));
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'produce'"))
                .isEqualTo(1);
    }

    @Test
    void a_cursor_holding_u0000_fails_the_batch_at_once_naming_the_character() {
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "sliced",
                        ctx -> StageResult.progress("a\u0000", List.of()),
                        s -> s.retry(RetryPolicy.exponential(5, Duration.ofMillis(1))))
                .build();
        PipelineRunner runner = runner(pipeline);
        runner.client().start(1);
        trigger.drain();

        BatchStatus status = runner.client().status(1).orElseThrow();
        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.error()).contains("batch 1").contains("cursor").contains("U+0000");
        assertThat(store.find(1).orElseThrow().attempt()).as("not retried").isEqualTo(1);
    }

    @Test
    void an_unpaired_surrogate_in_a_small_output_fails_the_stage_at_once_instead_of_becoming_a_question_mark() {
        Object read = throughTwoStages(Map.of("s", "a\uD800b"));

        assertThat(read).as("the next stage never ran").isNull();
        var row = store.find(1).orElseThrow();
        assertThat(row.state()).isEqualTo(BatchState.FAILED);
        assertThat(row.stage()).isEqualTo("produce");
        assertThat(row.attempt()).as("not retried").isEqualTo(1);
        assertThat(row.error()).contains("batch 1").contains("produce").contains("unpaired UTF-16 surrogate \\uD800");
        assertThat(sql.outputRows(1)).isZero();
    }

    @Test
    void an_unpaired_surrogate_in_a_chunked_output_fails_the_stage_and_writes_nothing() {
        String text = "x".repeat(5_000) + "\uDC00" + "y".repeat(5_000);
        throughTwoStages(List.of(text));

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.FAILED);
        assertThat(store.find(1).orElseThrow().error()).contains("unpaired UTF-16 surrogate \\uDC00");
        assertThat(sql.outputRows(1)).isZero();
    }

    @Test
    void a_surrogate_pair_split_across_chunk_rows_reads_back_whole() {
        String text = "\uD83D\uDE00".repeat(3_000);

        assertThat(throughTwoStages(List.of(text))).isEqualTo(List.of(text));
    }

    @Test
    void any_other_refusal_by_the_database_retries_promptly_with_its_own_message_instead_of_leaving_a_live_lease() {
        sql.execute("ALTER TABLE batch_processing_data ADD CONSTRAINT test_refuses CHECK (data::text NOT LIKE "
                + "'%forbidden%')");
        try {
            Pipeline pipeline = Pipeline.builder()
                    .stage(
                            "produce",
                            ctx -> StageResult.done("forbidden"),
                            s -> s.retry(RetryPolicy.exponential(2, Duration.ofMillis(1))))
                    .stage("consume", ctx -> StageResult.done("read"))
                    .build();
            PipelineRunner runner = runner(pipeline);
            runner.client().start(1);
            trigger.drain();

            assertThat(trigger.outcomes().get(0).kind()).isEqualTo(StageOutcome.Kind.RETRYING);
            Map<String, Object> row = sql.queueRow(1);
            assertThat(row)
                    .containsEntry("status", "pending")
                    .containsEntry("attempt", 2)
                    .containsEntry("lease_owner", null);
            assertThat((String) row.get("error_message"))
                    .contains("could not commit the output")
                    .contains("test_refuses");
            assertThat(events).containsExactly("failed produce 1", "retried produce 2");

            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                while (store.find(1).orElseThrow().state() != BatchState.FAILED) {
                    trigger.drain();
                }
            });
            assertThat(store.find(1).orElseThrow().error())
                    .contains("test_refuses")
                    .contains("gave up after 2 attempts")
                    .doesNotContain("lease");
        } finally {
            sql.execute("ALTER TABLE batch_processing_data DROP CONSTRAINT test_refuses");
        }
    }

    @Test
    void an_error_message_holding_u0000_or_a_lone_surrogate_is_recorded_visibly_instead_of_failing_the_record() {
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "broken",
                        ctx -> {
                            throw new IllegalStateException("bad byte \u0000 and half a pair \uD800 here");
                        },
                        s -> s.retry(RetryPolicy.none()))
                .build();
        runner(pipeline).client().start(1);
        trigger.drain();

        var row = store.find(1).orElseThrow();
        assertThat(row.state()).isEqualTo(BatchState.FAILED);
        assertThat(row.error()).contains("bad byte \\u0000 and half a pair \uFFFD here");
    }
}
