package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.example.Main;
import dev.baton.example.app.ShutdownSignal;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code demo} for real: its own embedded PostgreSQL, the HTTP trigger, the summary and the exit status. */
class DemoCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private int demo(String... args) {
        CommandContext context = new CommandContext(
                name -> null,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err,
                ds -> {
                    BatonSchema.migrate(ds);
                    return JdbcStageStore.builder(ds).build();
                },
                ShutdownSignal::manual,
                false);
        String[] all = new String[args.length + 1];
        all[0] = "demo";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.commandLine(context).execute(all);
    }

    @Test
    void runs_every_batch_to_completion_prints_the_summary_and_exits_zero() {
        int exit = assertTimeoutPreemptively(
                Duration.ofSeconds(150),
                () -> demo("--batches", "3", "--screenshots", "2", "--fail-rate", "annotation=0.3"));
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report)
                .contains(
                        "demo: 3 batches x 2 screenshots",
                        "progress: 100%  batches 3/3",
                        "batches: 3 completed, 0 failed")
                .containsPattern("annotation\\s+\\d+ms\\s+\\d+ms\\s+\\d+ms\\s+\\d+")
                .contains("all 3 batches completed")
                .containsPattern("host results: 6 screenshot analyses, 3 batch results, sha256 [0-9a-f]{16}\\n");
        assertThat(report).containsPattern("annotation .*\\d+ms  -\\n");
        assertThat(report).containsPattern("persistence\\s+\\d+ms\\s+\\d+ms\\s+\\d+ms\\s+3\\s+3\\s+0");
    }

    @Test
    void fanned_out_annotation_shows_its_shards_and_the_host_results_equal_those_of_a_run_without() {
        int plainExit =
                assertTimeoutPreemptively(Duration.ofSeconds(150), () -> demo("--batches", "2", "--screenshots", "20"));
        String plain = out.toString(StandardCharsets.UTF_8);
        out.reset();
        int fannedExit = assertTimeoutPreemptively(
                Duration.ofSeconds(150),
                () -> demo("--batches", "2", "--screenshots", "20", "--fan-out", "annotation=4"));
        String fanned = out.toString(StandardCharsets.UTF_8);

        assertThat(plainExit).as(plain).isZero();
        assertThat(fannedExit).as(fanned).isZero();
        assertThat(fanned)
                .contains("demo: 2 batches x 20 screenshots, 6 stages each, HTTP trigger, annotation in 4 " + "shards");
        assertThat(fanned).containsPattern("annotation .*\\d+ms  8/8\\n");
        assertThat(fanned).containsPattern("extraction .*\\d+ms  -\\n");
        assertThat(plain).containsPattern("annotation .*\\d+ms  -\\n");
        assertThat(hostResults(fanned))
                .isEqualTo(hostResults(plain))
                .contains("40 screenshot analyses, 2 batch results");
    }

    private static String hostResults(String report) {
        Matcher m = Pattern.compile("host results: (.*)").matcher(report);
        assertThat(m.find()).as(report).isTrue();
        return m.group(1);
    }

    @Test
    void exits_one_when_a_batch_fails_and_names_it() {
        int exit = assertTimeoutPreemptively(
                Duration.ofSeconds(150),
                () -> demo("--batches", "2", "--screenshots", "1", "--fail-always", "metadata", "--max-attempts", "1"));
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isEqualTo(1);
        assertThat(report)
                .contains(
                        "batches: 0 completed, 2 failed",
                        "batch 1 at metadata:",
                        "--fail-always metadata",
                        "not every batch completed");
    }
}
