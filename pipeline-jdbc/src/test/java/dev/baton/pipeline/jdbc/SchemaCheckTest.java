package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StoreException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A missing or old schema is reported when the store is built, and later, from the call that meets it, as a
 * {@link StoreException} with the same clear message.
 */
class SchemaCheckTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final String MIGRATION = "V1__baton_queue_and_data.sql";
    static final String FLYWAY = "classpath:dev/baton/pipeline/jdbc/migrations";

    Sql sql;

    @BeforeEach
    void connect() {
        sql = new Sql(PG.dataSource());
    }

    @Test
    void building_the_store_on_an_empty_schema_fails_naming_the_tables_the_migration_and_how_to_apply_it() {
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("table batch_processing_queue is missing")
                .hasMessageContaining("table batch_processing_data is missing")
                .hasMessageContaining(MIGRATION)
                .hasMessageContaining("BatonSchema.migrate(dataSource)")
                .hasMessageContaining(FLYWAY)
                .hasMessageNotContaining("SELECT");
    }

    @Test
    void a_missing_column_is_named() {
        BatonSchema.migrate(PG.dataSource());
        sql.execute("ALTER TABLE batch_processing_data DROP COLUMN chunks");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("table batch_processing_data lacks the column chunks")
                .hasMessageNotContaining("batch_processing_queue")
                .hasMessageContaining(MIGRATION);
    }

    @Test
    void the_check_honours_the_table_prefix_and_the_schema() {
        BatonSchema.migrate(PG.dataSource(), null, "acme_");
        assertThat(JdbcStageStore.builder(PG.dataSource())
                        .tablePrefix("acme_")
                        .build()
                        .find(1))
                .isEmpty();
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .hasMessageContaining("table batch_processing_queue is missing");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource())
                        .tablePrefix("other_")
                        .build())
                .hasMessageContaining("table other_batch_processing_queue is missing")
                .hasMessageContaining("BatonSchema.migrate(dataSource, null, \"other_\")");

        String schema = PG.schema() + "_elsewhere";
        sql.execute("CREATE SCHEMA " + schema);
        try {
            assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource())
                            .schema(schema)
                            .build())
                    .hasMessageContaining("table " + schema + ".batch_processing_queue is missing")
                    .hasMessageContaining("BatonSchema.migrate(dataSource, \"" + schema + "\", \"\")")
                    .hasMessageContaining("default schema " + schema);
            BatonSchema.migrate(PG.dataSource(), schema, "");
            assertThat(JdbcStageStore.builder(PG.dataSource())
                            .schema(schema)
                            .build()
                            .find(1))
                    .isEmpty();
        } finally {
            sql.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    @Test
    void a_store_built_on_a_0_1_schema_fails_naming_the_column_and_the_migration_that_adds_it() {
        new Sql(PG.dataSource()).execute(BatonSchema.read(MIGRATION));
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("table batch_processing_queue lacks the columns input_digest, trace_context")
                .hasMessageNotContaining("batch_processing_data lacks")
                .hasMessageContaining("V2__batch_inputs.sql")
                .hasMessageContaining("BatonSchema.migrate(dataSource)");
    }

    @Test
    void tables_dropped_after_the_build_give_the_same_message_from_every_method_with_the_database_error_as_cause() {
        BatonSchema.migrate(PG.dataSource());
        JdbcStageStore store =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", Duration.ofMinutes(5)).orElseThrow();
        sql.execute("DROP TABLE batch_processing_data");

        String big = "[" + "1,".repeat(2_000) + "1]";
        for (Runnable call : List.<Runnable>of(
                () -> store.readOutput(1, "setup"),
                () -> store.advance(claim, JsonSource.ofText("[1]"), "next", StageStats.NONE),
                () -> store.advance(claim, JsonSource.ofText(big), "next", StageStats.NONE))) {
            assertThatThrownBy(call::run)
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("of stage 'setup' of batch 1 failed:")
                    .hasMessageContaining("Baton's tables are missing or out of date")
                    .hasMessageContaining("table batch_processing_data is missing")
                    .hasMessageContaining(MIGRATION)
                    .hasMessageContaining("BatonSchema.migrate(dataSource)")
                    .hasMessageNotContaining("SELECT")
                    .hasMessageNotContaining("INSERT")
                    .hasCauseInstanceOf(JdbiException.class);
        }
        assertThat(store.find(1).orElseThrow().version())
                .as("nothing was committed")
                .isEqualTo(claim.version());

        sql.execute("ALTER TABLE batch_processing_queue DROP COLUMN stage_stats");
        assertThatThrownBy(() -> store.find(1))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("reading batch 1 failed")
                .hasMessageContaining("table batch_processing_queue lacks the column stage_stats")
                .hasCauseInstanceOf(JdbiException.class);
        sql.execute("DROP TABLE batch_processing_queue");
        assertThatThrownBy(() -> store.findStalled(Duration.ZERO, 10))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("table batch_processing_queue is missing");
        assertThatThrownBy(() -> store.claimDue("w", Duration.ofMinutes(1), 10, java.util.Map.of()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("table batch_processing_queue is missing");
    }
}
