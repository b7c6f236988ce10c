package dev.baton.cli;

import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StoreException;
import java.time.Duration;
import java.util.Locale;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The database of one run: a data source whose connect and login waits are bounded, and Baton's store on it,
 * built on first use (building checks the tables). No pool: a command makes a handful of round trips.
 */
final class Session {
    /** The longest wait for one round trip, once connected: a purge page may delete many chunk rows. */
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(30);

    private final PGSimpleDataSource dataSource;
    private JdbcStageStore store;

    private Session(PGSimpleDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @param url a PostgreSQL JDBC URL; its own {@code connectTimeout} and {@code loginTimeout} win
     * @param connectTimeout the longest wait to connect and log in otherwise
     * @return the session
     * @throws CliException if the URL is not a PostgreSQL JDBC URL
     */
    static Session open(String url, Duration connectTimeout) {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new CliException(
                    Exit.USAGE, "usage", "'" + url + "' is not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        try {
            ds.setURL(url);
        } catch (IllegalArgumentException e) {
            throw new CliException(Exit.USAGE, "usage", "cannot read the JDBC URL: " + e.getMessage());
        }
        int seconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toSeconds()));
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.contains("connecttimeout=")) {
            ds.setConnectTimeout(seconds);
        }
        if (!lower.contains("logintimeout=")) {
            ds.setLoginTimeout(seconds);
        }
        if (!lower.contains("sockettimeout=")) {
            ds.setSocketTimeout((int) NETWORK_TIMEOUT.toSeconds());
        }
        return new Session(ds);
    }

    /** @return the data source */
    DataSource dataSource() {
        return dataSource;
    }

    /**
     * @return Baton's store on the database
     * @throws CliException if the database cannot be reached (exit 6) or Baton's tables are missing (exit 7)
     */
    JdbcStageStore store() {
        if (store == null) {
            try {
                store = JdbcStageStore.builder(dataSource)
                        .networkTimeout(NETWORK_TIMEOUT)
                        .build();
            } catch (IllegalStateException e) {
                throw new CliException(Exit.SCHEMA, "schema", e.getMessage() + " (with this tool: baton migrate)");
            } catch (StoreException e) {
                throw new CliException(
                        Exit.DATABASE, "database", "cannot reach the database at " + where() + ": " + e.getMessage());
            }
        }
        return store;
    }

    /** @return host, port and database, never the password */
    String where() {
        return String.join(",", dataSource.getServerNames()) + ":" + dataSource.getPortNumbers()[0] + "/"
                + dataSource.getDatabaseName();
    }
}
