package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import dev.baton.pipeline.testkit.StageStoreContract;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JdbcStageStoreTest extends StageStoreContract {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    Sql sql;
    HikariDataSource connections;

    @Override
    protected StageStore newStore() {
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(17);
        connections = new HikariDataSource(config);
        sql = new Sql(connections);
        return JdbcStageStore.builder(connections).chunkThreshold(64 * 1024).build();
    }

    @AfterEach
    void closeConnections() {
        connections.close();
    }

    @Override
    protected void expireLease(long batchId) {
        sql.expireLease(batchId);
    }

    @Override
    protected void makeDue(long batchId) {
        sql.update(
                "UPDATE batch_processing_queue SET run_after = now() - interval '1 second' WHERE batch_id = ?",
                batchId);
    }

    @Override
    protected void ageBy(long batchId, Duration age) {
        sql.update(
                "UPDATE batch_processing_queue SET run_after = run_after - ? * interval '1 millisecond',"
                        + " updated_at = updated_at - ? * interval '1 millisecond' WHERE batch_id = ?",
                age.toMillis(),
                age.toMillis(),
                batchId);
    }

    static String bigJson(int approxChars) {
        StringBuilder b = new StringBuilder("{\"items\":[");
        for (int i = 0; b.length() < approxChars; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"n\":")
                    .append(i)
                    .append(",\"s\":\"ü\\\"x😀")
                    .append(i)
                    .append("\"}");
        }
        return b.append("]}").toString();
    }

    @Test
    void a_large_output_is_stored_as_chunk_rows_and_read_back_exactly() {
        store.create(1, "setup");
        BatchRecord c = store.claim(1, "setup", "w", LEASE).orElseThrow();
        String json = bigJson(1_000_000);
        assertThat(store.advance(c, json, "extraction", StageStats.NONE)).isTrue();
        long rows = sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'setup'");
        assertThat(rows).isEqualTo((json.length() + 64 * 1024 - 1) / (64 * 1024));
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND chunks = ?", rows))
                .isEqualTo(rows);
        assertThat(store.readOutput(1, "setup").orElseThrow()).isEqualTo(json);
    }

    @Test
    void a_small_output_is_one_queryable_jsonb_row() {
        store.create(1, "setup");
        store.advance(
                store.claim(1, "setup", "w", LEASE).orElseThrow(), "{\"count\": 3}", "extraction", StageStats.NONE);
        assertThat(sql.rows("SELECT chunk, chunks, (data->>'count')::int AS count FROM batch_processing_data "
                        + "WHERE batch_id = 1"))
                .containsExactly(Map.of("chunk", 0, "chunks", 1, "count", 3));
    }

    @Test
    void a_chunked_partial_output_is_replaced_by_a_small_final_one() {
        store.create(1, "setup");
        store.saveProgress(store.claim(1, "setup", "w", LEASE).orElseThrow(), "1", bigJson(300_000), StageStats.NONE);
        assertThat(sql.outputRows(1)).isGreaterThan(1);
        store.advance(store.claim(1, "setup", "w", LEASE).orElseThrow(), "[1]", "extraction", StageStats.NONE);
        assertThat(sql.outputRows(1)).isEqualTo(1);
        assertThat(store.readOutput(1, "setup")).contains("[1]");
    }

    @Test
    void the_builder_refuses_bad_settings_naming_them() {
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1023))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunkThreshold")
                .hasMessageContaining("1024 and 16777216");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).chunkThreshold(16 * 1024 * 1024 + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunkThreshold");
        assertThat(JdbcStageStore.builder(PG.dataSource())
                        .chunkThreshold(1024)
                        .chunkThreshold(16 * 1024 * 1024)
                        .build())
                .isNotNull();
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).tablePrefix("x; DROP TABLE"))
                .hasMessageContaining("tablePrefix");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).schema("Public"))
                .hasMessageContaining("schema");
    }
}
