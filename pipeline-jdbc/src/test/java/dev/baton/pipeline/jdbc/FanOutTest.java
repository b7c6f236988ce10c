package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fan-out end to end through a runner against a real PostgreSQL (docs/architecture.md, "Fan-out"): shards run
 * alone, join exactly once into the output the unsharded stage gives, and fail, retry, cancel, restart and get
 * rescued as stages do.
 */
class FanOutTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final ObjectMapper JSON = new ObjectMapper();

    StageStore store;
    Sql sql;
    final HeldTrigger trigger = new HeldTrigger();
    final ExecutorService pool = Executors.newFixedThreadPool(16);

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A trigger that holds what it is asked to deliver until the test delivers it. */
    static final class HeldTrigger implements Trigger {
        record Fire(long batchId, String stage, Integer shard) {}

        final ConcurrentLinkedQueue<Fire> fired = new ConcurrentLinkedQueue<>();
        StageHandler handler;

        @Override
        public void bind(StageHandler handler) {
            this.handler = handler;
        }

        @Override
        public void fire(long batchId, String stage) {
            fired.add(new Fire(batchId, stage, null));
        }

        @Override
        public void fireAfter(long batchId, String stage, Duration delay) {
            fire(batchId, stage);
        }

        @Override
        public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
            fired.add(new Fire(batchId, stage, shard));
        }

        /** Delivers everything, on this thread, until nothing is left; returns the outcomes. */
        List<StageOutcome> drain() {
            List<StageOutcome> outcomes = new ArrayList<>();
            for (Fire f; (f = fired.poll()) != null; ) {
                outcomes.add(
                        f.shard() == null
                                ? handler.runStage(f.batchId(), f.stage())
                                : handler.runShard(f.batchId(), f.stage(), f.shard()));
            }
            return outcomes;
        }

        List<Fire> take() {
            List<Fire> all = new ArrayList<>();
            for (Fire f; (f = fired.poll()) != null; ) {
                all.add(f);
            }
            return all;
        }
    }

    /** The items: a list of {@code n} numbers from the batch's input. */
    static List<Integer> items(dev.baton.pipeline.StageContext ctx) {
        int n = ctx.input(Integer.class).orElseThrow();
        return IntStream.range(0, n).boxed().toList();
    }

    static Map<String, Object> square(int i) {
        return Map.of("item", i, "square", (long) i * i, "text", "é" + i);
    }

    Pipeline pipeline(FanOut<Integer> squares) {
        return Pipeline.builder()
                .stage("squares", squares, s -> s.retry(RetryPolicy.exponential(3, Duration.ZERO)))
                .stage("sum", ctx -> {
                    JsonNode all = ctx.output("squares", JsonNode.class);
                    long sum = 0;
                    for (JsonNode n : all) {
                        sum += n.isObject() ? n.get("square").asLong() : n.asLong();
                    }
                    return StageResult.done(Map.of("count", all.size(), "sum", sum));
                })
                .build();
    }

    PipelineRunner runner(Pipeline pipeline) {
        return PipelineRunner.builder(pipeline, store).trigger(trigger).build();
    }

    FanOut<Integer> squares() {
        return FanOut.each(FanOutTest::items, Slicer.concurrency(2), FanOutTest::square);
    }

    @Test
    void the_joined_output_of_ten_thousand_items_equals_the_unsharded_stage_output() throws Exception {
        PipelineRunner unsharded = runner(pipeline(squares()));
        unsharded.client().start(1, 10_000);
        trigger.drain();
        PipelineRunner sharded = runner(pipeline(squares().shards(7)));
        sharded.client().start(2, 10_000);
        List<StageOutcome> outcomes = trigger.drain();

        assertThat(outcomes)
                .filteredOn(o -> o.kind() == StageOutcome.Kind.FANNED_OUT)
                .hasSize(1);
        assertThat(outcomes)
                .filteredOn(o -> o.kind() == StageOutcome.Kind.SHARD_DONE)
                .hasSize(6);
        assertThat(store.find(2).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        JsonNode plain = JSON.readTree(store.readOutput(1, "squares").orElseThrow());
        JsonNode joined = JSON.readTree(store.readOutput(2, "squares").orElseThrow());
        assertThat(joined.size()).isEqualTo(10_000);
        assertThat(joined).isEqualTo(plain);
        assertThat(store.readOutput(2, "sum")).isEqualTo(store.readOutput(1, "sum"));
        // the shards' own outputs are gone; their rows stay, completed, for the status
        assertThat(sql.rows("SELECT stage FROM batch_processing_data WHERE batch_id = 2 AND stage LIKE '%:shard:%'"))
                .isEmpty();
        BatchStatus.Shards shards =
                sharded.client().status(2).orElseThrow().stages().get(0).shards();
        assertThat(shards).isEqualTo(new BatchStatus.Shards(7, 7, 0, 0));
        assertThat(unsharded.client().status(1).orElseThrow().stages().get(0).shards())
                .isNull();
    }

    @Test
    void a_joined_output_larger_than_a_chunk_streams_and_equals_the_unsharded_one() throws Exception {
        store = JdbcStageStore.builder(PG.dataSource())
                .chunkThreshold(JdbcStageStore.MIN_CHUNK_THRESHOLD)
                .build();
        runner(pipeline(squares())).client().start(1, 500);
        trigger.drain();
        runner(pipeline(squares().shards(5))).client().start(2, 500);
        trigger.drain();
        assertThat(sql.rows("SELECT chunk FROM batch_processing_data WHERE batch_id = 2 AND stage = 'squares'"))
                .hasSizeGreaterThan(1);
        assertThat(store.readOutput(2, "squares")).isEqualTo(store.readOutput(1, "squares"));
    }

    @Test
    void sixteen_duplicate_triggers_of_one_shard_commit_it_once() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        FanOut<Integer> counted = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                    runs.incrementAndGet();
                    return StageResult.done(items);
                })
                .shards(4);
        PipelineRunner runner = runner(pipeline(counted));
        runner.client().start(3, 40);
        trigger.drain(); // the stage, which fans out and fires the four shards; the drain runs them too
        assertThat(runs.get()).isEqualTo(4);
        runs.set(0);
        // a restart from the stage fans out again; now sixteen threads deliver shard 2 at once
        runner.client().restart(3, "squares");
        trigger.handler.runStage(3, "squares");
        trigger.take();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<StageOutcome>> racing = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            racing.add(pool.submit(() -> {
                go.await();
                return runner.runShard(3, "squares", 2);
            }));
        }
        go.countDown();
        List<StageOutcome> outcomes = new ArrayList<>();
        for (Future<StageOutcome> f : racing) {
            outcomes.add(f.get(60, TimeUnit.SECONDS));
        }
        assertThat(outcomes).filteredOn(StageOutcome::committed).hasSize(1);
        assertThat(outcomes)
                .filteredOn(o -> o.kind() == StageOutcome.Kind.NOT_CLAIMED)
                .hasSize(15);
        assertThat(runs.get()).isEqualTo(1);
        assertThat(shard(3, 2).state()).isEqualTo(ShardState.COMPLETED);
    }

    @Test
    void two_last_shards_finishing_together_join_exactly_once() throws Exception {
        CountDownLatch bothRunning = new CountDownLatch(2);
        FanOut<Integer> meeting = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                    bothRunning.countDown();
                    bothRunning.await(30, TimeUnit.SECONDS);
                    return StageResult.done(items);
                })
                .shards(2);
        PipelineRunner runner = runner(pipeline(meeting));
        runner.client().start(4, 10);
        trigger.take(); // the start's trigger of the stage: delivered here
        trigger.handler.runStage(4, "squares");
        assertThat(trigger.take()).hasSize(2);
        Future<StageOutcome> a = pool.submit(() -> runner.runShard(4, "squares", 0));
        Future<StageOutcome> b = pool.submit(() -> runner.runShard(4, "squares", 1));
        List<StageOutcome.Kind> kinds = List.of(
                a.get(60, TimeUnit.SECONDS).kind(), b.get(60, TimeUnit.SECONDS).kind());

        assertThat(kinds).containsExactlyInAnyOrder(StageOutcome.Kind.ADVANCED, StageOutcome.Kind.SHARD_DONE);
        assertThat(trigger.take()).containsExactly(new HeldTrigger.Fire(4, "sum", null));
        assertThat(JSON.readTree(store.readOutput(4, "squares").orElseThrow()))
                .isEqualTo(JSON.valueToTree(IntStream.range(0, 10).boxed().toList()));
        assertThat(store.find(4).orElseThrow().stage()).isEqualTo("sum");
    }

    @Test
    void a_shard_that_fails_twice_then_succeeds_is_retried_alone() throws Exception {
        Map<Integer, AtomicInteger> tries = new ConcurrentHashMap<>();
        FanOut<Integer> flaky = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                    int first = items.get(0);
                    int n = tries.computeIfAbsent(first, k -> new AtomicInteger())
                            .incrementAndGet();
                    if (first == 5 && n <= 2) {
                        throw new IllegalStateException("flaky item " + first);
                    }
                    return StageResult.done(items);
                })
                .shards(4);
        runner(pipeline(flaky)).client().start(5, 20);
        List<StageOutcome> outcomes = trigger.drain();

        assertThat(outcomes)
                .filteredOn(o -> o.kind() == StageOutcome.Kind.RETRYING)
                .hasSize(2);
        assertThat(outcomes.stream()
                        .filter(o -> o.kind() == StageOutcome.Kind.RETRYING)
                        .findFirst()
                        .orElseThrow()
                        .detail())
                .contains("shard 1 of 4", "flaky item 5");
        assertThat(tries).containsOnlyKeys(0, 5, 10, 15);
        assertThat(tries.get(5).get()).isEqualTo(3);
        assertThat(tries.get(0).get()).isEqualTo(1);
        assertThat(store.find(5).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(JSON.readTree(store.readOutput(5, "squares").orElseThrow()))
                .isEqualTo(JSON.valueToTree(IntStream.range(0, 20).boxed().toList()));
    }

    @Test
    void a_shard_that_exhausts_its_retries_fails_the_batch_with_its_error_and_stops_the_others() throws Exception {
        FanOut<Integer> broken = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                    if (items.contains(7)) {
                        throw new IllegalArgumentException("item 7 is broken");
                    }
                    return StageResult.done(items);
                })
                .shards(4)
                .parallelism(2);
        PipelineRunner runner = runner(pipeline(broken));
        runner.client().start(6, 20);
        trigger.take(); // the start's trigger of the stage: delivered here
        trigger.handler.runStage(6, "squares");
        List<HeldTrigger.Fire> first = trigger.take();
        assertThat(first).extracting(HeldTrigger.Fire::shard).containsExactly(0, 1);
        // shard 1 (items 5..9) fails three times; shard 0 never gets delivered before that
        for (int i = 0; i < 3; i++) {
            runner.runShard(6, "squares", 1);
        }
        var batch = store.find(6).orElseThrow();
        assertThat(batch.state()).isEqualTo(BatchState.FAILED);
        assertThat(batch.error()).contains("shard 1 of 4", "item 7 is broken", "gave up after 3 attempts");
        assertThat(store.shards(6, "squares"))
                .extracting(ShardRecord::state)
                .containsExactly(ShardState.CANCELLED, ShardState.FAILED, ShardState.CANCELLED, ShardState.CANCELLED);
        // a late trigger of a stopped shard does nothing
        assertThat(runner.runShard(6, "squares", 0).kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        assertThat(runner.client().status(6).orElseThrow().stages().get(0).shards())
                .isEqualTo(new BatchStatus.Shards(4, 0, 0, 1));
    }

    @Test
    void cancel_during_fan_out_clears_the_shards_and_a_running_shard_commits_nothing() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        FanOut<Integer> slow = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                    running.countDown();
                    cancelled.await(30, TimeUnit.SECONDS);
                    return StageResult.done(items);
                })
                .shards(3);
        PipelineRunner runner = runner(pipeline(slow));
        runner.client().start(7, 9);
        trigger.take(); // the start's trigger of the stage: delivered here
        trigger.handler.runStage(7, "squares");
        trigger.take();
        Future<StageOutcome> inFlight = pool.submit(() -> runner.runShard(7, "squares", 0));
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        runner.client().cancel(7);
        cancelled.countDown();

        assertThat(inFlight.get(60, TimeUnit.SECONDS).kind()).isEqualTo(StageOutcome.Kind.LOST);
        assertThat(store.find(7).orElseThrow().state()).isEqualTo(BatchState.CANCELLED);
        assertThat(store.shards(7, "squares")).isEmpty();
        assertThat(sql.rows("SELECT stage FROM batch_processing_data WHERE batch_id = 7 AND stage <> ':input'"))
                .isEmpty();
    }

    @Test
    void restart_from_the_stage_clears_its_shards_and_runs_them_again() {
        PipelineRunner runner = runner(pipeline(squares().shards(3)));
        runner.client().start(8, 30);
        trigger.drain();
        assertThat(store.find(8).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        runner.client().restart(8, "squares");
        assertThat(store.shards(8, "squares")).isEmpty();
        List<StageOutcome> again = trigger.drain();
        assertThat(again)
                .filteredOn(o -> o.kind() == StageOutcome.Kind.FANNED_OUT)
                .hasSize(1);
        assertThat(store.find(8).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.shards(8, "squares")).extracting(ShardRecord::state).containsOnly(ShardState.COMPLETED);
    }

    @Test
    void parallelism_keeps_at_most_that_many_shards_scheduled_and_each_finish_releases_the_next() {
        PipelineRunner runner = runner(pipeline(squares().shards(5).parallelism(2)));
        runner.client().start(9, 50);
        trigger.take(); // the start's trigger of the stage: delivered here
        trigger.handler.runStage(9, "squares");
        assertThat(trigger.take()).extracting(HeldTrigger.Fire::shard).containsExactly(0, 1);
        assertThat(store.shards(9, "squares"))
                .extracting(ShardRecord::state)
                .containsExactly(
                        ShardState.PENDING,
                        ShardState.PENDING,
                        ShardState.WAITING,
                        ShardState.WAITING,
                        ShardState.WAITING);
        assertThat(runner.runShard(9, "squares", 3).kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        runner.runShard(9, "squares", 1);
        assertThat(trigger.take()).extracting(HeldTrigger.Fire::shard).containsExactly(2);
        trigger.fireShard(9, "squares", 0, Duration.ZERO, null);
        trigger.fireShard(9, "squares", 2, Duration.ZERO, null);
        trigger.drain();
        assertThat(store.find(9).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void a_dropped_shard_trigger_and_an_expired_shard_are_rescued_by_the_sweeper() throws Exception {
        Pipeline pipeline = Pipeline.builder()
                .lease(Duration.ofMillis(300))
                .stage("squares", squares().shards(2), s -> s.retry(RetryPolicy.exponential(3, Duration.ZERO)))
                .stage("sum", ctx -> StageResult.done(1))
                .build();
        PipelineRunner runner = runner(pipeline);
        StallSweeper sweeper = runner.sweeper().pendingGrace(Duration.ZERO).build();
        runner.client().start(10, 10);
        trigger.take(); // the start's trigger of the stage: delivered here
        trigger.handler.runStage(10, "squares");
        trigger.take(); // both shard triggers are lost
        // shard 0 is claimed by a worker that dies: its lease expires
        store.claimShard(10, "squares", 0, "dead-worker", Duration.ofMillis(1));
        awaitExpired(10, 0);

        assertThat(sweeper.sweepOnce()).isEqualTo(2);
        List<HeldTrigger.Fire> fired = trigger.take();
        assertThat(fired).extracting(HeldTrigger.Fire::shard).containsExactlyInAnyOrder(0, 1);
        assertThat(shard(10, 0).attempt()).isEqualTo(2);
        fired.forEach(f -> trigger.fireShard(f.batchId(), f.stage(), f.shard(), Duration.ZERO, null));
        trigger.drain();
        assertThat(store.find(10).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void a_shard_whose_process_is_killed_is_rescued_and_the_batch_completes() throws Exception {
        Pipeline pipeline = Pipeline.builder()
                .lease(Duration.ofMillis(400))
                .stage("squares", squares().shards(2), s -> s.retry(RetryPolicy.exponential(3, Duration.ZERO)))
                .stage("sum", ctx -> StageResult.done(0))
                .build();
        PipelineRunner runner = runner(pipeline);
        runner.client().start(12, 6);
        trigger.take(); // the start's trigger of the stage: delivered here
        runner.runStage(12, "squares");
        trigger.take(); // shard 0 goes to the doomed process, shard 1 is run here
        runner.runShard(12, "squares", 1);
        java.nio.file.Path log = java.nio.file.Path.of("target", "shard-worker.log");
        Process worker = new ProcessBuilder(
                        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ShardWorkerMain.class.getName(),
                        PG.jdbcUrl(),
                        "12")
                .redirectError(log.toFile())
                .start();
        try (var out = new java.io.BufferedReader(
                new java.io.InputStreamReader(worker.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("SHARD")) {
                    // the worker prints nothing else on stdout
                }
                assertThat(line)
                        .as("worker output, see " + log.toAbsolutePath())
                        .startsWith("SHARD");
            });
            worker.destroyForcibly().waitFor();
        } finally {
            worker.destroyForcibly();
        }
        assertThat(shard(12, 0).leaseOwner()).isEqualTo("doomed");
        awaitExpired(12, 0);

        assertThat(runner.sweeper().build().sweepOnce()).isEqualTo(1);
        trigger.drain();
        assertThat(store.find(12).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(shard(12, 0).attempt()).isEqualTo(2);
        assertThat(JSON.readTree(store.readOutput(12, "squares").orElseThrow()))
                .isEqualTo(JSON.readTree(JSON.writeValueAsString(
                        IntStream.range(0, 6).mapToObj(FanOutTest::square).toList())));
    }

    @Test
    void a_non_array_shard_output_fails_the_batch_loudly_and_writes_nothing() {
        FanOut<Integer> wrong = FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> StageResult.done(Map.of("n", 1)))
                .shards(2);
        runner(pipeline(wrong)).client().start(11, 4);
        trigger.drain();
        var batch = store.find(11).orElseThrow();
        assertThat(batch.state()).isEqualTo(BatchState.FAILED);
        assertThat(batch.error()).contains("shard", "not a JSON array");
        assertThat(sql.rows("SELECT stage FROM batch_processing_data WHERE batch_id = 11 AND stage LIKE '%:shard:%'"))
                .isEmpty();
    }

    private ShardRecord shard(long batchId, int shard) {
        return store.shards(batchId, "squares").get(shard);
    }

    /** Polls the database's clock until the shard's lease has expired (a lease of a millisecond). */
    private void awaitExpired(long batchId, int shard) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sql.rows(
                                "SELECT 1 FROM batch_processing_shard WHERE batch_id = ? AND shard = ?"
                                        + " AND lease_until < now()",
                                batchId,
                                shard)
                        .isEmpty()
                && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
