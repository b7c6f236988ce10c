package dev.baton.pipeline.testkit;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Opens connections into one test schema and sets the session time zone on each (the driver sends
 * the JVM's zone at start-up, which wins over a {@code -c TimeZone} option).
 */
final class SessionDataSource implements DataSource {
    private final PGSimpleDataSource target;
    private final String timeZone;

    SessionDataSource(PGSimpleDataSource target, String timeZone) {
        this.target = target;
        this.timeZone = timeZone;
    }

    PGSimpleDataSource target() {
        return target;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return prepare(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return prepare(target.getConnection(username, password));
    }

    private Connection prepare(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET TIME ZONE '" + timeZone + "'");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        return target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || target.isWrapperFor(type);
    }
}
