package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The floor: the least work a durable transition needs, with plain JDBC. Each of the
 * {@code workers} threads holds one connection and runs whole batches; a transition is one
 * transaction that updates the batch's queue row and inserts the stage's output as JSONB. The queue
 * rows are inserted by {@link #setUp} in one statement. No framework, no claim, no lease, no retry
 * bookkeeping: what every contender's transition costs at least.
 */
public final class FloorContender implements Contender {
    static final String SCHEMA = "bench_floor";

    private HikariDataSource pool;

    @Override
    public String name() {
        return "floor";
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        createTables(db, SCHEMA);
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        pool = db.pool(applicationName(), round.workers());
        fillQueue(pool, SCHEMA, round.batches());
    }

    /** Creates the floor's two tables in {@code schema}, dropping what was there. */
    static void createTables(Database db, String schema) throws SQLException {
        db.execute(
                "DROP SCHEMA IF EXISTS " + schema + " CASCADE",
                "CREATE SCHEMA " + schema,
                "CREATE TABLE " + schema
                        + ".queue (batch_id BIGINT PRIMARY KEY, stage INT NOT NULL, updated_at TIMESTAMPTZ NOT NULL)",
                "CREATE TABLE " + schema + ".data (batch_id BIGINT NOT NULL, stage INT NOT NULL, data JSONB NOT NULL,"
                        + " PRIMARY KEY (batch_id, stage))");
    }

    /** Empties the tables in {@code schema} and creates the queue rows of a round, in one statement. */
    static void fillQueue(DataSource pool, String schema, int batches) throws SQLException {
        try (Connection c = pool.getConnection();
                var s = c.createStatement()) {
            s.execute("TRUNCATE " + schema + ".queue, " + schema + ".data");
            s.execute("INSERT INTO " + schema + ".queue SELECT g, 0, now() FROM generate_series(1, " + batches + ") g");
        }
    }

    @Override
    public void run(Round round) throws Exception {
        StageTimeline timeline = round.timeline();
        String json = round.payload().asJson();
        Connection[] connections = new Connection[round.workers()];
        try {
            for (int w = 0; w < connections.length; w++) {
                connections[w] = pool.getConnection();
                connections[w].setAutoCommit(false);
            }
            BatchWorkers.run("floor", round.workers(), round.batches(), Duration.ofMinutes(30), (batch, worker) -> {
                Connection c = connections[worker];
                try (PreparedStatement advance = c.prepareStatement(
                                "UPDATE " + SCHEMA + ".queue SET stage = ?, updated_at = now() WHERE batch_id = ?");
                        PreparedStatement output = c.prepareStatement("INSERT INTO " + SCHEMA
                                + ".data (batch_id, stage, data) VALUES (?, ?, CAST(? AS jsonb))")) {
                    for (int stage = 0; stage < STAGES; stage++) {
                        timeline.begin(batch, stage);
                        timeline.end(batch, stage);
                        advance.setInt(1, stage + 1);
                        advance.setLong(2, batch + 1L);
                        advance.executeUpdate();
                        output.setLong(1, batch + 1L);
                        output.setInt(2, stage);
                        output.setString(3, json);
                        output.executeUpdate();
                        c.commit();
                    }
                }
            });
        } finally {
            for (Connection c : connections) {
                if (c != null) {
                    c.rollback();
                    c.setAutoCommit(true);
                    c.close();
                }
            }
        }
    }

    @Override
    public void tearDown() {
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
