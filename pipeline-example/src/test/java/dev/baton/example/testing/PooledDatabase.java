package dev.baton.example.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.testkit.PostgresExtension;
import javax.sql.DataSource;

/**
 * A HikariCP pool over the test's schema, as the app uses in production: the testkit's data source
 * opens a new server connection per call, which makes a busy pipeline test slow for no reason.
 */
public final class PooledDatabase implements AutoCloseable {
    private final HikariDataSource pool;

    /** @param pg the test's database */
    public PooledDatabase(PostgresExtension pg) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.jdbcUrl());
        config.setMaximumPoolSize(24);
        config.setPoolName("example-test");
        this.pool = new HikariDataSource(config);
    }

    /** @return the pooled data source */
    public DataSource dataSource() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
    }
}
