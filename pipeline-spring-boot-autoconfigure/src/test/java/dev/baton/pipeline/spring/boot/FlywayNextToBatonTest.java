package dev.baton.pipeline.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Baton's migrations next to a host's own Flyway migrations (its own {@code V1}): on a fresh database Flyway runs
 * first and finds the schema empty, Baton adds its tables with its own history, and neither sees the other's
 * versions, on the first start or on later ones.
 */
class FlywayNextToBatonTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @Configuration(proxyBeanMethods = false)
    static class Stages {
        @Bean
        Stage only() {
            return ctx -> StageResult.done(1);
        }
    }

    private ApplicationContextRunner host(String locations) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class, BatonAutoConfiguration.class))
                .withUserConfiguration(Stages.class)
                .withPropertyValues(
                        "spring.datasource.url=" + PG.jdbcUrl(),
                        "spring.flyway.locations=" + locations,
                        "baton.stages=only");
    }

    @Test
    void on_a_fresh_database_the_host_s_v1_and_baton_s_tables_are_both_created_each_with_its_own_history()
            throws SQLException {
        host("classpath:db/host").run(ctx -> assertThat(ctx).hasNotFailed());

        assertThat(tables(PG.schema()))
                .contains("host_orders", "batch_processing_queue", "batch_processing_data", "flyway_schema_history");
        assertThat(strings("SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank"))
                .containsExactly("1");
        assertThat(strings("SELECT version::text FROM baton_schema_history ORDER BY version"))
                .containsExactly("1", "2", "3", "4");
    }

    @Test
    void a_later_start_with_a_new_host_migration_applies_it_and_leaves_baton_s_tables_as_they_are()
            throws SQLException {
        host("classpath:db/host").run(ctx -> assertThat(ctx).hasNotFailed());

        host("classpath:db/host,classpath:db/host2").run(ctx -> assertThat(ctx).hasNotFailed());

        assertThat(strings("SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank"))
                .containsExactly("1", "2");
        assertThat(strings("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                        + " AND table_name = 'host_orders' ORDER BY ordinal_position"))
                .containsExactly("id", "total", "note");
        assertThat(strings("SELECT version::text FROM baton_schema_history ORDER BY version"))
                .containsExactly("1", "2", "3", "4");
    }

    @Test
    void with_a_schema_of_its_own_baton_creates_it_and_keeps_its_tables_out_of_the_host_s_schema() throws SQLException {
        String own = "baton_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try {
            host("classpath:db/host")
                    .withPropertyValues("baton.jdbc.schema=" + own)
                    .run(ctx -> assertThat(ctx).hasNotFailed());

            assertThat(tables(own)).contains("batch_processing_queue", "batch_processing_data");
            assertThat(tables(PG.schema()))
                    .contains("host_orders", "flyway_schema_history")
                    .doesNotContain("batch_processing_queue", "batch_processing_data");
        } finally {
            try (Connection c = PG.dataSource().getConnection();
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + own + " CASCADE");
            }
        }
    }

    private static List<String> tables(String schema) throws SQLException {
        return strings("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + schema + "'");
    }

    private static List<String> strings(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
