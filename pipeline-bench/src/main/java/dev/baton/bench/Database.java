package dev.baton.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * The one PostgreSQL every contender runs against: an embedded PostgreSQL 17 (io.zonky.test) started
 * for this run with the given server settings, or an existing server named by a JDBC URL. Hands out
 * connection pools tagged with an {@code application_name} per contender, so that the harness can
 * wait for a contender's server processes to exit (and flush their statistics) after its round.
 * Thread-safe.
 */
public final class Database implements AutoCloseable {
    /** Settings of the server reported with the results. */
    static final List<String> REPORTED_SETTINGS = List.of(
            "shared_buffers",
            "synchronous_commit",
            "fsync",
            "full_page_writes",
            "wal_level",
            "wal_compression",
            "max_wal_size",
            "checkpoint_timeout",
            "max_connections",
            "autovacuum",
            "autovacuum_naptime");

    private final EmbeddedPostgres embedded;
    private final String url;
    private final String user;
    private final String password;

    private Database(EmbeddedPostgres embedded, String url, String user, String password) {
        this.embedded = embedded;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /**
     * Starts an embedded PostgreSQL and creates the database {@code bench} in it.
     *
     * @param settings server settings ({@code postgresql.conf} names) on top of the embedded defaults
     * @return the database
     * @throws IOException if the server cannot start
     * @throws SQLException if the database cannot be created
     */
    public static Database embedded(Map<String, String> settings) throws IOException, SQLException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(60));
        settings.forEach(builder::setServerConfig);
        EmbeddedPostgres pg = builder.start();
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE bench");
        } catch (SQLException e) {
            pg.close();
            throw e;
        }
        return new Database(pg, "jdbc:postgresql://localhost:" + pg.getPort() + "/bench", "postgres", null);
    }

    /**
     * @param url JDBC URL of an existing database
     * @param user the user, or {@code null} when the URL names it
     * @param password the password, or {@code null}
     * @return the database, after checking that it answers
     * @throws SQLException if it cannot be reached
     */
    public static Database external(String url, String user, String password) throws SQLException {
        Database db = new Database(null, url, user, password);
        try (Connection c = db.connect("baton-bench-check")) {
            c.isValid(5);
        }
        return db;
    }

    /** @return {@code true} when this run started its own server */
    public boolean isEmbedded() {
        return embedded != null;
    }

    /**
     * @param applicationName tags the server processes
     * @return the JDBC URL with that application name
     */
    public String url(String applicationName) {
        return url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + applicationName;
    }

    /** @return the JDBC URL, without an application name */
    public String jdbcUrl() {
        return url;
    }

    /** @return the user, or {@code null} when the URL names it */
    public String user() {
        return user;
    }

    /** @return the password, or {@code null} */
    public String password() {
        return password;
    }

    /**
     * @param applicationName tags the connection's server process
     * @return a new connection, auto-commit
     * @throws SQLException if it cannot connect
     */
    public Connection connect(String applicationName) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url(applicationName), p);
    }

    /**
     * A HikariCP pool whose connections are all open before it is returned, so that connecting is not
     * timed as the contender's work.
     *
     * @param applicationName tags the pool's server processes
     * @param size connections
     * @return the pool; close it to end its server processes
     * @throws SQLException if the connections cannot be opened
     */
    public HikariDataSource pool(String applicationName, int size) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url(applicationName));
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setPoolName(applicationName);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        HikariDataSource pool = new HikariDataSource(config);
        List<Connection> open = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                open.add(pool.getConnection());
            }
        } catch (SQLException e) {
            pool.close();
            throw e;
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
        return pool;
    }

    /**
     * Runs statements on a short-lived connection.
     *
     * @param statements SQL, each in its own auto-committed transaction
     * @throws SQLException if one fails
     */
    public void execute(String... statements) throws SQLException {
        try (Connection c = connect("baton-bench-admin");
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /**
     * Forces a checkpoint, so that every round starts with the same full-page-write cost.
     *
     * @return {@code false} when the user may not checkpoint (an external server without the right)
     * @throws SQLException on any other failure
     */
    public boolean checkpoint() throws SQLException {
        try {
            execute("CHECKPOINT");
            return true;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Waits until no server process with this application name is left: they have exited and
     * flushed their statistics.
     *
     * @param applicationName the tag given to {@link #pool} or {@link #url}
     * @param timeout how long to wait
     * @throws SQLException if the server cannot be asked
     * @throws IllegalStateException if processes are still there after the timeout
     */
    public void awaitGone(String applicationName, Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = connect("baton-bench-meter");
                PreparedStatement ps =
                        c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "server processes of " + applicationName + " are still connected after " + timeout
                                    + "; the contender did not close its connections");
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * @return the commits of this database and the WAL insert position, now
     * @throws SQLException if the server cannot be asked
     */
    public DbCounters counters() throws SQLException {
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT xact_commit, pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
                        + " FROM pg_stat_database WHERE datname = current_database()")) {
            rs.next();
            return new DbCounters(rs.getLong(1), rs.getBigDecimal(2).longValueExact());
        }
    }

    /**
     * @return the server's version and the settings that matter for this benchmark
     * @throws SQLException if the server cannot be asked
     */
    public ServerFacts facts() throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        String version;
        try (Connection c = connect("baton-bench-admin")) {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SHOW server_version")) {
                rs.next();
                version = rs.getString(1);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
                for (String name : REPORTED_SETTINGS) {
                    ps.setString(1, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        settings.put(name, rs.getString(1));
                    }
                }
            }
        }
        return new ServerFacts(version, embedded != null, settings);
    }

    /**
     * One table's size and activity statistics, now. Statistics of other sessions reach
     * {@code pg_stat_user_tables} when those sessions flush them (when idle, at most about once a
     * second, and when they exit): for exact numbers close their connections and {@link #awaitGone}
     * first. This reader's own pending statistics are flushed first on PostgreSQL 15 and later
     * ({@code pg_stat_force_next_flush()}), and its statistics snapshot is cleared.
     *
     * @param table a schema-qualified table name
     * @param countRows {@code true} to count the rows ({@code count(*)}, a scan); otherwise {@link TableStats#rows()}
     *     is -1
     * @return the statistics
     * @throws SQLException if the server cannot be asked or the table does not exist
     */
    public TableStats tableStats(String table, boolean countRows) throws SQLException {
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement()) {
            int version;
            try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
                rs.next();
                version = rs.getInt(1);
            }
            if (version >= 150000) {
                s.execute("SELECT pg_stat_force_next_flush()");
            }
            s.execute("SELECT pg_stat_clear_snapshot()");
            long rows = -1;
            if (countRows) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    rows = rs.getLong(1);
                }
            }
            String newPage = version >= 160000 ? "s.n_tup_newpage_upd" : "NULL::bigint";
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT pg_relation_size(c.oid), pg_total_relation_size(c.oid),"
                            + " pg_indexes_size(c.oid), COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), "
                            + "0),"
                            + " s.n_live_tup, s.n_dead_tup, s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, " + newPage
                            + ", s.n_tup_del,"
                            + " s.vacuum_count, s.autovacuum_count, s.autoanalyze_count, s.last_autovacuum::text"
                            + " FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = "
                            + "to_regclass(?)")) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("no table " + table);
                    }
                    long newPageUpdates = rs.getLong(10);
                    return new TableStats(
                            rows,
                            rs.getLong(1),
                            rs.getLong(2),
                            rs.getLong(3),
                            rs.getLong(4),
                            rs.getLong(5),
                            rs.getLong(6),
                            rs.getLong(7),
                            rs.getLong(8),
                            rs.getLong(9),
                            rs.wasNull() ? null : newPageUpdates,
                            rs.getLong(11),
                            rs.getLong(12),
                            rs.getLong(13),
                            rs.getLong(14),
                            rs.getString(15));
                }
            }
        }
    }

    /**
     * What the rows of a table take when freshly written: a temporary copy with the given fill factor,
     * its heap size (the copy's TOAST is not counted: what stays inline in the table is).
     *
     * @param table a schema-qualified table name
     * @param fillfactor the copy's fill factor, 10 to 100
     * @return the copy's {@code pg_relation_size}
     * @throws SQLException if the server cannot be asked
     */
    public long packedSize(String table, int fillfactor) throws SQLException {
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement()) {
            s.execute(
                    "CREATE TEMP TABLE baton_bench_packed (LIKE " + table + ") WITH (fillfactor = " + fillfactor + ")");
            s.execute("INSERT INTO baton_bench_packed SELECT * FROM " + table);
            try (ResultSet rs = s.executeQuery("SELECT pg_relation_size('baton_bench_packed')")) {
                rs.next();
                return rs.getLong(1);
            } finally {
                s.execute("DROP TABLE baton_bench_packed");
            }
        }
    }

    /**
     * @param table a schema-qualified table name
     * @return the number of rows by {@code status}
     * @throws SQLException if the server cannot be asked
     */
    public Map<String, Long> countByStatus(String table) throws SQLException {
        Map<String, Long> counts = new java.util.TreeMap<>();
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT status, count(*) FROM " + table + " GROUP BY status")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    /**
     * @param table a schema-qualified table name with {@code status} and {@code stage_stats} columns
     * @return by {@code status}: the average {@code pg_column_size} of a whole row and of its {@code stage_stats}
     * @throws SQLException if the server cannot be asked
     */
    public Map<String, RowWidth> rowWidthByStatus(String table) throws SQLException {
        Map<String, RowWidth> widths = new java.util.TreeMap<>();
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT status, avg(pg_column_size(t.*)), avg(pg_column_size(t.stage_stats)) FROM " + table
                                + " t GROUP BY status")) {
            while (rs.next()) {
                widths.put(rs.getString(1), new RowWidth(rs.getDouble(2), rs.getDouble(3)));
            }
        }
        return widths;
    }

    /**
     * Average stored widths of a queue row (after compression, before TOAST pointers are followed).
     *
     * @param rowBytes {@code avg(pg_column_size(row))}
     * @param stageStatsBytes {@code avg(pg_column_size(stage_stats))}
     */
    public record RowWidth(double rowBytes, double stageStatsBytes) {}

    /**
     * A table's size and {@code pg_stat_user_tables} counters at one moment.
     *
     * @param rows {@code count(*)}, or -1 when not counted
     * @param relationBytes {@code pg_relation_size}: the heap's main fork
     * @param totalBytes {@code pg_total_relation_size}: heap, free-space and visibility maps, indexes and TOAST
     * @param indexBytes {@code pg_indexes_size}
     * @param toastBytes the TOAST table with its index
     * @param liveTuples {@code n_live_tup} (an estimate)
     * @param deadTuples {@code n_dead_tup} (an estimate)
     * @param inserted {@code n_tup_ins}
     * @param updated {@code n_tup_upd}
     * @param hotUpdated {@code n_tup_hot_upd}
     * @param newPageUpdated {@code n_tup_newpage_upd} (PostgreSQL 16+), or {@code null}
     * @param deleted {@code n_tup_del}
     * @param vacuumCount {@code vacuum_count}
     * @param autovacuumCount {@code autovacuum_count}
     * @param autoanalyzeCount {@code autoanalyze_count}
     * @param lastAutovacuum {@code last_autovacuum}, or {@code null}
     */
    public record TableStats(
            long rows,
            long relationBytes,
            long totalBytes,
            long indexBytes,
            long toastBytes,
            long liveTuples,
            long deadTuples,
            long inserted,
            long updated,
            long hotUpdated,
            Long newPageUpdated,
            long deleted,
            long vacuumCount,
            long autovacuumCount,
            long autoanalyzeCount,
            String lastAutovacuum) {}

    /**
     * The server's process, when it runs on this machine and {@code /proc} shows it: the parent of this connection's
     * backend process (the embedded server's too: it is started through {@code pg_ctl}, which exits).
     *
     * @return the postmaster's pid, or empty when the server's processes cannot be seen from here
     * @throws SQLException if the server cannot be asked
     */
    public OptionalLong postmasterPid() throws SQLException {
        long backend;
        try (Connection c = connect("baton-bench-meter");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backend = rs.getLong(1);
        }
        ProcStat stat = ProcStat.read(backend);
        if (stat == null || !ProcStat.isPostgres(stat.parentPid())) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(stat.parentPid());
    }

    /**
     * Runs with one server setting changed for every new connection, and puts it back on close: {@code ALTER SYSTEM
     * SET} and {@code pg_reload_conf()}, checked on a new connection; where the setting comes from the server's
     * command line (the embedded server's settings do), which outranks {@code ALTER SYSTEM}, {@code ALTER DATABASE
     * … SET} instead. Connections already open keep the old value.
     *
     * @param name the setting
     * @param value its value for the duration
     * @return closing it restores the setting and checks that a new connection sees the old value
     * @throws SQLException if the setting cannot be changed (for instance without superuser rights)
     * @throws IllegalStateException if a new connection does not see the value
     */
    public ChangedSetting change(String name, String value) throws SQLException {
        String before = setting(name);
        String quoted = "'" + value.replace("'", "''") + "'";
        execute("ALTER SYSTEM SET " + name + " = " + quoted, "SELECT pg_reload_conf()");
        if (awaitSetting(name, value)) {
            return new ChangedSetting(this, name, before, "ALTER SYSTEM");
        }
        execute("ALTER SYSTEM RESET " + name, "SELECT pg_reload_conf()");
        execute("ALTER DATABASE " + currentDatabase() + " SET " + name + " = " + quoted);
        if (!value.equals(setting(name))) {
            execute("ALTER DATABASE " + currentDatabase() + " RESET " + name);
            throw new IllegalStateException("cannot set " + name + " = " + value + " for new connections: neither"
                    + " ALTER SYSTEM nor ALTER DATABASE took effect; set it on the server instead");
        }
        return new ChangedSetting(this, name, before, "ALTER DATABASE");
    }

    /** @return whether a new connection sees the value within a second (the reload signal is asynchronous) */
    private boolean awaitSetting(String name, String value) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (!value.equals(setting(name))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * @param name a server setting
     * @return its value on a new connection
     * @throws SQLException if the server cannot be asked
     */
    public String setting(String name) throws SQLException {
        try (Connection c = connect("baton-bench-admin");
                PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private String currentDatabase() throws SQLException {
        try (Connection c = connect("baton-bench-admin");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT quote_ident(current_database())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * A setting changed by {@link #change}; {@link #close()} puts the old value back.
     */
    public static final class ChangedSetting implements AutoCloseable {
        private final Database db;
        private final String name;
        private final String before;
        private final String how;

        private ChangedSetting(Database db, String name, String before, String how) {
            this.db = db;
            this.name = name;
            this.before = before;
            this.how = how;
        }

        /** @return {@code ALTER SYSTEM} or {@code ALTER DATABASE}: how it was changed */
        public String how() {
            return how;
        }

        /**
         * Resets the setting the way it was changed and reloads the configuration.
         *
         * @throws SQLException if it cannot be reset
         * @throws IllegalStateException if a new connection does not see the old value afterwards
         */
        @Override
        public void close() throws SQLException {
            if (how.equals("ALTER SYSTEM")) {
                db.execute("ALTER SYSTEM RESET " + name, "SELECT pg_reload_conf()");
            } else {
                db.execute("ALTER DATABASE " + db.currentDatabase() + " RESET " + name);
            }
            if (!db.awaitSetting(name, before)) {
                throw new IllegalStateException(name + " is " + db.setting(name) + " after the reset, not " + before
                        + " as before; reset it on the server by hand");
            }
        }
    }

    /** Stops the embedded server (its data is deleted); does nothing for an external one. */
    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }

    /**
     * Commit count and WAL position at one moment.
     *
     * @param commits {@code pg_stat_database.xact_commit} of the bench database
     * @param walBytes {@code pg_current_wal_insert_lsn()} as bytes from 0/0
     */
    public record DbCounters(long commits, long walBytes) {
        /**
         * @param earlier a snapshot taken before this one
         * @return the change since it
         */
        public DbCounters minus(DbCounters earlier) {
            return new DbCounters(commits - earlier.commits, walBytes - earlier.walBytes);
        }
    }

    /**
     * The server a run used.
     *
     * @param version {@code server_version}
     * @param embedded whether the run started it
     * @param settings reported settings, by name
     */
    public record ServerFacts(String version, boolean embedded, Map<String, String> settings) {}
}
