package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and upgrades Baton's tables. Hosts without a migration tool call {@link #migrate(DataSource)}
 * at start-up: it applies the missing versions in one transaction under a PostgreSQL advisory lock, so
 * any number of processes may start at once, and records them in {@code baton_schema_history}.
 *
 * <p>The same versioned files ship in the jar under {@code dev/baton/pipeline/jdbc/migrations/}
 * ({@code V1__baton_queue_and_data.sql}, {@code V2__batch_inputs.sql}, …) and run as they are under Flyway
 * or Liquibase, with the default table names in the default schema. Give them their own history table, so
 * their versions do not mix with the host's:
 *
 * <pre>{@code
 * Flyway.configure().dataSource(dataSource)
 *         .locations("classpath:dev/baton/pipeline/jdbc/migrations")
 *         .table("baton_flyway_history")
 *         .load().migrate();
 * }</pre>
 *
 * <p>A foreign key {@code REFERENCES batch(batch_id)} is left to the host, whose table it names:
 * {@code ALTER TABLE batch_processing_queue ADD FOREIGN KEY (batch_id) REFERENCES batch(batch_id)}.
 *
 * <p>Thread-safe: stateless, and concurrent calls serialise in the database.
 */
public final class BatonSchema {
    private static final Logger LOG = LoggerFactory.getLogger(BatonSchema.class);
    private static final String FOLDER = "/dev/baton/pipeline/jdbc/migrations/";
    /** The shipped migrations, in order. */
    static final List<String> MIGRATIONS = List.of(
            "V1__baton_queue_and_data.sql",
            "V2__batch_inputs.sql",
            "V3__batch_trace_context.sql",
            "V4__stage_shards.sql");

    private BatonSchema() {}

    /**
     * Applies the missing migrations to the tables in the connection's {@code search_path}.
     *
     * @param dataSource the database
     * @return the versions applied now (empty when already up to date)
     * @throws StoreException if the database refuses a statement (nothing is applied)
     */
    public static List<Integer> migrate(DataSource dataSource) {
        return migrate(dataSource, null, "");
    }

    /**
     * Applies the missing migrations to tables in {@code schema} whose names start with {@code tablePrefix}.
     *
     * @param dataSource the database
     * @param schema an existing schema (a lower-case SQL identifier of at most 63 characters), or {@code null}
     *     for the connection's {@code search_path}
     * @param tablePrefix prefix of every table, index and constraint name: empty or {@code null} for none, else
     *     a lower-case SQL identifier of at most 24 characters
     * @return the versions applied now (empty when already up to date)
     * @throws IllegalArgumentException if the schema or prefix is not a plain lower-case identifier
     * @throws StoreException if the database refuses a statement (nothing is applied)
     */
    public static List<Integer> migrate(DataSource dataSource, String schema, String tablePrefix) {
        TableNames names = new TableNames(schema, tablePrefix == null ? "" : tablePrefix);
        Statements sql = new Statements(names);
        String[] current = {"the migration history"};
        try {
            return Jdbi.create(dataSource).inTransaction(h -> {
                h.createQuery(sql.of(SqlText.ADVISORY_LOCK))
                        .bind("key", names.lockKey())
                        .mapTo(Boolean.class)
                        .one();
                h.execute(sql.of(SqlText.CREATE_HISTORY));
                Set<Integer> applied = h.createQuery(sql.of(SqlText.APPLIED_VERSIONS))
                        .mapTo(Integer.class)
                        .set();
                if (schema != null) {
                    h.execute(SqlText.MIGRATE_IN_SCHEMA.render(Map.of("schema", schema)));
                }
                List<Integer> now = new ArrayList<>();
                for (String script : MIGRATIONS) {
                    int version = version(script);
                    if (applied.contains(version)) {
                        continue;
                    }
                    current[0] = script;
                    for (String statement : statements(names.rewrite(read(script)))) {
                        h.execute(statement);
                    }
                    h.createUpdate(sql.of(SqlText.RECORD_MIGRATION))
                            .bind("v", version)
                            .bind("s", script)
                            .execute();
                    now.add(version);
                    LOG.info("applied Baton migration {} to {}", script, names.queue());
                }
                return now;
            });
        } catch (JdbiException e) {
            throw Failures.failed(
                    "migrating Baton's tables " + names.queue() + ", " + names.data() + " (at " + current[0]
                            + "; nothing was applied)",
                    Failures.databaseSays(e),
                    e);
        }
    }

    static int version(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }

    static String read(String script) {
        try (InputStream in = BatonSchema.class.getResourceAsStream(FOLDER + script)) {
            if (in == null) {
                throw new IllegalStateException("migration " + script + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a migration into statements: our files hold no functions, so ';' at a line end ends one. */
    static List<String> statements(String sql) {
        String withoutComments = Arrays.stream(sql.split("\n"))
                .map(line -> line.contains("--") ? line.substring(0, line.indexOf("--")) : line)
                .collect(Collectors.joining("\n"));
        return Arrays.stream(withoutComments.split(";\\s*(\n|$)"))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
