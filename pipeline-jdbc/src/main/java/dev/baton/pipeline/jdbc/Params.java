package dev.baton.pipeline.jdbc;

import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * The named parameters of one statement ({@code :b}, {@code :stage}, ...), collected once and bound either by
 * {@link HotStatements} (by position) or onto a Jdbi statement. Values are {@link String}s, {@link Long}s,
 * {@link Integer}s, {@code Long[]} (a {@code bigint[]}) or null (a NULL text). Not thread-safe.
 */
final class Params {
    private final Map<String, Object> values = new LinkedHashMap<>();

    /**
     * @param name the parameter's name, without the colon
     * @param value its value (see the class comment), or null
     * @return this
     */
    Params bind(String name, Object value) {
        values.put(name, value);
        return this;
    }

    /** @return whether {@code name} has a value (null counts) */
    boolean has(String name) {
        return values.containsKey(name);
    }

    /** @return the value of {@code name}, or null */
    Object value(String name) {
        return values.get(name);
    }

    /** Binds every value onto a Jdbi statement by name; a null as a NULL {@code varchar}, as Jdbi binds a null. */
    <S extends SqlStatement<S>> S applyTo(S statement) {
        values.forEach((name, value) -> {
            if (value == null) {
                statement.bindNull(name, Types.VARCHAR);
            } else if (value instanceof Long[] array) {
                statement.bindArray(name, Long.class, (Object[]) array);
            } else {
                statement.bindByType(name, value, value.getClass());
            }
        });
        return statement;
    }
}
