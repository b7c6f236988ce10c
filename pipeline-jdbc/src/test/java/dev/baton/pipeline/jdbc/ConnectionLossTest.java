package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StoreException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A connection terminated by the server ({@code pg_terminate_backend}) at the worst moment surfaces as a
 * {@link StoreException} naming the operation and the batch, with Jdbi's exception as its cause, never as an
 * empty, {@code false} or partial result, and leaves nothing half-written.
 */
class ConnectionLossTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);

    JdbcStageStore healthy;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        healthy = JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        sql = new Sql(PG.dataSource());
    }

    /**
     * A store whose connections are terminated by the server as soon as a statement matching {@code when} is prepared.
     */
    JdbcStageStore killingBefore(Predicate<String> when) {
        return JdbcStageStore.builder(new KillingDataSource(when.and(ConnectionLossTest::notTheSchemaCheck), false))
                .chunkThreshold(1024)
                .build();
    }

    /** A store whose connections are terminated by the server right after a statement matching {@code when} has run. */
    JdbcStageStore killingAfter(Predicate<String> when) {
        return JdbcStageStore.builder(new KillingDataSource(when.and(ConnectionLossTest::notTheSchemaCheck), true))
                .chunkThreshold(1024)
                .build();
    }

    /** The store checks its tables when built; these tests cut the calls after that. */
    static boolean notTheSchemaCheck(String statement) {
        return !statement.contains("pg_attribute");
    }

    @Test
    void a_claim_on_a_terminated_connection_throws_instead_of_reporting_nothing_to_claim() {
        healthy.create(1, "setup");
        Map<String, Object> before = sql.queueRow(1);
        JdbcStageStore store = killingBefore(s -> s.startsWith("UPDATE"));
        assertThatThrownBy(() -> store.claim(1, "setup", "w", LEASE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("claiming stage 'setup' of batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(sql.queueRow(1)).isEqualTo(before);
    }

    @Test
    void an_advance_cut_between_the_queue_update_and_the_output_rows_throws_and_commits_nothing() {
        healthy.create(1, "setup");
        BatchRecord claim = healthy.claim(1, "setup", "w", LEASE).orElseThrow();
        Map<String, Object> before = sql.queueRow(1);
        JdbcStageStore store = killingBefore(s -> s.startsWith("INSERT INTO batch_processing_data"));
        String output = JdbcStageStoreTest.bigJson(5_000);

        assertThatThrownBy(() -> store.advance(claim, output, "extraction", StageStats.NONE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("committing the output of stage 'setup' of batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(sql.outputRows(1)).isZero();
        assertThat(healthy.advance(claim, output, "extraction", StageStats.NONE))
                .as("the claim still holds")
                .isTrue();
        assertThat(healthy.readOutput(1, "setup")).contains(output);
    }

    @Test
    void a_jackson_output_whose_connection_dies_while_it_streams_out_throws_the_database_error_and_commits_nothing() {
        healthy.create(1, "setup");
        BatchRecord claim = healthy.claim(1, "setup", "w", LEASE).orElseThrow();
        Map<String, Object> before = sql.queueRow(1);
        JdbcStageStore store = killingBefore(s -> s.startsWith("INSERT INTO batch_processing_data"));
        // Jackson wraps what a writer throws inside a collection in a JsonMappingException; the store still reports the
        // database
        List<Map<String, Object>> items = java.util.stream.IntStream.range(0, 2_000)
                .mapToObj(i -> Map.<String, Object>of("n", i))
                .toList();
        JsonSource output = JsonSource.streamed(out -> new ObjectMapper()
                .writer()
                .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .writeValue(out, items));

        assertThatThrownBy(() -> store.advance(claim, output, "extraction", StageStats.NONE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("committing the output of stage 'setup' of batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(sql.outputRows(1)).isZero();
        assertThat(healthy.advance(claim, output, "extraction", StageStats.NONE))
                .as("the claim still holds")
                .isTrue();
        assertThat(healthy.readOutput(
                        1, "setup", in -> new ObjectMapper().readTree(in).size()))
                .contains(2_000);
    }

    @Test
    void a_chunked_output_whose_connection_dies_while_it_streams_in_throws_instead_of_returning_a_part() {
        healthy.create(1, "setup");
        String output = JdbcStageStoreTest.bigJson(20_000);
        assertThat(healthy.advance(
                        healthy.claim(1, "setup", "w", LEASE).orElseThrow(), output, "extraction", StageStats.NONE))
                .isTrue();
        assertThat(sql.outputRows(1)).isGreaterThan(2);
        JdbcStageStore store = killingAfter(s -> s.startsWith("SELECT chunk"));
        assertThatThrownBy(() -> store.readOutput(1, "setup"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("reading the output of stage 'setup' of batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(healthy.readOutput(1, "setup")).contains(output);
    }

    @Test
    void a_start_whose_connection_dies_while_its_input_streams_in_throws_and_leaves_no_run() {
        JdbcStageStore store = killingBefore(s -> s.startsWith("INSERT INTO batch_processing_data"));
        String input = JdbcStageStoreTest.bigJson(5_000);

        assertThatThrownBy(() -> store.create(1, "setup", JsonSource.ofText(input), Duration.ZERO))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("starting batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(sql.queueRow(1)).isEmpty();
        assertThat(sql.outputRows(1)).isZero();
        assertThat(healthy.create(1, "setup", JsonSource.ofText(input), Duration.ZERO)
                        .isNew())
                .isTrue();
        assertThat(healthy.readInput(1, in -> in.read() >= 0)).contains(true);
    }

    @Test
    void a_rescue_or_a_sweep_on_a_terminated_connection_throws() {
        healthy.create(1, "setup");
        healthy.claim(1, "setup", "w", LEASE).orElseThrow();
        sql.expireLease(1);
        BatchRecord stalled = healthy.findStalled(Duration.ZERO, 1).get(0);
        JdbcStageStore store = killingBefore(s -> true);
        assertThatThrownBy(() -> store.findStalled(Duration.ZERO, 10))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("finding stalled batches failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThatThrownBy(() -> store.rescue(stalled, "lease expired", false))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("rescuing stage 'setup' of batch 1 failed")
                .hasCauseInstanceOf(JdbiException.class);
        assertThat(healthy.find(1).orElseThrow().state()).isEqualTo(BatchState.IN_PROGRESS);
    }

    /** Hands out connections of the test's schema that the server terminates around a chosen statement. */
    static final class KillingDataSource extends DataSourceStub {
        private final Predicate<String> when;
        private final boolean afterExecute;

        KillingDataSource(Predicate<String> when, boolean afterExecute) {
            this.when = when;
            this.afterExecute = afterExecute;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = PG.dataSource().getConnection();
            int pid;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            return proxy(Connection.class, (method, args) -> {
                if (method.getName().equals("prepareStatement") && when.test(((String) args[0]).strip())) {
                    if (!afterExecute) {
                        terminate(pid);
                        return method.invoke(c, args);
                    }
                    PreparedStatement ps = (PreparedStatement) method.invoke(c, args);
                    return proxy(PreparedStatement.class, (m, a) -> {
                        Object result = m.invoke(ps, a);
                        if (m.getName().startsWith("execute")) {
                            terminate(pid);
                        }
                        return result;
                    });
                }
                return method.invoke(c, args);
            });
        }

        /** Terminates the backend and waits until it has exited, so the next round trip fails for sure. */
        private static void terminate(int pid) throws SQLException {
            try (Connection admin = PG.dataSource().getConnection();
                    PreparedStatement s = admin.prepareStatement("SELECT pg_terminate_backend(?, 10000)")) {
                s.setInt(1, pid);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertThat(rs.getBoolean(1))
                            .as("backend %d terminated", pid)
                            .isTrue();
                }
            }
        }
    }
}
