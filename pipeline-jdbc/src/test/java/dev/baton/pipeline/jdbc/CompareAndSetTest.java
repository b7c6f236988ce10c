package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * At most one execution of a stage commits, checked at the table level (docs/architecture.md, I2 and I3): a lost
 * or duplicated claim writes no row at all, under real concurrency.
 */
class CompareAndSetTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);
    static final int THREADS = 16;

    HikariDataSource connections;
    JdbcStageStore store;
    Sql sql;
    ExecutorService pool;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(THREADS + 1);
        connections = new HikariDataSource(config);
        store = JdbcStageStore.builder(connections).chunkThreshold(1024).build();
        sql = new Sql(connections);
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        connections.close();
    }

    /** Runs the tasks together, released by one latch, and returns their results in order. */
    <T> List<T> race(List<Callable<T>> tasks) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> task : tasks) {
            futures.add(pool.submit(() -> {
                go.await();
                return task.call();
            }));
        }
        go.countDown();
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get());
        }
        return results;
    }

    @Test
    void a_claim_lost_to_the_sweeper_writes_no_output_row_and_leaves_the_queue_row_untouched() {
        store.create(1, "setup");
        BatchRecord stale = store.claim(1, "setup", "w1", LEASE).orElseThrow();
        sql.expireLease(1);
        BatchRecord rescued = store.rescue(store.findStalled(Duration.ZERO, 10).get(0), "lease expired", false)
                .orElseThrow();
        Map<String, Object> after = sql.queueRow(1);

        String chunked = JdbcStageStoreTest.bigJson(5_000);
        assertThat(store.advance(stale, chunked, "extraction", StageStats.NONE)).isFalse();
        assertThat(store.advanceAndClaim(stale, chunked, "extraction", StageStats.NONE, LEASE))
                .isEmpty();
        assertThat(store.saveProgress(stale, "{\"at\":1}", chunked, StageStats.NONE))
                .isFalse();
        assertThat(store.scheduleRetry(stale, "late", Duration.ZERO, StageStats.NONE))
                .isFalse();
        assertThat(store.fail(stale, "late", StageStats.NONE)).isFalse();
        assertThat(store.heartbeat(stale, LEASE)).isFalse();

        assertThat(sql.outputRows(1)).isZero();
        assertThat(sql.queueRow(1)).isEqualTo(after);
        assertThat(rescued.version()).isGreaterThan(stale.version());
    }

    @Test
    void a_claim_by_another_owner_at_the_same_version_is_refused() {
        store.create(1, "setup");
        BatchRecord c = store.claim(1, "setup", "w1", LEASE).orElseThrow();
        BatchRecord impostor = new BatchRecord(
                c.batchId(),
                c.stage(),
                c.state(),
                c.attempt(),
                c.error(),
                c.version(),
                "w2",
                c.leaseUntil(),
                c.runAfter(),
                c.cursor(),
                c.stageStats(),
                c.createdAt(),
                c.updatedAt(),
                c.hasInput());
        assertThat(store.advance(impostor, "1", "extraction", StageStats.NONE)).isFalse();
        assertThat(sql.outputRows(1)).isZero();
        assertThat(store.advance(c, "1", "extraction", StageStats.NONE)).isTrue();
    }

    @Test
    void sixteen_threads_advancing_one_claim_commit_once_and_only_the_winners_chunks_are_stored() throws Exception {
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", LEASE).orElseThrow();
        List<String> outputs = new ArrayList<>();
        List<Callable<Boolean>> tasks = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            String output =
                    "{\"thread\":" + i + ",\"pad\":\"" + Integer.toString(i, 36).repeat(3_000 + 500 * i) + "\"}";
            outputs.add(output);
            tasks.add(() -> store.advance(claim, output, "extraction", new StageStats(1, 1, 5, null, null)));
        }
        List<Boolean> results = race(tasks);

        assertThat(results).containsOnlyOnce(true);
        String winner = outputs.get(results.indexOf(true));
        assertThat(store.readOutput(1, "setup")).contains(winner);
        assertThat(sql.count(
                        "SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND chunks = ?",
                        sql.outputRows(1)))
                .isEqualTo(sql.outputRows(1));
        BatchRecord row = store.find(1).orElseThrow();
        assertThat(row.version()).isEqualTo(claim.version() + 1);
        assertThat(row.stage()).isEqualTo("extraction");
    }

    @Test
    void an_owner_committing_while_a_sweeper_rescues_its_expired_lease_lets_exactly_one_win() throws Exception {
        int batches = 12;
        List<Callable<Boolean>> tasks = new ArrayList<>();
        for (long id = 1; id <= batches; id++) {
            store.create(id, "setup");
            BatchRecord claim = store.claim(id, "setup", "w", LEASE).orElseThrow();
            sql.expireLease(id);
            BatchRecord stalled = store.find(id).orElseThrow();
            String output = JdbcStageStoreTest.bigJson(3_000);
            tasks.add(() -> store.advance(claim, output, "extraction", StageStats.NONE));
            tasks.add(() -> store.rescue(stalled, "lease expired", false).isPresent());
        }
        List<Boolean> results = race(tasks);

        for (int b = 0; b < batches; b++) {
            long id = b + 1;
            boolean advanced = results.get(2 * b);
            boolean rescued = results.get(2 * b + 1);
            assertThat(advanced ^ rescued)
                    .as("exactly one of advance and rescue won for batch %d", id)
                    .isTrue();
            BatchRecord row = store.find(id).orElseThrow();
            assertThat(row.stage()).isEqualTo(advanced ? "extraction" : "setup");
            assertThat(row.attempt()).isEqualTo(advanced ? 1 : 2);
            assertThat(sql.outputRows(id) > 0).isEqualTo(advanced);
        }
    }

    @Test
    void a_claim_racing_a_cancel_either_runs_first_or_finds_the_batch_cancelled() throws Exception {
        int batches = 12;
        List<Callable<Optional<BatchRecord>>> tasks = new ArrayList<>();
        for (long id = 1; id <= batches; id++) {
            long b = id;
            store.create(id, "setup");
            tasks.add(() -> store.claim(b, "setup", "w", LEASE));
            tasks.add(() -> store.cancel(b));
        }
        List<Optional<BatchRecord>> results = race(tasks);
        for (int b = 0; b < batches; b++) {
            long id = b + 1;
            assertThat(results.get(2 * b + 1)).as("cancel of batch %d", id).isPresent();
            assertThat(store.find(id).orElseThrow().state()).isEqualTo(BatchState.CANCELLED);
            results.get(2 * b)
                    .ifPresent(claim -> assertThat(store.advance(claim, "1", "extraction", StageStats.NONE))
                            .isFalse());
            assertThat(sql.outputRows(id)).isZero();
        }
    }
}
