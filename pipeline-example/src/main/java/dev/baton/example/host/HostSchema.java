package dev.baton.example.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * The example app's own migrations: its tables ({@code V1__host_tables.sql}) and the foreign key
 * from Baton's {@code batch_processing_queue.batch_id} to {@code batch.batch_id}
 * ({@code V2__queue_references_batch.sql}). The SQL files sit in
 * {@code dev/baton/example/db/} and run as they are under Flyway too; {@link #migrate} applies
 * those not yet applied, recorded in {@code example_schema_history}, under an advisory lock so
 * that several processes starting at once apply each one once. Thread-safe.
 */
public final class HostSchema {
    /** The migrations that create the host's tables. */
    public static final List<String> TABLES = List.of("V1__host_tables.sql");
    /** Every migration, in order; the last one needs Baton's tables. */
    public static final List<String> ALL = List.of("V1__host_tables.sql", "V2__queue_references_batch.sql");

    private static final long LOCK_KEY = 0x6261746f6e455831L;

    private HostSchema() {}

    /**
     * Applies every migration; run it after Baton's own migration.
     *
     * @param dataSource the database
     * @return how many migrations were applied now
     * @throws SQLException if a migration fails (nothing of it is kept)
     */
    public static int migrate(DataSource dataSource) throws SQLException {
        return migrate(dataSource, ALL);
    }

    /**
     * Applies the given migrations, in order, that are not applied yet, in one transaction.
     *
     * @param dataSource the database
     * @param migrations file names from {@link #ALL}, in order
     * @return how many were applied now
     * @throws SQLException if a migration fails (nothing is kept)
     */
    public static int migrate(DataSource dataSource, List<String> migrations) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                s.execute("CREATE TABLE IF NOT EXISTS example_schema_history ("
                        + "version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                int applied = 0;
                for (String migration : migrations) {
                    if (isApplied(c, migration)) {
                        continue;
                    }
                    s.execute(read(migration));
                    try (PreparedStatement insert =
                            c.prepareStatement("INSERT INTO example_schema_history(version) VALUES (?)")) {
                        insert.setString(1, migration);
                        insert.executeUpdate();
                    }
                    applied++;
                }
                c.commit();
                return applied;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static boolean isApplied(Connection c, String migration) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM example_schema_history WHERE version = ?")) {
            q.setString(1, migration);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String read(String migration) {
        String path = "/dev/baton/example/db/" + migration;
        try (InputStream in = HostSchema.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no migration " + path + " on the class path; known: " + ALL);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path + " failed", e);
        }
    }
}
