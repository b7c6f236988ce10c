package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The memory bounds of the Javadoc, each in a JVM of its own: a 50 MB output round-trips as one string
 * in a 256 MB heap, a 200 MB output streams through the runner and the store in a 48 MB heap, and 50 MB of
 * shard outputs join in a 48 MB heap.
 */
class LargeOutputTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final int SIZE = 50 * 1024 * 1024;

    @Test
    void a_50_mb_output_round_trips_exactly_in_a_jvm_with_a_256_mb_heap() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        assertThat(runJava("-Xmx256m", LargeOutputMain.class, Integer.toString(SIZE)))
                .startsWith("ROUND TRIP OK");
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'setup'"))
                .isEqualTo(SIZE / JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        assertThat(sql.count("SELECT sum(length(data #>> '{}')) FROM batch_processing_data WHERE batch_id = 1"))
                .isEqualTo(SIZE);
    }

    @Test
    void a_200_mb_output_streams_from_one_stage_to_the_next_in_a_jvm_with_a_48_mb_heap() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        int items = 200 * 1024 * 1024 / (StreamedOutputMain.ITEM + 3);
        assertThat(runJava("-Xmx48m", StreamedOutputMain.class, Integer.toString(items)))
                .startsWith("STREAMED OK " + items);
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'produce'"))
                .as("chunk rows of the 200 MB output")
                .isGreaterThanOrEqualTo(200 * 1024 * 1024 / JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        assertThat(sql.count("SELECT sum(length(data #>> '{}')) FROM batch_processing_data WHERE batch_id = 1 AND "
                        + "stage = 'produce'"))
                .as("characters: each item, its quotes and its comma")
                .isGreaterThanOrEqualTo((long) items * (StreamedOutputMain.ITEM + 3));
    }

    @Test
    void fifty_mb_of_shard_outputs_join_into_one_output_in_a_jvm_with_a_48_mb_heap() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        int items = SIZE / (StreamedOutputMain.ITEM + 3);
        assertThat(runJava("-Xmx48m", FanOutJoinMain.class, Integer.toString(items)))
                .startsWith("JOINED OK " + items);
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_shard WHERE batch_id = 1 AND status = 'completed'"))
                .isEqualTo(8);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'produce'"))
                .as("chunk rows of the joined 50 MB output")
                .isGreaterThanOrEqualTo(SIZE / JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
    }

    /** Runs {@code main} of {@code type} in a JVM of its own with this test's class path; @return what it printed */
    static String runJava(String heap, Class<?> type, String arg) throws Exception {
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        heap,
                        "-cp",
                        System.getProperty("java.class.path"),
                        type.getName(),
                        PG.jdbcUrl(),
                        arg)
                .redirectErrorStream(true)
                .start();
        try {
            String output = assertTimeoutPreemptively(
                    Duration.ofSeconds(180),
                    () -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertThat(p.waitFor()).as(output).isZero();
            return output.lines()
                    .filter(l ->
                            l.startsWith("ROUND TRIP OK") || l.startsWith("STREAMED OK") || l.startsWith("JOINED OK"))
                    .findFirst()
                    .orElse(output);
        } finally {
            p.destroyForcibly();
        }
    }
}
