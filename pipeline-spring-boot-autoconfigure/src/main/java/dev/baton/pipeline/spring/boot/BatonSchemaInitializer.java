package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.jdbc.BatonSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;

/**
 * Creates and upgrades Baton's tables when the application context starts, with {@link BatonSchema#migrate}: its
 * own history table ({@code baton_schema_history}), an advisory lock, one transaction. It is independent of the
 * host's Flyway and ordered after it (the bean is marked {@code @DependsOnDatabaseInitialization}), so:
 * <ul>
 *   <li>on a fresh database Flyway finds the schema empty and runs the host's {@code V1}, then Baton adds its
 *       tables; Flyway never sees Baton's versions, so they cannot collide with the host's;</li>
 *   <li>a later start finds Flyway's history table and leaves Baton's tables alone, and Baton finds its versions
 *       applied.</li>
 * </ul>
 * With {@code baton.jdbc.schema} set, the schema is created when missing and Baton's tables live there, out of the
 * host's schema entirely. A host that migrates Baton's tables itself sets {@code baton.jdbc.migrate=false} or
 * defines its own bean of this type.
 */
public class BatonSchemaInitializer implements InitializingBean {
    private static final Logger LOG = LoggerFactory.getLogger(BatonSchemaInitializer.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final DataSource dataSource;
    private final String schema;
    private final String tablePrefix;

    /**
     * @param dataSource the database
     * @param schema the schema of Baton's tables, or {@code null} for the connection's
     * @param tablePrefix the prefix of Baton's table names, empty for none
     */
    public BatonSchemaInitializer(DataSource dataSource, String schema, String tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = schema == null || schema.isBlank() ? null : schema;
        this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
        if (this.schema != null && !IDENTIFIER.matcher(this.schema).matches()) {
            throw new IllegalArgumentException(
                    "baton.jdbc.schema must be a lower-case SQL identifier of at most 63 characters, got " + schema);
        }
    }

    @Override
    public void afterPropertiesSet() throws SQLException {
        if (schema != null) {
            try (Connection c = dataSource.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            }
        }
        List<Integer> applied = BatonSchema.migrate(dataSource, schema, tablePrefix);
        if (!applied.isEmpty()) {
            LOG.info("Baton's tables{} are at version {}", schema == null ? "" : " in schema " + schema, applied);
        }
    }
}
