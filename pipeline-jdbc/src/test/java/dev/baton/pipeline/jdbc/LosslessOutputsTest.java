package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whatever a stage returns and the PostgreSQL store accepts, the next stage reads back whole, or the batch fails at
 * once.
 */
class LosslessOutputsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    Sql sql;
    final SynchronousTrigger trigger = new SynchronousTrigger();

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        sql = new Sql(PG.dataSource());
    }

    JdbcStageStore store(int chunkThreshold) {
        return JdbcStageStore.builder(PG.dataSource())
                .chunkThreshold(chunkThreshold)
                .build();
    }

    /** Private fields and no getters: Jackson sees no property in it. */
    static final class Hidden {
        @SuppressWarnings("unused")
        private final int secret = 42;
    }

    /** Runs a stage whose result holds a {@link Hidden}, retries allowed, and returns the batch's status. */
    BatchStatus runBroken(JdbcStageStore store, StageResult result) {
        Pipeline pipeline = Pipeline.builder()
                .stage("broken", ctx -> result, s -> s.retry(RetryPolicy.exponential(5, Duration.ofMillis(1))))
                .stage("after", ctx -> StageResult.done(1))
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.client().start(1);
        trigger.drain();
        return runner.client().status(1).orElseThrow();
    }

    void assertFailedAtOnceNamingTheFix(JdbcStageStore store, BatchStatus status, String what) {
        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.error())
                .contains("batch 1 stage broken: the " + what)
                .contains(Hidden.class.getName())
                .contains("stored as {} and lost")
                .contains("record")
                .contains("getters")
                .contains("@JsonAutoDetect")
                .doesNotContain("disable SerializationFeature.FAIL_ON_EMPTY_BEANS");
        assertThat(store.find(1).orElseThrow().attempt()).as("not retried").isEqualTo(1);
        assertThat(sql.outputRows(1)).isZero();
    }

    @Test
    void an_output_jackson_would_write_as_an_empty_object_fails_the_batch_at_once_naming_the_class_and_the_fix() {
        JdbcStageStore store = store(JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        assertFailedAtOnceNamingTheFix(store, runBroken(store, StageResult.done(new Hidden())), "output");
    }

    @Test
    void an_empty_bean_deep_inside_a_chunk_sized_output_fails_the_batch_at_once_and_writes_no_chunk() {
        JdbcStageStore store = store(1024);
        List<Object> items = Stream.concat(IntStream.range(0, 2_000).boxed(), Stream.of(new Hidden()))
                .collect(Collectors.toList());
        BatchStatus status = runBroken(store, StageResult.done(Map.of("items", items)));
        assertFailedAtOnceNamingTheFix(store, status, "output");
        assertThat(status.error()).contains("items").contains("2000");
    }

    @Test
    void an_empty_bean_in_a_partial_output_or_a_cursor_fails_the_batch_at_once() {
        JdbcStageStore store = store(1024);
        assertFailedAtOnceNamingTheFix(
                store, runBroken(store, StageResult.progress(1, List.of(new Hidden()))), "partial output");
        sql.execute("TRUNCATE batch_processing_queue");
        assertFailedAtOnceNamingTheFix(
                store, runBroken(store, StageResult.progress(new Hidden(), List.of())), "cursor");
    }

    record Text(String value) {}

    @Test
    void a_25_million_character_string_written_as_chunk_rows_reaches_the_next_stage_equal() {
        JdbcStageStore store = store(JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        int length = 25_000_000;
        AtomicReference<Boolean> equal = new AtomicReference<>();
        Pipeline pipeline = Pipeline.builder()
                .retry(RetryPolicy.none())
                .stage("produce", ctx -> StageResult.done(new Text("x".repeat(length))))
                .stage("consume", ctx -> {
                    String read = ctx.output("produce", Text.class).value();
                    equal.set(read.length() == length && read.chars().allMatch(c -> c == 'x'));
                    return StageResult.done(read.length());
                })
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.client().start(1);
        trigger.drain();

        assertThat(runner.client().status(1).orElseThrow().error()).isNull();
        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(equal.get()).isTrue();
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'produce'"))
                .isEqualTo(48);
    }

    record Big(BigInteger n, BigDecimal d) {}

    @Test
    void numbers_of_more_than_a_thousand_digits_and_a_long_property_name_reach_the_next_stage_equal() {
        JdbcStageStore store = store(1024);
        Big big = new Big(
                BigInteger.TEN.pow(1_000).add(BigInteger.ONE),
                new BigDecimal(BigInteger.TEN.pow(1_500).add(BigInteger.ONE), 700));
        String name = "k".repeat(60_000);
        AtomicReference<Big> readBig = new AtomicReference<>();
        AtomicReference<Map<?, ?>> readMap = new AtomicReference<>();
        Pipeline pipeline = Pipeline.builder()
                .retry(RetryPolicy.none())
                .stage("number", ctx -> StageResult.done(big))
                .stage("name", ctx -> StageResult.done(Map.of(name, 1)))
                .stage("consume", ctx -> {
                    readBig.set(ctx.output("number", Big.class));
                    readMap.set(ctx.output("name", Map.class));
                    return StageResult.done(1);
                })
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.client().start(1);
        trigger.drain();

        assertThat(runner.client().status(1).orElseThrow().error()).isNull();
        assertThat(readBig.get()).isEqualTo(big);
        assertThat(readBig.get().n().toString()).hasSize(1_001);
        assertThat(readMap.get()).isEqualTo(Map.of(name, 1));
    }

    static Object nested(int depth) {
        Object value = 1;
        for (int i = 0; i < depth; i++) {
            value = List.of(value);
        }
        return value;
    }

    @Test
    void nesting_is_refused_when_written_beyond_the_limit_and_read_back_up_to_it() {
        JdbcStageStore store = store(1024);
        AtomicReference<Object> read = new AtomicReference<>();
        Pipeline ok = Pipeline.builder()
                .retry(RetryPolicy.none())
                .stage("deep", ctx -> StageResult.done(nested(1_000)))
                .stage("consume", ctx -> {
                    read.set(ctx.output("deep", Object.class));
                    return StageResult.done(1);
                })
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(ok, store).trigger(trigger).build();
        runner.client().start(1);
        trigger.drain();
        assertThat(runner.client().status(1).orElseThrow().error()).isNull();
        assertThat(read.get()).isEqualTo(nested(1_000));

        Pipeline tooDeep = Pipeline.builder()
                .stage(
                        "deeper",
                        ctx -> StageResult.done(nested(1_001)),
                        s -> s.retry(RetryPolicy.exponential(5, Duration.ofMillis(1))))
                .stage("consume", ctx -> StageResult.done(1))
                .build();
        PipelineRunner refused =
                PipelineRunner.builder(tooDeep, store).trigger(trigger).build();
        refused.client().start(2);
        trigger.drain();
        BatchStatus status = refused.client().status(2).orElseThrow();
        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.error())
                .contains("batch 2 stage deeper: the output")
                .contains("nesting depth")
                .contains("1000");
        assertThat(store.find(2).orElseThrow().attempt()).isEqualTo(1);
        assertThat(sql.outputRows(2)).isZero();
    }

    @Test
    void the_hosts_mapper_is_copied_never_changed() {
        ObjectMapper host = JsonMapper.builder()
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        JdbcStageStore store = store(1024);
        Pipeline pipeline = Pipeline.builder()
                .stage("broken", ctx -> StageResult.done(new Hidden()))
                .build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .objectMapper(host)
                .build();
        runner.client().start(1);
        trigger.drain();

        assertThat(runner.client().status(1).orElseThrow().state()).isEqualTo(BatchState.FAILED);
        assertThat(host.isEnabled(SerializationFeature.FAIL_ON_EMPTY_BEANS)).isFalse();
        assertThat(host.getFactory().streamReadConstraints().getMaxStringLength())
                .isEqualTo(StreamReadConstraints.defaults().getMaxStringLength());
    }

    static final List<Object> EXACT = List.of(
            new BigDecimal("0.1000000000000000055511151231257827021181583404541015625"),
            new BigDecimal("0.1000000000000000055511151231257827021181583404541015625"),
            new BigDecimal("0.1000000000000000055511151231257827021181583404541015625"),
            new BigDecimal("0.1000000000000000055511151231257827021181583404541015625"),
            new BigDecimal("1.50"),
            new BigDecimal("123456789012345678901234567890.123456789012345678901234567890"),
            BigInteger.TWO.pow(100).add(BigInteger.ONE),
            (1L << 53) + 1,
            Long.MAX_VALUE);

    @Test
    void a_sliced_stage_of_exact_numbers_stores_the_same_text_as_the_unsliced_one() {
        JdbcStageStore store = store(JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        AtomicInteger slices = new AtomicInteger();
        Pipeline pipeline = Pipeline.builder()
                .retry(RetryPolicy.none())
                .stage(
                        "whole",
                        ctx -> Slicer.concurrency(1).reserve(Duration.ZERO).process(ctx, EXACT, item -> item))
                .stage("sliced", ctx -> {
                    slices.incrementAndGet();
                    // a reserve longer than the budget: one item per invocation
                    return Slicer.concurrency(1).reserve(Duration.ofDays(1)).process(ctx, EXACT, item -> item);
                })
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.client().start(1);
        trigger.drain();

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(slices.get()).isEqualTo(EXACT.size());
        String whole = store.readOutput(1, "whole").orElseThrow();
        assertThat(whole)
                .contains(
                        "0.1000000000000000055511151231257827021181583404541015625",
                        "1.50",
                        "123456789012345678901234567890.123456789012345678901234567890",
                        "1267650600228229401496703205377",
                        "9007199254740993",
                        "9223372036854775807");
        assertThat(store.readOutput(1, "sliced")).contains(whole);
        List<BigDecimal> read = new ArrayList<>();
        for (Object item : EXACT) {
            read.add(new BigDecimal(item.toString()));
        }
        assertThat(read).hasSize(EXACT.size());
    }
}
