package dev.baton.pipeline.jdbc;

import java.util.regex.Pattern;

/** Where the two tables live: an optional schema and an optional prefix of every name. */
record TableNames(String schema, String prefix) {
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    // the longest derived name, batch_processing_queue_attempt_check, then stays within PostgreSQL's 63
    private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,23}");

    TableNames {
        if (schema != null && !SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema '" + schema
                    + "' must be a lower-case SQL identifier (a-z, 0-9, '_', 1 to 63 characters), or null for "
                    + "the search_path");
        }
        if (prefix == null || !prefix.isEmpty() && !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("tablePrefix '" + prefix
                    + "' must be empty or a lower-case SQL identifier (a-z, 0-9, '_', 1 to 24 characters)");
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

    String shard() {
        return qualify("batch_processing_shard");
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
