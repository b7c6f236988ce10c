package dev.baton.pipeline.jdbc;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;

/**
 * Checks that the tables a {@link JdbcStageStore} uses exist with every column its statements name, so a
 * missing or old schema (a 0.1 database without the columns of a later migration) is reported when the store
 * is built, with what is missing and how to migrate, rather than as a raw SQL error at the first batch. Also
 * explains the database's "undefined table" and "undefined column" errors (SQLState 42P01, 42703) of a later
 * call with the same message. Immutable.
 */
final class SchemaCheck {
    private static final Set<String> UNDEFINED = Set.of("42P01", "42703");
    private static final String FLYWAY_LOCATION = "classpath:dev/baton/pipeline/jdbc/migrations";

    private final TableNames names;
    private final Statements sql;
    private final Map<String, List<String>> expected = new LinkedHashMap<>();

    SchemaCheck(TableNames names, Statements sql) {
        this.names = names;
        this.sql = sql;
        // the columns the store's statements name (SqlText, BatchRowMapper.COLUMNS)
        expected.put(
                names.queue(),
                List.of(
                        "id",
                        "batch_id",
                        "current_stage",
                        "status",
                        "error_message",
                        "created_at",
                        "updated_at",
                        "attempt",
                        "version",
                        "lease_owner",
                        "lease_until",
                        "run_after",
                        "cursor",
                        "stage_stats",
                        "input_digest",
                        "trace_context"));
        expected.put(names.data(), List.of("batch_id", "stage", "data", "created_at", "chunk", "chunks"));
        expected.put(
                names.shard(),
                List.of(
                        "batch_id",
                        "stage",
                        "shard",
                        "shards",
                        "status",
                        "attempt",
                        "version",
                        "lease_owner",
                        "lease_until",
                        "run_after",
                        "cursor",
                        "error_message",
                        "from_item",
                        "to_item",
                        "items",
                        "parallelism",
                        "started_at",
                        "finished_at",
                        "created_at",
                        "updated_at"));
    }

    /**
     * @return what is missing, one entry per table ({@code "table x is missing"},
     *     {@code "table x lacks the columns a, b"}); empty when every table and column exists
     */
    List<String> missing(Handle h) {
        Map<String, List<String>> found = new HashMap<>();
        h.createQuery(sql.of(SqlText.SCHEMA_COLUMNS))
                .bindArray("tables", String.class, new ArrayList<>(expected.keySet()))
                .map((rs, ctx) -> new Column(rs.getString(1), rs.getString(2)))
                .forEach(c -> {
                    List<String> columns = found.computeIfAbsent(c.table(), k -> new ArrayList<>());
                    if (c.name() != null) {
                        columns.add(c.name());
                    }
                });
        List<String> missing = new ArrayList<>();
        expected.forEach((table, columns) -> {
            List<String> there = found.getOrDefault(table, List.of());
            if (there.isEmpty()) {
                missing.add("table " + table + " is missing");
                return;
            }
            List<String> lacking =
                    columns.stream().filter(c -> !there.contains(c)).toList();
            if (!lacking.isEmpty()) {
                missing.add("table " + table + " lacks the column" + (lacking.size() > 1 ? "s " : " ")
                        + String.join(", ", lacking));
            }
        });
        return missing;
    }

    /** A column found, or a table without any ({@code name} null). */
    private record Column(String table, String name) {}

    /** @throws IllegalStateException naming what is missing and how to migrate, if anything is */
    void require(Handle h) {
        List<String> missing = missing(h);
        if (!missing.isEmpty()) {
            throw new IllegalStateException(message(missing));
        }
    }

    /** @return the message for a schema that lacks {@code missing}: what, which migrations, how to apply them */
    String message(List<String> missing) {
        String where = names.schema() == null ? " (looked up through the connection's search_path)" : "";
        String call = names.schema() == null && names.prefix().isEmpty()
                ? "BatonSchema.migrate(dataSource)"
                : "BatonSchema.migrate(dataSource, " + (names.schema() == null ? "null" : "\"" + names.schema() + "\"")
                        + ", \"" + names.prefix() + "\")";
        String flyway = names.prefix().isEmpty()
                ? " or Flyway with location " + FLYWAY_LOCATION
                        + (names.schema() == null ? "" : " and default schema " + names.schema())
                        + " and a history table of its own"
                : " (Flyway's copy of the files, " + FLYWAY_LOCATION + ", creates the tables without a prefix)";
        return "Baton's tables are missing or out of date: " + String.join("; ", missing) + where
                + ". Apply the migrations " + String.join(", ", BatonSchema.MIGRATIONS)
                + " (those not applied yet) before building the JdbcStageStore: call " + call + " at start-up,"
                + flyway;
    }

    /**
     * @param e what a store call threw
     * @param recheck runs {@link #missing} again, to name what is missing now
     * @return the message of {@link #message} when {@code e} is an undefined table or column error, else null
     */
    String problem(RuntimeException e, Supplier<List<String>> recheck) {
        SQLException undefined = undefined(e);
        if (undefined == null) {
            return null;
        }
        List<String> missing;
        try {
            missing = recheck.get();
        } catch (RuntimeException again) {
            e.addSuppressed(again);
            missing = List.of();
        }
        if (missing.isEmpty()) {
            String first =
                    String.valueOf(undefined.getMessage()).lines().findFirst().orElse("");
            missing = List.of("the database reports " + first);
        }
        return message(missing);
    }

    private static SQLException undefined(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && UNDEFINED.contains(s.getSQLState())) {
                return s;
            }
        }
        return null;
    }
}
