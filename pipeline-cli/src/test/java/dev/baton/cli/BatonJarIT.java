package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The built {@code target/baton.jar} (failsafe runs this after {@code package}), in its own JVM. */
class BatonJarIT {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Path JAR = Path.of("target", "baton.jar");

    record Ran(int code, String out, String err) {}

    static Ran java(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("baton-out", ".txt");
        Path err = Files.createTempFile("baton-err", ".txt");
        Process p = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("baton.jar " + List.of(args) + " did not end within 2 minutes");
        }
        return new Ran(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void the_jar_migrates_reports_a_missing_batch_with_exit_3_and_prints_its_help() throws Exception {
        assertThat(JAR).exists();
        Ran migrate = java("--jdbc-url", PG.jdbcUrl(), "migrate");
        assertThat(migrate.code()).as(migrate.toString()).isZero();
        assertThat(migrate.out()).contains("applied Baton migrations [1, 2, 3, 4]");
        assertThat(migrate.err()).as("no library log lines at INFO").isEmpty();

        Ran missing = java("--jdbc-url", PG.jdbcUrl(), "--json", "status", "7");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("\"error\":\"not_found\"");

        Ran help = java("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: baton").contains("Exit codes:");
    }
}
