package dev.baton.pipeline.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands out the host's connections with a network timeout ({@link Connection#setNetworkTimeout}) for as
 * long as Baton holds them: every round trip on them fails after the timeout instead of waiting forever on
 * a connection the network has silently dropped (a NAT or load balancer that forgot the flow, a failover).
 * The connection's previous timeout is put back when it is closed, so a pooled connection returns to the
 * pool as it came. The driver closes a connection whose read timed out, and a pool discards it.
 */
final class TimedDataSource implements DataSource {
    /** pgjdbc ignores the executor; the timeout itself is applied on the calling thread. */
    private static final Executor DIRECT = Runnable::run;

    private final DataSource target;
    private final int millis;

    /**
     * @param target the host's data source, usually a pool
     * @param timeout the longest wait for one round trip, at most {@link Integer#MAX_VALUE} ms
     */
    TimedDataSource(DataSource target, Duration timeout) {
        this.target = Objects.requireNonNull(target, "target");
        this.millis = Math.toIntExact(timeout.toMillis());
    }

    /** @return the host's data source */
    DataSource target() {
        return target;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return timed(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return timed(target.getConnection(username, password));
    }

    private Connection timed(Connection c) throws SQLException {
        int previous;
        try {
            previous = c.getNetworkTimeout();
            c.setNetworkTimeout(DIRECT, millis);
        } catch (SQLFeatureNotSupportedException e) {
            closeAfterFailure(c, e);
            throw new SQLFeatureNotSupportedException(
                    "the data source's connections (" + c.getClass().getName()
                            + ") do not support Connection.setNetworkTimeout, which JdbcStageStore needs to bound its "
                            + "waits on the"
                            + " network; give it a PostgreSQL (pgjdbc) data source or a pool over one",
                    e);
        } catch (SQLException | RuntimeException e) {
            closeAfterFailure(c, e);
            throw e;
        }
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, new Restoring(c, previous));
    }

    private static void closeAfterFailure(Connection c, Exception failure) {
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** Forwards every call to the connection; on the first {@code close} puts its network timeout back first. */
    private static final class Restoring implements InvocationHandler {
        private final Connection target;
        private final int previous;
        private boolean closed;

        Restoring(Connection target, int previous) {
            this.target = target;
            this.previous = previous;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close":
                    close();
                    return null;
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "timed " + target;
                default:
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        }

        private synchronized void close() throws SQLException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (!target.isClosed()) {
                    target.setNetworkTimeout(DIRECT, previous);
                }
            } catch (SQLException e) {
                // a broken connection: closing it below is all that is left to do
            } finally {
                target.close();
            }
        }
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
        return type.isInstance(this) ? type.cast(this) : target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || target.isWrapperFor(type);
    }
}
