package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a stage returns reaches the next stage through the runner and the PostgreSQL store, whatever its size or shape.
 */
class OutputsThroughTheRunnerTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;
    Sql sql;
    final SynchronousTrigger trigger = new SynchronousTrigger();

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        sql = new Sql(PG.dataSource());
    }

    PipelineRunner runner(Pipeline pipeline) {
        return PipelineRunner.builder(pipeline, store).trigger(trigger).build();
    }

    @Test
    void an_output_that_can_be_serialised_only_once_arrives_whole_in_chunk_rows() {
        AtomicReference<int[]> read = new AtomicReference<>();
        Pipeline pipeline = Pipeline.builder()
                // an iterator: Jackson uses it up as it writes, so the store must take the text in one pass
                .stage(
                        "produce",
                        ctx -> StageResult.done(
                                Map.of("items", IntStream.range(0, 2_000).iterator())))
                .stage("consume", ctx -> {
                    read.set(ctx.output("produce", Items.class).items());
                    return StageResult.done(read.get().length);
                })
                .build();
        runner(pipeline).client().start(1);
        trigger.drain();

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(read.get()).isEqualTo(IntStream.range(0, 2_000).toArray());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'produce'"))
                .as("chunk rows of a ~10 KB output with 1 KB slices")
                .isGreaterThanOrEqualTo(9);
        assertThat(store.readOutput(1, "consume")).contains("2000");
    }

    record Items(int[] items) {}

    @Test
    void a_null_output_reads_back_as_null_and_a_null_partial_output_as_none() {
        AtomicReference<String> seen = new AtomicReference<>("not read");
        AtomicReference<Object> partial = new AtomicReference<>("not read");
        Pipeline pipeline = Pipeline.builder()
                .stage("nothing", ctx -> StageResult.done(null))
                .stage("reader", ctx -> {
                    if (ctx.cursor(Integer.class).isEmpty()) {
                        return StageResult.progress(1, null);
                    }
                    partial.set(ctx.partialOutput(List.class));
                    seen.set(ctx.output("nothing", String.class));
                    return StageResult.done("read");
                })
                .build();
        runner(pipeline).client().start(1);
        trigger.drain();

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(seen.get()).isNull();
        assertThat(partial.get()).isEqualTo(java.util.Optional.empty());
        assertThat(store.readOutput(1, "nothing")).contains("null");
    }

    /** A raw value Jackson copies as it is. */
    record Raw(@JsonRawValue String value) {}

    @Test
    void an_output_that_is_not_json_fails_the_batch_at_once_with_the_reason() {
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "broken",
                        ctx -> StageResult.done(new Raw("{not json")),
                        s -> s.retry(RetryPolicy.exponential(5, Duration.ofMillis(1))))
                .stage("after", ctx -> StageResult.done(1))
                .build();
        PipelineRunner runner = runner(pipeline);
        runner.client().start(1);
        trigger.drain();

        BatchStatus status = runner.client().status(1).orElseThrow();
        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.error())
                .contains("batch 1 stage broken")
                .contains(Raw.class.getName())
                .contains("cannot be written as JSON: Unexpected character");
        assertThat(store.find(1).orElseThrow().attempt())
                .as("a broken output is not retried")
                .isEqualTo(1);
        assertThat(sql.outputRows(1)).isZero();
    }
}
