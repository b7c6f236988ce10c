package dev.baton.pipeline.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.JdbiException;

/**
 * The statements of a stage transition, in plain JDBC: a claim, the start of a run, the read of a row and the commit
 * of an output that fits one row. Jdbi's set-up of a handle and a statement (configuration copies, argument binding,
 * result iteration) cost more than the round trip itself there; every other statement stays on Jdbi.
 *
 * <p>Each call takes a connection from the store's {@link TimedDataSource}, so every round trip is bounded by the
 * network timeout as on Jdbi, runs one statement (committed on its own, or explicitly when the pool hands out
 * connections outside auto-commit) and gives the connection back. A failure of the database or the driver is thrown
 * as a {@link Failed}, a {@link JdbiException} like the ones of the Jdbi path, with the driver's exception as its
 * cause, so the store reports both the same way (an undefined table or column explained by {@link SchemaCheck}).
 * Thread-safe.
 */
final class HotStatements {
    /** The statements run here; their parameters are bound by position ({@link Positional}). */
    static final Set<SqlText> HOT = EnumSet.of(
            SqlText.CLAIM,
            SqlText.FIND,
            SqlText.CREATE,
            SqlText.ADVANCE,
            SqlText.ADVANCE_AND_CLAIM,
            SqlText.SAVE_PROGRESS,
            SqlText.SAVE_PROGRESS_AND_RETRY,
            SqlText.ADVANCE_GROUP);

    private final DataSource dataSource;
    private final EnumMap<SqlText, Positional> statements = new EnumMap<>(SqlText.class);

    /**
     * @param dataSource the store's data source, whose connections have the network timeout
     * @param sql the store's statements
     */
    HotStatements(TimedDataSource dataSource, Statements sql) {
        this.dataSource = dataSource;
        for (SqlText statement : HOT) {
            statements.put(statement, Positional.of(sql.of(statement)));
        }
    }

    /** Reads one row of a result. */
    @FunctionalInterface
    interface Row<R> {
        R read(ResultSet rs) throws SQLException;
    }

    /**
     * Runs {@code statement} with {@code params} and reads its first row.
     *
     * @return the first row, or empty when there is none
     * @throws Failed if the database or the driver fails (nothing is committed, unless the commit's reply was lost)
     * @throws IllegalArgumentException if {@code statement} is not {@linkplain #HOT hot} or a parameter has no value
     */
    <R> Optional<R> one(SqlText statement, Params params, Row<R> row) {
        List<R> rows = all(statement, params, row, true);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /**
     * Runs {@code statement} with {@code params} and reads every row.
     *
     * @throws Failed if the database or the driver fails (nothing is committed, unless the commit's reply was lost)
     * @throws IllegalArgumentException if {@code statement} is not {@linkplain #HOT hot} or a parameter has no value
     */
    <R> List<R> all(SqlText statement, Params params, Row<R> row) {
        return all(statement, params, row, false);
    }

    private <R> List<R> all(SqlText statement, Params params, Row<R> row, boolean first) {
        Positional p = statements.get(statement);
        if (p == null) {
            throw new IllegalArgumentException(statement + " is not one of the plain JDBC statements " + HOT);
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            try {
                List<R> result = run(c, statement, p, params, row, first);
                if (!autoCommit) {
                    c.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (!autoCommit) {
                    rollBack(c, e);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new Failed(e);
        }
    }

    private static <R> List<R> run(
            Connection c, SqlText statement, Positional p, Params params, Row<R> row, boolean first)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(p.text())) {
            for (int i = 0; i < p.names().size(); i++) {
                String name = p.names().get(i);
                if (!params.has(name)) {
                    throw new IllegalArgumentException(statement + " needs a value for :" + name);
                }
                set(c, ps, i + 1, params.value(name));
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<R> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(row.read(rs));
                    if (first) {
                        break;
                    }
                }
                return rows;
            }
        }
    }

    private static void set(Connection c, PreparedStatement ps, int position, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(position, Types.VARCHAR);
        } else if (value instanceof String s) {
            ps.setString(position, s);
        } else if (value instanceof Long l) {
            ps.setLong(position, l);
        } else if (value instanceof Integer n) {
            ps.setInt(position, n);
        } else if (value instanceof Long[] array) {
            ps.setArray(position, c.createArrayOf("bigint", array));
        } else if (value instanceof String[] array) {
            ps.setArray(position, c.createArrayOf("text", array));
        } else {
            throw new IllegalArgumentException(
                    "cannot bind a " + value.getClass().getName() + " by position");
        }
    }

    private static void rollBack(Connection c, Exception failure) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** A failure of a plain JDBC statement: the driver's exception is its cause; its message never quotes the SQL. */
    static final class Failed extends JdbiException {
        private static final long serialVersionUID = 1L;

        Failed(SQLException cause) {
            super(Failures.databaseSays(cause), cause);
        }
    }
}
