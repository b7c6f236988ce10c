package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.example.Main;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} in a JVM of its own receives a real SIGTERM ({@link Process#destroy()} on Unix) and exits 0. */
class ServeProcessSignalTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @TempDir
    Path dir;

    @Test
    void sigterm_shuts_serve_down_in_order_with_exit_status_zero() throws Exception {
        Path output = dir.resolve("serve.out");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                        javaBin,
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "serve",
                        "--port",
                        "0",
                        "--jdbc-url",
                        PG.jdbcUrl())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().put("PIPELINE_SIGNING_SECRET", "signal-test-secret-0123456789");
        pb.environment().remove("PORT");
        Process serve = pb.start();
        try {
            int exit = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                while (!read(output).contains("serving on")) {
                    assertThat(serve.isAlive()).as(read(output)).isTrue();
                    Thread.sleep(100);
                }
                serve.destroy();
                return serve.waitFor();
            });
            String log = read(output);
            assertThat(exit).as(log).isZero();
            assertThat(log).contains("SIGTERM: shutting down", "\nstopped");
        } finally {
            serve.destroyForcibly();
        }
    }

    private static String read(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
