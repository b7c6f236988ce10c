package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StoreException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group commit keeps every invariant of a single commit (docs/architecture.md, I2, I3 and I32): each row of a
 * group has its own compare-and-set, a group the database refuses or loses is committed one advance at a time,
 * and no advance is lost or committed twice.
 *
 * <p>To make a group form for sure, the test holds the row locks of two batches, so that both commit slots are
 * busy with a lone advance each while the advances under test queue; releasing the locks lets the queued ones
 * commit as one group.
 */
class GroupCommitTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);
    static final Duration WAIT = Duration.ofSeconds(30);

    HikariDataSource connections;
    JdbcStageStore store;
    GroupCommit group;
    Sql sql;
    ExecutorService pool;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(24);
        connections = new HikariDataSource(config);
        store = JdbcStageStore.builder(connections)
                .groupCommit(32, Duration.ZERO)
                .build();
        group = store.groupCommit();
        sql = new Sql(connections);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        connections.close();
    }

    @Test
    void advances_that_wait_together_commit_as_one_group_each_with_its_own_output() throws Exception {
        List<BatchRecord> claims = claims(1, 10);
        List<Future<Boolean>> advanced;
        try (RowLocks held = lock(1, 2)) {
            advanced = advanceAll(claims, 2);
        }
        for (Future<Boolean> f : advanced) {
            assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
        assertThat(group.groups()).isEqualTo(1);
        assertThat(group.grouped()).isEqualTo(8);
        for (BatchRecord claim : claims) {
            assertAdvancedOnce(claim, "b");
        }
    }

    @Test
    void a_lost_claim_inside_a_group_is_left_out_and_the_others_commit() throws Exception {
        List<BatchRecord> claims = claims(1, 10);
        // the sweeper took batch 5 back while its stage ran: its claim is stale
        BatchRecord stale = claims.get(4);
        assertThat(sql.update("UPDATE batch_processing_queue SET version = version + 1 WHERE batch_id = 5"))
                .isOne();
        List<Future<Boolean>> advanced;
        try (RowLocks held = lock(1, 2)) {
            advanced = advanceAll(claims, 2);
        }
        for (int i = 0; i < claims.size(); i++) {
            assertThat(advanced.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("batch %d advanced", claims.get(i).batchId())
                    .isEqualTo(claims.get(i) != stale);
        }
        assertThat(group.grouped()).isEqualTo(8);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 5"))
                .isZero();
        assertThat(store.find(5).orElseThrow().stage()).isEqualTo("a");
        claims.stream().filter(c -> c != stale).forEach(c -> assertAdvancedOnce(c, "b"));
    }

    @Test
    void an_output_the_database_refuses_fails_only_its_own_stage_and_its_group_commits_alone() throws Exception {
        sql.execute("CREATE FUNCTION refuse_output() RETURNS trigger LANGUAGE plpgsql AS $$"
                + " BEGIN RAISE EXCEPTION 'no room for the output of batch %', NEW.batch_id; END $$");
        sql.execute("CREATE TRIGGER refuse BEFORE INSERT ON batch_processing_data FOR EACH ROW"
                + " WHEN (NEW.batch_id = 6) EXECUTE FUNCTION refuse_output()");
        List<BatchRecord> claims = claims(1, 10);
        List<Future<Boolean>> advanced;
        try (RowLocks held = lock(1, 2)) {
            advanced = advanceAll(claims, 2);
        }
        for (int i = 0; i < claims.size(); i++) {
            Future<Boolean> f = advanced.get(i);
            if (claims.get(i).batchId() == 6) {
                assertThatThrownBy(() -> f.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .hasCauseInstanceOf(StoreException.class)
                        .hasMessageContaining("stage 'a' of batch 6")
                        .hasMessageContaining("no room for the output of batch 6");
            } else {
                assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(group.groups()).as("the group failed as a whole").isZero();
        BatchRecord refused = store.find(6).orElseThrow();
        assertThat(refused.stage()).isEqualTo("a");
        assertThat(refused.version()).isEqualTo(claims.get(5).version());
        claims.stream().filter(c -> c.batchId() != 6).forEach(c -> assertAdvancedOnce(c, "b"));
    }

    @Test
    void a_connection_killed_mid_flush_loses_nothing_and_commits_nothing_twice() throws Exception {
        List<BatchRecord> claims = claims(1, 10);
        List<Future<Boolean>> advanced;
        try (RowLocks third = lock(3)) {
            try (RowLocks held = lock(1, 2)) {
                advanced = advanceAll(claims, 2);
            }
            // the group of batches 3..10 now waits for batch 3's row lock: kill its connection
            await(() -> flushingPids().size() == 1, "the group's statement waits for the lock of batch 3");
            long pid = flushingPids().get(0);
            assertThat(sql.rows("SELECT pg_terminate_backend(CAST(? AS int)) AS killed", pid)
                            .get(0))
                    .containsEntry("killed", true);
            // every advance of the dead group now commits alone; batch 3's waits for the lock again
            await(() -> store.find(10).orElseThrow().stage().equals("b"), "batch 10 advanced alone");
        }
        for (Future<Boolean> f : advanced) {
            assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
        assertThat(group.groups()).isZero();
        for (BatchRecord claim : claims) {
            assertAdvancedOnce(claim, "b");
        }
    }

    @Test
    void sixteen_threads_racing_the_same_stages_while_groups_flush_commit_each_stage_exactly_once() throws Exception {
        int batches = 200;
        int threads = 16;
        for (long b = 1; b <= batches; b++) {
            store.create(b, "a");
        }
        Map<Long, BatchRecord> granted = new ConcurrentHashMap<>();
        Map<Long, String> winners = new ConcurrentHashMap<>();
        AtomicInteger commits = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> racers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String owner = "racer-" + t;
            racers.add(pool.submit((Callable<Void>) () -> {
                assertThat(go.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                for (long b = 1; b <= batches; b++) {
                    // every racer claims each batch's stage; one that lost the claim commits the winner's claim
                    // as well, as a duplicate delivery of it would
                    BatchRecord claim = store.claim(b, "a", owner, LEASE).orElse(null);
                    if (claim != null) {
                        granted.put(b, claim);
                    }
                    BatchRecord attempt = claim != null ? claim : granted.get(b);
                    if (attempt == null) {
                        continue;
                    }
                    String output = "{\"by\":\"" + owner + "\"}";
                    if (store.advance(attempt, JsonSource.ofText(output), "b", StageStats.NONE)) {
                        assertThat(winners.putIfAbsent(attempt.batchId(), owner))
                                .as("batch %d advanced twice", attempt.batchId())
                                .isNull();
                        commits.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> r : racers) {
            r.get(2, TimeUnit.MINUTES);
        }
        assertThat(commits.get()).isEqualTo(batches);
        Map<Long, String> stored =
                sql.rows("SELECT batch_id, data->>'by' AS by FROM batch_processing_data WHERE stage = 'a'").stream()
                        .collect(Collectors.toMap(
                                r -> ((Number) r.get("batch_id")).longValue(), r -> (String) r.get("by")));
        assertThat(stored).isEqualTo(winners);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE current_stage = 'b'"
                        + " AND status = 'pending' AND version = 2"))
                .isEqualTo(batches);
    }

    @Test
    void an_advance_that_claims_the_next_stage_keeps_that_claim_inside_a_group() throws Exception {
        List<BatchRecord> claims = claims(1, 10);
        List<Future<BatchRecord>> chained = new ArrayList<>();
        try (RowLocks held = lock(1, 2)) {
            for (BatchRecord claim : claims) {
                chained.add(pool.submit(() -> store.advanceAndClaim(claim, output(claim), "b", StageStats.NONE, LEASE)
                        .orElseThrow()));
            }
            await(() -> group.queued() == 8, "8 advances queued behind the two held ones");
        }
        for (int i = 0; i < claims.size(); i++) {
            BatchRecord next = chained.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(next.stage()).isEqualTo("b");
            assertThat(next.leaseOwner()).isEqualTo(claims.get(i).leaseOwner());
            // the returned claim is the row's: the next stage commits with it
            assertThat(store.advance(next, JsonSource.ofText("2"), "c", StageStats.NONE))
                    .isTrue();
        }
        assertThat(group.groups()).isEqualTo(1);
    }

    @Test
    void a_store_without_group_commit_commits_every_advance_alone() {
        JdbcStageStore alone = JdbcStageStore.builder(connections)
                .groupCommit(1, Duration.ZERO)
                .build();
        assertThat(alone.groupCommit()).isNull();
        BatchRecord claim = claims(1, 1).get(0);
        assertThat(alone.advance(claim, output(claim), "b", StageStats.NONE)).isTrue();
        assertAdvancedOnce(claim, "b");
    }

    @Test
    void group_commit_settings_out_of_range_are_refused_with_the_range() {
        JdbcStageStore.Builder builder = JdbcStageStore.builder(connections);
        assertThatThrownBy(() -> builder.groupCommit(0, Duration.ZERO))
                .hasMessageContaining("between 1 (no group commit) and 1000, got 0");
        assertThatThrownBy(() -> builder.groupCommit(8, Duration.ofSeconds(1)))
                .hasMessageContaining("linger must be between 0 and 100 ms");
    }

    /** Creates and claims stage {@code a} of batches {@code from..to}. */
    List<BatchRecord> claims(long from, long to) {
        return LongStream.rangeClosed(from, to)
                .mapToObj(b -> {
                    store.create(b, "a");
                    return store.claim(b, "a", "worker-" + b, LEASE).orElseThrow();
                })
                .toList();
    }

    /**
     * Advances every claim on its own thread: the first {@code held} ones (whose rows the test has locked) take
     * both commit slots, and the rest queue behind them; returns once they have.
     */
    List<Future<Boolean>> advanceAll(List<BatchRecord> claims, int held) {
        List<Future<Boolean>> advanced = new ArrayList<>();
        for (int i = 0; i < claims.size(); i++) {
            BatchRecord claim = claims.get(i);
            advanced.add(pool.submit(() -> store.advance(claim, output(claim), "b", StageStats.NONE)));
            if (i < held) {
                int waiting = i + 1;
                await(() -> lockedAlone() == waiting, "the held advance of batch " + claim.batchId() + " waits");
            }
        }
        await(() -> group.queued() == claims.size() - held, "the other advances queued");
        return advanced;
    }

    static JsonSource output(BatchRecord claim) {
        return JsonSource.ofText("{\"batch\":" + claim.batchId() + "}");
    }

    void assertAdvancedOnce(BatchRecord claim, String next) {
        BatchRecord row = store.find(claim.batchId()).orElseThrow();
        assertThat(row.stage()).as("batch %d", claim.batchId()).isEqualTo(next);
        assertThat(row.version()).as("batch %d", claim.batchId()).isEqualTo(claim.version() + 1);
        assertThat(sql.rows(
                                "SELECT data::text AS data FROM batch_processing_data WHERE batch_id = ? AND stage = ?",
                                claim.batchId(),
                                claim.stage())
                        .get(0))
                .containsEntry("data", "{\"batch\": " + claim.batchId() + "}");
    }

    /** Backends running the group statement and waiting for a lock. */
    List<Long> flushingPids() {
        return sql
                .rows("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%unnest(%'")
                .stream()
                .map(r -> ((Number) r.get("pid")).longValue())
                .toList();
    }

    /** Backends running a single-row advance and waiting for a lock. */
    long lockedAlone() {
        return sql.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND query LIKE '%WITH moved AS%' AND query NOT LIKE '%unnest(%'");
    }

    /** Locks the queue rows of {@code batches} in a transaction of its own until closed. */
    RowLocks lock(long... batches) throws SQLException {
        Connection c = connections.getConnection();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT 1 FROM batch_processing_queue WHERE batch_id IN ("
                    + LongStream.of(batches).mapToObj(Long::toString).collect(Collectors.joining(","))
                    + ") FOR UPDATE");
        }
        return new RowLocks(c);
    }

    record RowLocks(Connection connection) implements AutoCloseable {
        @Override
        public void close() throws SQLException {
            connection.rollback();
            connection.close();
        }
    }

    /** Waits until {@code done}, checking every millisecond, for at most {@link #WAIT}. */
    static void await(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
