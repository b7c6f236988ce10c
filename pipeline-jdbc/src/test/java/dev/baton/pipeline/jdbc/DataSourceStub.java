package dev.baton.pipeline.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A test's {@link DataSource} that only hands out connections: everything but {@link #getConnection()} is
 * inert, and {@link #proxy} wraps a JDBC object so that the test can watch or change its calls.
 */
abstract class DataSourceStub implements DataSource {

    /** One call on a proxied JDBC object; a {@link Method#invoke} failure is unwrapped by the proxy. */
    interface Call {
        Object invoke(Method method, Object[] args) throws Throwable;
    }

    /** @return {@code type} whose every call goes to {@code call} */
    static <T> T proxy(Class<T> type, Call call) {
        InvocationHandler handler = (p, method, args) -> {
            try {
                return call.invoke(method, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLException("not used");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return false;
    }
}
