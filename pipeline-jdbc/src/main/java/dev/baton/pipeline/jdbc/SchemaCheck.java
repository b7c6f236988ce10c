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
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.HandleCallbackDecorator;

/**
 * Checks that the tables a {@link JdbcStageStore} uses exist with every column its statements name, so a
 * missing or old schema is reported when the store is built, with what is missing and how to migrate,
 * rather than as a raw SQL error at the first batch. Also turns the database's "undefined table" and
 * "undefined column" errors (SQLState 42P01, 42703) of a later call into the same message. Immutable.
 */
final class SchemaCheck {
    private static final Set<String> UNDEFINED = Set.of("42P01", "42703");
    private static final String FLYWAY_LOCATION = "classpath:dev/baton/pipeline/jdbc/migrations";
    // one query, resolved like the store's statements: through the search_path unless a schema is given
    private static final String COLUMNS = "SELECT t.name, a.attname FROM unnest(CAST(:tables AS text[])) AS t(name)"
            + " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped";

    private final TableNames names;
    private final Map<String, List<String>> expected = new LinkedHashMap<>();

    SchemaCheck(TableNames names) {
        this.names = names;
        // the columns the store's statements name (BatchRowMapper.COLUMNS, DueClaims, OutputRows, the updates)
        expected.put(names.queue(), List.of("id", "batch_id", "current_stage", "status", "error_message", "created_at",
                "updated_at", "attempt", "version", "lease_owner", "lease_until", "run_after", "cursor", "stage_stats"));
        expected.put(names.data(), List.of("batch_id", "stage", "data", "created_at", "chunk", "chunks"));
    }

    /**
     * @return what is missing, one entry per table ({@code "table x is missing"},
     *     {@code "table x lacks the columns a, b"}); empty when every table and column exists
     */
    List<String> missing(Handle h) {
        Map<String, List<String>> found = new HashMap<>();
        h.createQuery(COLUMNS).bindArray("tables", String.class, new ArrayList<>(expected.keySet()))
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
            List<String> lacking = columns.stream().filter(c -> !there.contains(c)).toList();
            if (!lacking.isEmpty()) {
                missing.add("table " + table + " lacks the column" + (lacking.size() > 1 ? "s " : " ") + String.join(", ", lacking));
            }
        });
        return missing;
    }

    /** The store's tables lack something; the message says what and how to migrate. */
    static final class OutdatedSchemaException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        OutdatedSchemaException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A column found, or a table without any ({@code name} null). */
    private record Column(String table, String name) {}

    /** @throws IllegalStateException naming what is missing and how to migrate, if anything is */
    void require(Handle h) {
        List<String> missing = missing(h);
        if (!missing.isEmpty()) {
            throw new OutdatedSchemaException(message(missing), null);
        }
    }

    /** @return the message for a schema that lacks {@code missing}: what, which migration, how to apply it */
    String message(List<String> missing) {
        String where = names.schema() == null ? " (looked up through the connection's search_path)" : "";
        String call = names.schema() == null && names.prefix().isEmpty() ? "BatonSchema.migrate(dataSource)"
                : "BatonSchema.migrate(dataSource, " + (names.schema() == null ? "null" : "\"" + names.schema() + "\"")
                        + ", \"" + names.prefix() + "\")";
        String flyway = names.prefix().isEmpty()
                ? " or Flyway with location " + FLYWAY_LOCATION
                        + (names.schema() == null ? "" : " and default schema " + names.schema())
                        + " and a history table of its own"
                : " (Flyway's copy of the files, " + FLYWAY_LOCATION + ", creates the tables without a prefix)";
        return "Baton's tables are missing or out of date: " + String.join("; ", missing) + where
                + ". Apply the migration " + String.join(", ", BatonSchema.MIGRATIONS)
                + " before building the JdbcStageStore: call " + call + " at start-up," + flyway;
    }

    /**
     * @param e what a store call threw
     * @param recheck runs {@link #missing} again, to name what is missing now
     * @return an {@link IllegalStateException} with the message of {@link #message} and {@code e} as its
     *     cause when {@code e} is an undefined table or column error; else {@code e} itself
     */
    RuntimeException translate(RuntimeException e, Supplier<List<String>> recheck) {
        SQLException undefined = undefined(e);
        if (undefined == null || e instanceof OutdatedSchemaException) {
            return e;
        }
        List<String> missing;
        try {
            missing = recheck.get();
        } catch (RuntimeException again) {
            e.addSuppressed(again);
            missing = List.of();
        }
        if (missing.isEmpty()) {
            String first = String.valueOf(undefined.getMessage()).lines().findFirst().orElse("");
            missing = List.of("the database reports " + first);
        }
        return new OutdatedSchemaException(message(missing), e);
    }

    private static SQLException undefined(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && UNDEFINED.contains(s.getSQLState())) {
                return s;
            }
        }
        return null;
    }

    /** @return a decorator of every handle callback of the store's Jdbi that {@linkplain #translate translates} */
    HandleCallbackDecorator translating() {
        return new HandleCallbackDecorator() {
            @Override
            public <R, X extends Exception> HandleCallback<R, X> decorate(HandleCallback<R, X> callback) {
                return h -> {
                    try {
                        return callback.withHandle(h);
                    } catch (RuntimeException e) {
                        throw translate(e, () -> {
                            if (h.isInTransaction()) {
                                h.rollback();
                            }
                            return missing(h);
                        });
                    }
                };
            }
        };
    }
}
