package dev.baton.pipeline.jdbc;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The {@linkplain SqlText statements} for one set of tables, rendered once, when a store is built. Immutable.
 */
final class Statements {
    /** Statements whose placeholder is not a table: their user renders them ({@code <schema>}, {@code <channel>}). */
    private static final Set<SqlText> RENDERED_BY_USER = EnumSet.of(SqlText.MIGRATE_IN_SCHEMA, SqlText.LISTEN);

    private final EnumMap<SqlText, String> texts = new EnumMap<>(SqlText.class);

    Statements(TableNames names) {
        Map<String, String> values = Map.of(
                "queue",
                names.queue(),
                "data",
                names.data(),
                "history",
                names.history(),
                "shard",
                names.shard(),
                "columns",
                BatchRowMapper.COLUMNS,
                "shard_columns",
                ShardRowMapper.COLUMNS);
        for (SqlText statement : SqlText.values()) {
            if (!RENDERED_BY_USER.contains(statement)) {
                texts.put(statement, statement.render(values));
            }
        }
    }

    /**
     * @param statement a statement whose placeholders are tables and columns
     * @return its text for these tables
     * @throws IllegalArgumentException for a statement its user renders
     */
    String of(SqlText statement) {
        String text = texts.get(statement);
        if (text == null) {
            throw new IllegalArgumentException(
                    statement + " has a placeholder that is not a table:" + " render it where it is used");
        }
        return text;
    }
}
