package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the queue row keeps each stage's stats: as the compact array {@code [attempts, invocations, maxInvocationMs,
 * startedAt, finishedAt]} (times in microseconds since the epoch), which every transition rewrites with the row, and
 * still read from the objects that Baton 0.2 wrote.
 */
class StageStatsEncodingTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final StageStats STATS = new StageStats(
            2, 3, 1_234, Instant.parse("2026-01-01T00:00:00.123456Z"), Instant.parse("2026-01-01T00:00:05.654321Z"));
    /** How Baton 0.2 wrote {@link #STATS}. */
    static final String OBJECT_OF_0_2 = "{\"attempts\":2,\"invocations\":3,\"maxInvocationMs\":1234,"
            + "\"startedAt\":\"2026-01-01T00:00:00.123456Z\",\"finishedAt\":\"2026-01-01T00:00:05.654321Z\"}";

    JdbcStageStore store;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    @Test
    void a_stage_s_stats_are_written_as_an_array_with_times_in_epoch_microseconds() {
        assertThat(BatchRowMapper.writeStats(STATS)).isEqualTo("[2,3,1234,1767225600123456,1767225605654321]");
        assertThat(BatchRowMapper.writeStats(StageStats.NONE)).isEqualTo("[0,0,0,null,null]");
    }

    @Test
    void the_array_reads_back_as_the_same_stats_and_times_keep_microseconds() {
        assertThat(BatchRowMapper.readStats("{\"setup\":" + BatchRowMapper.writeStats(STATS) + "}"))
                .isEqualTo(Map.of("setup", STATS));
        StageStats nanos = new StageStats(1, 1, 0, Instant.parse("1969-12-31T23:59:59.999999999Z"), null);
        assertThat(BatchRowMapper.readStats("{\"setup\":" + BatchRowMapper.writeStats(nanos) + "}"))
                .isEqualTo(
                        Map.of("setup", new StageStats(1, 1, 0, Instant.parse("1969-12-31T23:59:59.999999Z"), null)));
    }

    @Test
    void the_array_takes_under_half_the_jsonb_bytes_of_the_object_of_0_2() {
        long array = sql.count("SELECT pg_column_size(CAST(? AS jsonb))", BatchRowMapper.writeStats(STATS));
        long object = sql.count("SELECT pg_column_size(CAST(? AS jsonb))", OBJECT_OF_0_2);
        System.out.printf(
                "stage_stats of one stage in jsonb: %d bytes as an array, %d as the object of 0.2%n", array, object);
        assertThat(array * 2).isLessThan(object);
    }

    @Test
    void a_row_written_by_0_2_reads_back_and_takes_arrays_for_the_stages_after_it() {
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", Duration.ofMinutes(5)).orElseThrow();
        sql.update(
                "UPDATE batch_processing_queue SET stage_stats = CAST(? AS jsonb) WHERE batch_id = 1",
                "{\"earlier\":"
                        + OBJECT_OF_0_2.replace("\"finishedAt\":\"2026-01-01T00:00:05.654321Z\"", "\"finishedAt\":null")
                        + "}");
        StageStats earlier = new StageStats(2, 3, 1_234, STATS.startedAt(), null);
        assertThat(store.find(1).orElseThrow().stageStats()).isEqualTo(Map.of("earlier", earlier));

        assertThat(store.advance(claim, JsonSource.ofText("{}"), "extraction", STATS))
                .isTrue();
        assertThat(store.find(1).orElseThrow().stageStats()).isEqualTo(Map.of("earlier", earlier, "setup", STATS));
        assertThat(sql.count("SELECT (stage_stats->'setup'->>1)::int FROM batch_processing_queue WHERE batch_id = 1"))
                .as("invocations, the array's second element")
                .isEqualTo(3);
    }

    @Test
    void stats_in_neither_form_are_refused_naming_the_stage() {
        assertThatThrownBy(() -> BatchRowMapper.readStats("{\"setup\":[1,2]}"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stage_stats of stage 'setup' is neither");
    }
}
