package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The queue hand-off of shards, on PostgreSQL: the shard rows are the queue entries, {@link DueClaims#claimShards}
 * claims due ones in bulk with {@code SKIP LOCKED}, the per-stage caps count running shards (and not fanned-out
 * batch rows), and {@link QueueTrigger#fireShard} wakes the workers. Shard rows are written with SQL.
 */
class ShardQueueTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String STAGE = "annotation";

    JdbcStageStore store;
    DueClaims claims;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        Jdbi jdbi = Jdbi.create(PG.dataSource());
        jdbi.getConfig(SqlStatements.class).setTemplateEngine(TemplateEngine.NOP);
        claims = new DueClaims(jdbi, new Statements(TableNames.defaults()), TableNames.defaults());
        sql = new Sql(PG.dataSource());
    }

    /** A batch whose queue row is fanned out at {@code stage}: in progress, owner ':shards', no lease. */
    void fannedOut(long batchId, String stage) {
        store.create(batchId, stage);
        sql.update(
                "UPDATE batch_processing_queue SET status = 'in_progress', lease_owner = ':shards', lease_until = NULL,"
                        + " version = version + 1 WHERE batch_id = ?",
                batchId);
    }

    /** A batch running {@code stage} itself (not fanned out), under a live lease of {@code owner}. */
    void running(long batchId, String stage, String owner) {
        store.create(batchId, stage);
        sql.update(
                "UPDATE batch_processing_queue SET status = 'in_progress', lease_owner = ?,"
                        + " lease_until = now() + interval '5 minutes', version = version + 1 WHERE batch_id = ?",
                owner,
                batchId);
    }

    /** Shards {@code 0..count-1} of {@code count} of 10 items each, in {@code status}, due a second ago. */
    void shards(long batchId, String stage, int count, String status) {
        sql.update(
                "INSERT INTO batch_processing_shard (batch_id, stage, shard, shards, status, run_after, from_item,"
                        + " to_item, items, parallelism, created_at, updated_at)"
                        + " SELECT ?, ?, k, ?, ?, now() - interval '1 second', k * 10, k * 10 + 10, ? * 10, ?,"
                        + " now(), now() FROM generate_series(0, ? - 1) AS k",
                batchId,
                stage,
                count,
                status,
                count,
                count,
                count);
    }

    long inProgress(String stage) {
        return sql.count(
                "SELECT count(*) FROM batch_processing_shard WHERE status = 'in_progress' AND stage = ?", stage);
    }

    static String key(ShardRecord s) {
        return s.batchId() + "/" + s.stage() + "/" + s.shard();
    }

    @Test
    void a_claim_maps_every_field_of_the_shard_and_of_its_batch() {
        fannedOut(1, STAGE);
        shards(1, STAGE, 3, "pending");
        sql.update(
                "UPDATE batch_processing_queue SET input_digest = 'd', trace_context = ? WHERE batch_id = 1",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        sql.update("UPDATE batch_processing_shard SET attempt = 2, error_message = 'boom', cursor = '{\"at\": 4}'"
                + " WHERE batch_id = 1 AND shard = 2");

        List<ShardRecord> got = claims.claimShards("w1", LEASE, 10, Map.of());

        assertThat(got).extracting(ShardRecord::shard).containsExactlyInAnyOrder(0, 1, 2);
        ShardRecord s = got.stream().filter(r -> r.shard() == 2).findFirst().orElseThrow();
        assertThat(s.batchId()).isEqualTo(1);
        assertThat(s.stage()).isEqualTo(STAGE);
        assertThat(s.shards()).isEqualTo(3);
        assertThat(s.state()).isEqualTo(ShardState.IN_PROGRESS);
        assertThat(s.attempt()).isEqualTo(2);
        assertThat(s.error()).isEqualTo("boom");
        assertThat(s.version()).isEqualTo(1);
        assertThat(s.leaseOwner()).isEqualTo("w1");
        assertThat(s.leaseUntil()).isAfter(s.runAfter());
        assertThat(s.cursor()).isEqualTo("{\"at\": 4}");
        assertThat(List.of(s.fromItem(), s.toItem(), s.items())).containsExactly(20, 30, 30);
        assertThat(s.startedAt()).isNotNull();
        assertThat(s.finishedAt()).isNull();
        assertThat(s.hasInput()).isTrue();
        assertThat(s.traceContext()).isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }

    @Test
    void only_pending_due_shards_of_batches_fanned_out_at_their_stage_are_claimed() {
        fannedOut(1, STAGE);
        shards(1, STAGE, 2, "pending");
        shards(1, "extraction", 2, "pending"); // the batch is fanned out at annotation, not extraction
        fannedOut(2, STAGE);
        shards(2, STAGE, 4, "waiting");
        fannedOut(3, STAGE);
        shards(3, STAGE, 2, "pending");
        sql.update("UPDATE batch_processing_shard SET run_after = now() + interval '1 minute' WHERE batch_id = 3");
        running(4, STAGE, "w9"); // a batch that runs the stage itself
        shards(4, STAGE, 2, "pending");
        store.create(5, STAGE); // a batch pending at the stage
        shards(5, STAGE, 2, "pending");
        fannedOut(6, STAGE);
        shards(6, STAGE, 3, "completed");

        List<ShardRecord> got = claims.claimShards("w1", LEASE, 100, Map.of());

        assertThat(got).extracting(ShardQueueTest::key).containsExactlyInAnyOrder("1/annotation/0", "1/annotation/1");
        assertThat(claims.claimShards("w1", LEASE, 100, Map.of())).isEmpty();
    }

    @Test
    void two_workers_racing_claim_every_due_shard_exactly_once() throws Exception {
        for (long b = 1; b <= 4; b++) {
            fannedOut(b, STAGE);
            shards(b, STAGE, 15, "pending");
        }
        ExecutorService racers = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<ShardRecord>>> results = new ArrayList<>();
        for (String owner : List.of("w1", "w2")) {
            results.add(racers.submit(() -> {
                go.await();
                List<ShardRecord> mine = new ArrayList<>();
                List<ShardRecord> got;
                while (!(got = claims.claimShards(owner, LEASE, 3, Map.of())).isEmpty()) {
                    mine.addAll(got);
                }
                return mine;
            }));
        }
        go.countDown();
        List<ShardRecord> w1 = results.get(0).get(60, TimeUnit.SECONDS);
        List<ShardRecord> w2 = results.get(1).get(60, TimeUnit.SECONDS);
        racers.shutdown();

        List<String> all = new ArrayList<>();
        w1.forEach(s -> all.add(key(s)));
        w2.forEach(s -> all.add(key(s)));
        assertThat(all).hasSize(60).doesNotHaveDuplicates();
        assertThat(w1).allMatch(s -> s.leaseOwner().equals("w1"));
        assertThat(w2).allMatch(s -> s.leaseOwner().equals("w2"));
        assertThat(sql.count("SELECT count(*) FROM batch_processing_shard WHERE status = 'in_progress'"
                        + " AND version = 1 AND lease_owner IN ('w1', 'w2')"))
                .isEqualTo(60);
    }

    @Test
    void two_queue_workers_run_each_due_shard_once() throws Exception {
        for (long b = 1; b <= 3; b++) {
            fannedOut(b, STAGE);
            shards(b, STAGE, 10, "pending");
        }
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource()).build();
        Map<String, String> ranBy = new ConcurrentHashMap<>();
        List<String> duplicates = new CopyOnWriteArrayList<>();
        CountDownLatch allRan = new CountDownLatch(30);
        List<PipelineRunner> runners = new ArrayList<>();
        List<QueueWorker> workers = new ArrayList<>();
        try {
            for (String owner : List.of("w1", "w2")) {
                PipelineRunner runner = PipelineRunner.builder(fanOutPipeline(4), store)
                        .trigger(trigger)
                        .owner(owner)
                        .build();
                runners.add(runner);
                workers.add(QueueWorker.builder(runner, store, trigger)
                        .threads(3)
                        .pollInterval(Duration.ofMillis(20))
                        .shards(claims::claimShards, claim -> {
                            if (ranBy.putIfAbsent(key(claim), claim.leaseOwner()) != null) {
                                duplicates.add(key(claim));
                            }
                            allRan.countDown();
                            return new StageOutcome(
                                    StageOutcome.Kind.SHARD_DONE, claim.batchId(), claim.stage(), 1, null);
                        })
                        .build()
                        .start());
            }
            assertThat(allRan.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            workers.forEach(QueueWorker::close);
            runners.forEach(PipelineRunner::close);
        }
        assertThat(duplicates).isEmpty();
        assertThat(ranBy).hasSize(30);
        assertThat(Set.copyOf(ranBy.values())).isSubsetOf("w1", "w2");
        assertThat(workers.get(0).claimedShards() + workers.get(1).claimedShards())
                .isEqualTo(30);
    }

    @Test
    void a_cap_counts_running_shards_and_running_batches_of_the_stage() {
        Map<String, Integer> caps = Map.of(STAGE, 2);
        fannedOut(1, STAGE);
        shards(1, STAGE, 5, "pending");
        fannedOut(2, "extraction");
        shards(2, "extraction", 3, "pending");

        List<ShardRecord> first = claims.claimShards("w1", LEASE, 10, caps);
        assertThat(first)
                .extracting(ShardRecord::stage)
                .containsOnly(STAGE, "extraction")
                .filteredOn(STAGE::equals)
                .hasSize(2);
        assertThat(first).filteredOn(s -> s.stage().equals("extraction")).hasSize(3);
        assertThat(claims.claimShards("w2", LEASE, 10, caps))
                .as("2 shards run: the cap is full")
                .isEmpty();
        store.create(3, STAGE);
        assertThat(claims.claim("w2", LEASE, 10, caps))
                .as("running shards count for batches too")
                .isEmpty();

        // one running shard's lease expired: it runs no more as far as the cap is concerned
        sql.update(
                "UPDATE batch_processing_shard SET lease_until = now() - interval '1 second'"
                        + " WHERE stage = ? AND status = 'in_progress' AND shard = ?",
                STAGE,
                first.get(0).shard());
        assertThat(claims.claim("w2", LEASE, 10, caps))
                .extracting(BatchRecord::batchId)
                .containsExactly(3L);
        assertThat(claims.claimShards("w2", LEASE, 10, caps))
                .as("the batch took the room")
                .isEmpty();
        assertThat(claims.claimShards("w2", LEASE, 10, Map.of(STAGE, 3)))
                .as("a live shard and a batch run: room for 1 under a cap of 3")
                .hasSize(1);
        assertThat(inProgress(STAGE)).as("the expired one included").isEqualTo(3);
    }

    @Test
    void fanned_out_batch_rows_do_not_count_toward_a_cap() {
        Map<String, Integer> caps = Map.of(STAGE, 2);
        for (long b = 1; b <= 3; b++) {
            fannedOut(b, STAGE);
        }
        // a fanned-out row has no lease; one with a lease left over must not count either
        sql.update("UPDATE batch_processing_queue SET lease_until = now() + interval '5 minutes' WHERE batch_id = 3");
        shards(1, STAGE, 4, "pending");
        store.create(4, STAGE);

        assertThat(claims.claim("w1", LEASE, 10, caps))
                .extracting(BatchRecord::batchId)
                .containsExactly(4L);
        assertThat(claims.claimShards("w1", LEASE, 10, caps))
                .as("3 fanned-out rows and 1 running batch: room for 1 shard")
                .hasSize(1);
        assertThat(claims.claimShards("w1", LEASE, 10, Map.of(STAGE, 5))).hasSize(3);
    }

    @Test
    void a_queue_worker_runs_at_most_the_cap_of_shards_at_once() throws Exception {
        fannedOut(1, STAGE);
        shards(1, STAGE, 5, "pending");
        QueueTrigger trigger =
                QueueTrigger.builder(PG.dataSource()).stageCap(STAGE, 2).build();
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch twoRunning = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(5);
        AtomicInteger claimRounds = new AtomicInteger();
        CountDownLatch roundsWhileFull = new CountDownLatch(5);
        List<Integer> claimedWhileFull = new CopyOnWriteArrayList<>();
        QueueWorker.ShardClaims counting = (owner, lease, limit, stageCaps) -> {
            List<ShardRecord> got = claims.claimShards(owner, lease, limit, stageCaps);
            claimRounds.incrementAndGet();
            if (twoRunning.getCount() == 0 && release.getCount() == 1) {
                claimedWhileFull.add(got.size());
                roundsWhileFull.countDown();
            }
            return got;
        };
        PipelineRunner runner = PipelineRunner.builder(fanOutPipeline(5), store)
                .trigger(trigger)
                .owner("w1")
                .build();
        QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                .threads(4)
                .pollInterval(Duration.ofMillis(10))
                .shards(counting, claim -> {
                    most.accumulateAndGet(now.incrementAndGet(), Math::max);
                    twoRunning.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    // the shard's commit, as far as the queue is concerned
                    now.decrementAndGet();
                    sql.update(
                            "UPDATE batch_processing_shard SET status = 'completed', lease_owner = NULL,"
                                    + " lease_until = NULL WHERE batch_id = ? AND stage = ? AND shard = ?",
                            claim.batchId(),
                            claim.stage(),
                            claim.shard());
                    done.countDown();
                    return new StageOutcome(StageOutcome.Kind.SHARD_DONE, claim.batchId(), claim.stage(), 1, null);
                })
                .build();
        try {
            worker.start();
            assertThat(twoRunning.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(roundsWhileFull.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("the worker kept claiming while two ran")
                    .isTrue();
            assertThat(claimedWhileFull).containsOnly(0);
            assertThat(inProgress(STAGE)).isEqualTo(2);
            release.countDown();
            assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            worker.close();
            runner.close();
        }
        assertThat(most).hasValue(2);
        assertThat(worker.claimedShards()).isEqualTo(5);
    }

    @Test
    void fire_shard_notifies_the_workers_channel_now_and_leaves_a_delayed_shard_to_polling() throws Exception {
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource())
                .channel("baton_shards_test")
                .build();
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("LISTEN baton_shards_test");
            trigger.fireShard(1, STAGE, 3, Duration.ofSeconds(30), null);
            trigger.fireShard(1, "extraction", 4, Duration.ZERO, null);

            PGConnection pg = c.unwrap(PGConnection.class);
            List<String> payloads = new ArrayList<>();
            assertTimeoutPreemptively(WAIT, () -> {
                while (payloads.isEmpty()) {
                    PGNotification[] got = pg.getNotifications(1000);
                    if (got != null) {
                        for (PGNotification n : got) {
                            payloads.add(n.getParameter());
                        }
                    }
                }
            });
            // a round trip after the notification: nothing else was sent before it
            s.execute("SELECT 1");
            PGNotification[] more = pg.getNotifications(1);
            if (more != null) {
                for (PGNotification n : more) {
                    payloads.add(n.getParameter());
                }
            }
            assertThat(payloads).containsExactly("extraction");
        }
    }

    @Test
    void a_fanned_out_stage_runs_to_the_join_through_the_queue() throws Exception {
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource()).build();
        List<QueueWorker> workers = new ArrayList<>();
        List<PipelineRunner> runners = new ArrayList<>();
        try {
            for (String owner : List.of("w1", "w2")) {
                PipelineRunner runner = PipelineRunner.builder(fanOutPipeline(4), store)
                        .trigger(trigger)
                        .owner(owner)
                        .build();
                runner.start();
                runners.add(runner);
                workers.add(QueueWorker.builder(runner, store, trigger)
                        .threads(2)
                        .pollInterval(Duration.ofMillis(20))
                        .shards(claims::claimShards, runner::runClaimedShard)
                        .build()
                        .start());
            }
            runners.get(0).client().start(7);
            assertTimeoutPreemptively(WAIT, () -> {
                while (store.find(7).orElseThrow().state() != BatchState.COMPLETED) {
                    Thread.sleep(20);
                }
            });
        } finally {
            workers.forEach(QueueWorker::close);
            runners.forEach(PipelineRunner::close);
        }
        assertThat(new ObjectMapper().readValue(store.readOutput(7, "double").orElseThrow(), int[].class))
                .containsExactly(IntStream.range(0, 20).map(i -> i * 2).toArray());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_shard WHERE batch_id = 7 AND status = 'completed'"))
                .isEqualTo(4);
        assertThat(workers.get(0).claimedShards() + workers.get(1).claimedShards())
                .isEqualTo(4);
    }

    /** "items" lists 0..19; "double" fans out into {@code shards} shards, each doubling its items. */
    static Pipeline fanOutPipeline(int shards) {
        return Pipeline.builder()
                .stage(
                        "items",
                        ctx -> StageResult.done(IntStream.range(0, 20).boxed().toList()))
                .stage(
                        "double",
                        FanOut.<Integer>of(
                                        ctx -> ShardQueueTest.integers(ctx.output("items", List.class)),
                                        (ctx, items) -> StageResult.done(
                                                items.stream().map(i -> i * 2).toList()))
                                .shards(shards))
                .stage(STAGE, ctx -> StageResult.done(List.of()))
                .build();
    }

    static List<Integer> integers(List<?> raw) {
        return raw.stream().map(o -> ((Number) o).intValue()).toList();
    }
}
