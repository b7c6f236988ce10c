package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retention on 100,000 finished batches, bulk-inserted with SQL: half finished ten days ago, half an hour ago,
 * interleaved by id; a tenth cancelled, a tenth failed, the rest completed; each with an input row and an output
 * row. Ten more batches are running, through the store.
 */
class RetentionTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final int FINISHED = 100_000;
    static final long RUNNING_FROM = 200_001;
    static final int RUNNING = 10;
    static final Set<BatchState> COMPLETED_OR_CANCELLED = Set.of(BatchState.COMPLETED, BatchState.CANCELLED);
    static final Duration WEEK = Duration.ofDays(7);
    /** Even ids finished ten days ago; of those, completed or cancelled (ids ending in 1 are failed, and odd). */
    static final long OLD_COMPLETED_OR_CANCELLED = FINISHED / 2;

    final ExecutorService threads = Executors.newCachedThreadPool();
    JdbcStageStore store;
    Sql sql;
    Pipeline pipeline;

    @BeforeEach
    void oneHundredThousandFinishedBatchesAndTenRunning() {
        BatonSchema.migrate(PG.dataSource());
        // a lock wait longer than this fails the call instead of hanging the test
        store = JdbcStageStore.builder(PG.dataSource())
                .networkTimeout(Duration.ofSeconds(20))
                .build();
        sql = new Sql(PG.dataSource());
        sql.update(
                "INSERT INTO batch_processing_queue"
                        + " (batch_id, current_stage, status, created_at, updated_at, attempt, version, run_after)"
                        + " SELECT g, CASE WHEN g % 10 IN (0, 1) THEN 'b' ELSE 'completed' END,"
                        + "        CASE g % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'failed' ELSE 'completed' END,"
                        + "        now() - interval '11 days',"
                        + "        now() - CASE WHEN g % 2 = 0 THEN interval '10 days' ELSE interval '30 minutes' END,"
                        + "        1, 3, now() - interval '11 days'"
                        + "   FROM generate_series(1, ?) AS g",
                FINISHED);
        sql.update("INSERT INTO batch_processing_data (batch_id, stage, data, created_at)"
                + " SELECT batch_id, s.stage, '{\"n\": 1}'::jsonb, created_at"
                + "   FROM batch_processing_queue, (VALUES (':input'), ('a')) AS s(stage)");
        pipeline = Pipeline.builder()
                .stage("a", ctx -> StageResult.done("A"))
                .stage("b", ctx -> StageResult.done("B"))
                .build();
        for (long id = RUNNING_FROM; id < RUNNING_FROM + RUNNING; id++) {
            store.create(id, "a");
            store.claim(id, "a", "worker", Duration.ofMinutes(5)).orElseThrow();
        }
        sql.execute("ANALYZE batch_processing_queue");
        sql.execute("ANALYZE batch_processing_data");
    }

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void purging_a_hundred_thousand_finished_batches_keeps_what_is_younger_and_deletes_the_rest_with_their_rows() {
        long purged = BatchClient.builder(pipeline, store).build().purge(WEEK, COMPLETED_OR_CANCELLED);

        assertThat(purged).isEqualTo(OLD_COMPLETED_OR_CANCELLED);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue"))
                .isEqualTo(FINISHED - OLD_COMPLETED_OR_CANCELLED + RUNNING);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status IN ('completed', 'cancelled')"
                        + " AND updated_at < now() - interval '7 days'"))
                .as("nothing old enough is left")
                .isZero();
        assertThat(sql.count(
                        "SELECT count(*) FROM batch_processing_queue WHERE updated_at > now() - interval '1 day'"
                                + " AND batch_id <= ?",
                        FINISHED))
                .as("every batch younger than the period is kept")
                .isEqualTo(FINISHED / 2);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'failed'"))
                .as("failed batches were not asked for")
                .isEqualTo(FINISHED / 10);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data d WHERE NOT EXISTS"
                        + " (SELECT FROM batch_processing_queue q WHERE q.batch_id = d.batch_id)"))
                .as("no output or input row outlives its batch")
                .isZero();
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data"))
                .as("the kept batches keep their input and output")
                .isEqualTo(2 * (FINISHED - OLD_COMPLETED_OR_CANCELLED));
        assertThat(store.list(Set.of(BatchState.IN_PROGRESS), 0, 100)).hasSize(RUNNING);
        assertThat(BatchClient.builder(pipeline, store).build().purge(WEEK, COMPLETED_OR_CANCELLED))
                .as("a second purge finds nothing")
                .isZero();
    }

    @Test
    void while_a_purge_page_is_uncommitted_a_running_batch_commits_and_an_operator_waits_for_that_page_only()
            throws Exception {
        try (Connection page = PG.dataSource().getConnection()) {
            page.setAutoCommit(false);
            long pagePid = pid(page);
            List<Long> locked = purgePage(page);
            assertThat(locked).hasSize(BatchClient.PURGE_PAGE).allMatch(id -> id % 2 == 0);

            // the page's transaction is open and holds its 500 rows: a running batch claims, beats, advances and
            // completes on the same tables, and nothing of it waits
            long running = RUNNING_FROM;
            BatchRecord claim = store.find(running).orElseThrow();
            assertThat(store.heartbeat(claim, Duration.ofMinutes(5))).isTrue();
            BatchRecord next = store.advanceAndClaim(claim, "\"A\"", "b", StageStats.NONE, Duration.ofMinutes(5))
                    .orElseThrow();
            assertThat(store.advance(next, "\"B\"", Pipeline.COMPLETED, StageStats.NONE))
                    .isTrue();
            store.create(RUNNING_FROM + 100, "a");
            assertThat(store.claim(RUNNING_FROM + 100, "a", "worker", Duration.ofMinutes(5)))
                    .isPresent();
            assertThat(inTransaction(pagePid))
                    .as("the purge page is still uncommitted")
                    .isTrue();
            assertThat(store.find(running).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);

            // an operator's restart of a batch in the page waits for the page's commit, and no longer
            long doomed = locked.get(0);
            Future<Optional<BatchRecord>> restart = threads.submit(() -> store.reset(doomed, "a", List.of("b"), -1));
            awaitBlockedBy(pagePid);
            assertThat(restart.isDone()).isFalse();
            page.commit();
            assertThat(restart.get(20, TimeUnit.SECONDS))
                    .as("the batch was purged under it: nothing to restart")
                    .isEmpty();
        }
        assertThat(store.find(locked(0))).isEmpty();
        long rest = BatchClient.builder(pipeline, store).build().purge(WEEK, COMPLETED_OR_CANCELLED);
        assertThat(rest).isEqualTo(OLD_COMPLETED_OR_CANCELLED - BatchClient.PURGE_PAGE);
    }

    @Test
    void batches_run_to_completion_while_the_purge_of_a_hundred_thousand_goes_on() throws Exception {
        BatchClient client = BatchClient.builder(pipeline, store).build();
        CompletableFuture<Long> purge =
                CompletableFuture.supplyAsync(() -> client.purge(WEEK, COMPLETED_OR_CANCELLED), threads);
        for (long id = RUNNING_FROM; id < RUNNING_FROM + RUNNING; id++) {
            BatchRecord claim = store.find(id).orElseThrow();
            BatchRecord next = store.advanceAndClaim(claim, "\"A\"", "b", StageStats.NONE, Duration.ofMinutes(5))
                    .orElseThrow();
            assertThat(store.advance(next, "\"B\"", Pipeline.COMPLETED, StageStats.NONE))
                    .isTrue();
        }
        assertThat(purge.get(5, TimeUnit.MINUTES)).isEqualTo(OLD_COMPLETED_OR_CANCELLED);
        for (long id = RUNNING_FROM; id < RUNNING_FROM + RUNNING; id++) {
            assertThat(store.find(id).map(BatchRecord::state))
                    .as("batch %d completed during the purge, younger than the period: kept", id)
                    .contains(BatchState.COMPLETED);
        }
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE batch_id >= ?", RUNNING_FROM))
                .isEqualTo(RUNNING);
    }

    @Test
    void the_client_refuses_to_purge_batches_that_have_not_finished() {
        BatchClient client = BatchClient.builder(pipeline, store).build();
        assertThatThrownBy(() -> client.purge(WEEK, Set.of(BatchState.COMPLETED, BatchState.IN_PROGRESS)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only finished batches can be purged")
                .hasMessageContaining("in_progress");
        assertThatThrownBy(() -> client.purge(WEEK, Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("completed, cancelled and/or failed");
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue")).isEqualTo(FINISHED + RUNNING);
    }

    private long locked(int index) {
        return 2L * (index + 1);
    }

    /** Runs one purge page, as the store would, on {@code c} without committing it. */
    private static List<Long> purgePage(Connection c) throws Exception {
        String text = new Statements(TableNames.defaults()).of(SqlText.PURGE_FINISHED);
        try (PreparedStatement s = c.prepareStatement(text.replace(":after", "?")
                .replace(":states", "?")
                .replace(":age", "?")
                .replace(":limit", "?"))) {
            s.setLong(1, 0);
            s.setArray(2, c.createArrayOf("text", new String[] {"cancelled", "completed"}));
            s.setLong(3, WEEK.toMillis());
            s.setInt(4, BatchClient.PURGE_PAGE);
            try (ResultSet rs = s.executeQuery()) {
                List<Long> ids = new java.util.ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
                return ids;
            }
        }
    }

    private static long pid(Connection c) throws Exception {
        try (var s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private boolean inTransaction(long pid) {
        return sql.count("SELECT count(*) FROM pg_stat_activity WHERE pid = ? AND state = 'idle in transaction'", pid)
                == 1;
    }

    /** Polls, with a generous deadline, until a backend waits on a lock that {@code pid} holds. */
    private void awaitBlockedBy(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sql.count("SELECT count(*) FROM pg_stat_activity WHERE ?::int = ANY(pg_blocking_pids(pid))", pid) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no backend waited on the purge page's locks");
            }
            Thread.sleep(5);
        }
    }
}
