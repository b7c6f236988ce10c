package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What six-stage batches cost the database when they run in-process (one {@link InProcessTrigger} thread, so that a
 * finished stage's thread claims the next in its commit): the transactions, by statement, and the WAL they write.
 * The transactions are counted on the store's connections (an auto-commit statement is one, a {@code commit()} ends
 * one) and asserted; WAL bytes ({@code pg_current_wal_insert_lsn()} after a checkpoint) depend on the server's
 * settings and on checkpoints, so they are printed, not asserted.
 */
class TransitionCostTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final int BATCHES = 100;
    static final int STAGES = 6;
    /** A 1 KB output, as the benchmark's stages return. */
    static final Map<String, String> OUTPUT = Map.of("payload", "x".repeat(1_000));

    @Test
    void a_six_stage_batch_in_process_takes_its_start_its_first_claim_and_one_commit_per_stage() throws Exception {
        Map<String, Integer> transactions = run(BATCHES, false);
        assertThat(transactions)
                .as("per batch: the start, the first claim, a commit that claims the next stage, the last commit")
                .isEqualTo(Map.of(
                        "CREATE", BATCHES,
                        "CLAIM", BATCHES,
                        "ADVANCE_AND_CLAIM", BATCHES * (STAGES - 1),
                        "ADVANCE", BATCHES));
    }

    @Test
    void a_stage_that_reads_the_output_before_it_adds_one_read_only_transaction() throws Exception {
        int batches = 50;
        Map<String, Integer> transactions = run(batches, true);
        assertThat(transactions)
                .isEqualTo(Map.of(
                        "CREATE", batches,
                        "CLAIM", batches,
                        "BEGIN+READ_ROWS", batches * (STAGES - 1),
                        "ADVANCE_AND_CLAIM", batches * (STAGES - 1),
                        "ADVANCE", batches));
    }

    /**
     * Runs {@code batches} six-stage batches in-process, one after another on one thread, and prints what they cost.
     *
     * @param reading whether each stage after the first reads the output of the one before it
     * @return the transactions, by the statements in them
     */
    private static Map<String, Integer> run(int batches, boolean reading) throws Exception {
        BatonSchema.migrate(PG.dataSource());
        Counting counting = new Counting(PG.dataSource());
        JdbcStageStore store = JdbcStageStore.builder(counting).build();
        Sql sql = new Sql(PG.dataSource());
        CountDownLatch completed = new CountDownLatch(batches);
        Pipeline.Builder pipeline = Pipeline.builder();
        for (int i = 1; i <= STAGES; i++) {
            String previous = i == 1 || !reading ? null : "stage" + (i - 1);
            pipeline.stage("stage" + i, ctx -> {
                if (previous != null) {
                    ctx.output(previous, Map.class);
                }
                return StageResult.done(OUTPUT);
            });
        }
        Pipeline stages = pipeline.build();
        InProcessTrigger trigger = InProcessTrigger.builder().threads(1).build();
        PipelineRunner runner = PipelineRunner.builder(stages, store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        runner.start();
        try {
            sql.execute("CHECKPOINT");
            String walBefore = walPosition(sql);
            counting.reset();
            // a standalone client starts every batch pending (ClaimedStartCommitsTest counts the claimed start)
            BatchClient client =
                    BatchClient.builder(stages, store).trigger(trigger).build();
            for (long id = 1; id <= batches; id++) {
                client.start(id);
            }
            assertThat(completed.await(5, TimeUnit.MINUTES)).isTrue();
            Map<String, Integer> transactions = counting.transactions();
            long wal = sql.count("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), CAST(? AS pg_lsn))", walBefore);
            int transitions = batches * STAGES;
            int total =
                    transactions.values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf(
                    "%d batches x %d stages in-process, 1 KB outputs%s: %d transactions (%.2f per transition), %d WAL"
                            + " bytes per transition; transactions by statement: %s%n",
                    batches,
                    STAGES,
                    reading ? ", each stage reading the one before" : "",
                    total,
                    (double) total / transitions,
                    wal / transitions,
                    transactions);
            return transactions;
        } finally {
            runner.close();
        }
    }

    private static String walPosition(Sql sql) {
        return String.valueOf(sql.rows("SELECT CAST(pg_current_wal_insert_lsn() AS text) AS lsn")
                .get(0)
                .get("lsn"));
    }

    /**
     * Hands out the test's connections and counts the transactions run on them, each named by the {@link SqlText}
     * statements in it ({@code "BEGIN+ONE+TWO"} for an explicit transaction of two).
     */
    static final class Counting extends DataSourceStub {
        private final DataSource target;
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, Integer> transactions = new TreeMap<>();

        Counting(DataSource target) {
            this.target = target;
            Statements rendered = new Statements(TableNames.defaults());
            for (SqlText statement : SqlText.values()) {
                try {
                    String text = rendered.of(statement);
                    names.put(text, statement.name());
                    names.put(Positional.of(text).text(), statement.name());
                } catch (IllegalArgumentException e) {
                    // rendered where it is used: not a statement of the store's calls
                }
            }
        }

        synchronized void reset() {
            transactions.clear();
        }

        synchronized Map<String, Integer> transactions() {
            return new TreeMap<>(transactions);
        }

        private synchronized void count(String transaction) {
            transactions.merge(transaction, 1, Integer::sum);
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = target.getConnection();
            List<String> open = new ArrayList<>();
            return proxy(Connection.class, (method, args) -> {
                switch (method.getName()) {
                    case "prepareStatement" -> {
                        String name = names.getOrDefault(((String) args[0]), "other");
                        PreparedStatement ps = (PreparedStatement) method.invoke(c, args);
                        return proxy(PreparedStatement.class, (m, a) -> {
                            if (m.getName().startsWith("execute")) {
                                if (c.getAutoCommit()) {
                                    count(name);
                                } else {
                                    open.add(name);
                                }
                            }
                            return m.invoke(ps, a);
                        });
                    }
                    case "commit" -> {
                        count("BEGIN+" + String.join("+", open));
                        open.clear();
                    }
                    case "rollback" -> open.clear();
                    default -> {}
                }
                return method.invoke(c, args);
            });
        }
    }
}
