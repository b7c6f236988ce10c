package dev.baton.pipeline.jdbc;

import java.util.regex.Pattern;

/** Where the two tables live: an optional schema and an optional prefix of every name. */
record TableNames(String schema, String prefix) {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,30}");

    TableNames {
        if (schema != null && !IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema '" + schema
                    + "' must be a lower-case SQL identifier (letters, digits, '_', at most 31), or null for the search_path");
        }
        if (!prefix.isEmpty() && !IDENTIFIER.matcher(prefix).matches()) {
            throw new IllegalArgumentException("tablePrefix '" + prefix
                    + "' must be empty or a lower-case SQL identifier (letters, digits, '_', at most 31)");
        }
    }

    static TableNames defaults() {
        return new TableNames(null, "");
    }

    private String qualify(String name) {
        return schema == null ? prefix + name : schema + "." + prefix + name;
    }

    String queue() {
        return qualify("batch_processing_queue");
    }

    String data() {
        return qualify("batch_processing_data");
    }

    String history() {
        return qualify("baton_schema_history");
    }

    /** Rewrites a shipped migration for this prefix: table, index and constraint names. */
    String rewrite(String sql) {
        if (prefix.isEmpty()) {
            return sql;
        }
        return sql.replace("batch_processing_", prefix + "batch_processing_")
                .replace("unique_batch_", prefix + "unique_batch_");
    }

    /** A key for the advisory lock that serialises migrations of these tables. */
    String lockKey() {
        return "baton-migrate:" + (schema == null ? "" : schema) + ":" + prefix;
    }
}
