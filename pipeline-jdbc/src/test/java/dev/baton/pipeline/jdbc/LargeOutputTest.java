package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The heap bound of the Javadoc: a 50 MB output round-trips in a JVM with a 256 MB heap. */
class LargeOutputTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();
    static final int SIZE = 50 * 1024 * 1024;

    @Test
    void a_50_mb_output_round_trips_exactly_in_a_jvm_with_a_256_mb_heap() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), LargeOutputMain.class.getName(), PG.jdbcUrl(), Integer.toString(SIZE))
                .redirectErrorStream(true)
                .start();
        try {
            String output = assertTimeoutPreemptively(Duration.ofSeconds(120),
                    () -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertThat(p.waitFor()).as(output).isZero();
            assertThat(output).startsWith("ROUND TRIP OK");
        } finally {
            p.destroyForcibly();
        }
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'setup'"))
                .isEqualTo(SIZE / JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        assertThat(sql.count("SELECT sum(length(data #>> '{}')) FROM batch_processing_data WHERE batch_id = 1")).isEqualTo(SIZE);
    }
}
