package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.Main;
import dev.baton.example.app.ShutdownSignal;
import dev.baton.example.stages.StageNames;
import dev.baton.example.trial.TrialSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Parsing and refusing flags: nothing here starts a server or a database. */
class CommandLineTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final CommandContext context = new CommandContext(
            name -> null,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            ds -> {
                throw new SQLException("no database in this test");
            },
            ShutdownSignal::install,
            false);

    private int run(String... args) {
        return Main.commandLine(context).execute(args);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void every_command_has_help_listing_its_flags() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("serve", "demo", "test-batch-api");
        assertThat(run("serve", "--help")).isZero();
        assertThat(out())
                .contains(
                        "--port",
                        "--jdbc-url",
                        "--trigger",
                        "--stage-delay",
                        "--item-delay",
                        "--fail-rate",
                        "--fail-always",
                        "--budget",
                        "--max-attempts",
                        "--lease",
                        "--screenshots",
                        "--fan-out");
        assertThat(run("demo", "--help")).isZero();
        assertThat(out()).contains("--batches", "--screenshots", "--fail-rate", "--fan-out");
        assertThat(run("test-batch-api", "--help")).isZero();
        assertThat(out()).contains("batchId", "--url");
    }

    @Test
    void no_command_is_a_usage_error() {
        assertThat(run()).isEqualTo(2);
        assertThat(err()).contains("name a command");
    }

    @Test
    void an_unknown_flag_is_a_usage_error_naming_it() {
        assertThat(run("serve", "--colour", "blue")).isEqualTo(2);
        assertThat(err()).contains("Unknown option", "'--colour'");
        assertThat(run("demo", "--batchez", "3")).isEqualTo(2);
        assertThat(err()).contains("--batchez");
    }

    @Test
    void bad_values_are_usage_errors_that_say_what_is_accepted() {
        assertThat(run("serve", "--budget", "2x")).isEqualTo(2);
        assertThat(err()).contains("--budget", "'2x' is not a duration");
        assertThat(run("demo", "--fail-rate", "extraction=1.5")).isEqualTo(2);
        assertThat(err()).contains("from 0 to 1");
        assertThat(run("demo", "--fail-rate", "extracton=0.3")).isEqualTo(2);
        assertThat(err()).contains("'extracton' is not a stage", "extraction");
        assertThat(run("serve", "--stage-delay", "setup")).isEqualTo(2);
        assertThat(err()).contains("--stage-delay");
        assertThat(run("serve", "--trigger", "carrier-pigeon")).isEqualTo(2);
        assertThat(err()).contains("http, in-process, queue");
        assertThat(run("serve", "--port", "eighty")).isEqualTo(2);
        assertThat(run("serve", "--port", "70000")).isEqualTo(2);
        assertThat(err()).contains("--port must be 0..65535");
        assertThat(run("demo", "--max-attempts", "0")).isEqualTo(2);
        assertThat(err()).contains("--max-attempts must be 1..100");
        assertThat(run("demo", "--lease", "10ms")).isEqualTo(2);
        assertThat(err()).contains("--lease must be at least 100ms");
        assertThat(run("demo", "--screenshots", "0")).isEqualTo(2);
        assertThat(run("demo", "--batches", "0")).isEqualTo(2);
        assertThat(run("test-batch-api", "-5")).isEqualTo(2);
        assertThat(run("test-batch-api", "--url", "ftp://x")).isEqualTo(2);
    }

    @Test
    void trial_flags_repeat_and_default() {
        DemoCommand demo = new DemoCommand(context);
        CommandLine cl = new CommandLine(demo);
        cl.parseArgs(
                "--stage-delay",
                "setup=1s",
                "--stage-delay",
                "annotation=250ms",
                "--item-delay",
                "extraction=100ms",
                "--fail-rate",
                "extraction=0.3",
                "--fail-always",
                "validation",
                "--fail-always",
                "metadata",
                "--screenshots",
                "4");
        TrialSettings t = demo.trial.toSettings(cl.getCommandSpec());
        assertThat(t.stageDelays())
                .isEqualTo(
                        Map.of(StageNames.SETUP, Duration.ofSeconds(1), StageNames.ANNOTATION, Duration.ofMillis(250)));
        assertThat(t.itemDelays()).isEqualTo(Map.of(StageNames.EXTRACTION, Duration.ofMillis(100)));
        assertThat(t.failRates()).isEqualTo(Map.of(StageNames.EXTRACTION, 0.3));
        assertThat(t.failAlways()).isEqualTo(Set.of(StageNames.VALIDATION, StageNames.METADATA));
        assertThat(t.screenshotsPerBatch()).isEqualTo(4);
        assertThat(t.budget()).isEqualTo(Duration.ofSeconds(50));
        assertThat(t.maxAttempts()).isEqualTo(TrialSettings.DEFAULT_MAX_ATTEMPTS);
        assertThat(t.lease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(demo.batches).isEqualTo(20);
    }

    @Test
    void fan_out_repeats_defaults_to_one_shard_per_stage_and_is_taken_by_serve_too() {
        DemoCommand demo = new DemoCommand(context);
        CommandLine cl = new CommandLine(demo);
        cl.parseArgs("--fan-out", "annotation=8", "--fan-out", "extraction=2", "--fan-out", "metadata=1");
        TrialSettings t = demo.trial.toSettings(cl.getCommandSpec());
        assertThat(t.fanOut())
                .isEqualTo(Map.of(StageNames.ANNOTATION, 8, StageNames.EXTRACTION, 2, StageNames.METADATA, 1));
        assertThat(t.shards(StageNames.ANNOTATION)).isEqualTo(8);
        assertThat(t.shards(StageNames.METADATA)).isEqualTo(1);
        assertThat(t.shards(StageNames.SETUP)).isEqualTo(1);

        DemoCommand plain = new DemoCommand(context);
        CommandLine none = new CommandLine(plain);
        none.parseArgs();
        assertThat(plain.trial.toSettings(none.getCommandSpec()).fanOut()).isEmpty();

        ServeCommand serve = new ServeCommand(context);
        CommandLine sc = new CommandLine(serve);
        sc.parseArgs("--fan-out", "extraction=1024");
        assertThat(serve.trial.toSettings(sc.getCommandSpec()).shards(StageNames.EXTRACTION))
                .isEqualTo(1024);
    }

    @Test
    void fan_out_of_an_unknown_stage_a_count_out_of_range_or_a_stage_that_cannot_is_a_usage_error_saying_what_to_do() {
        assertThat(run("demo", "--fan-out", "anotation=4")).isEqualTo(2);
        assertThat(err()).contains("--fan-out", "'anotation' is not a stage", "annotation");
        assertThat(run("serve", "--fan-out", "annotation=0")).isEqualTo(2);
        assertThat(err()).contains("--fan-out", "'0' is not a shard count", "from 1 to 1024");
        assertThat(run("demo", "--fan-out", "annotation=1025")).isEqualTo(2);
        assertThat(err()).contains("'1025' is not a shard count");
        assertThat(run("demo", "--fan-out", "annotation=many")).isEqualTo(2);
        assertThat(err()).contains("'many' is not a shard count", "whole number");
        assertThat(run("demo", "--fan-out", "annotation")).isEqualTo(2);
        assertThat(err()).contains("--fan-out");
        assertThat(run("serve", "--fan-out", "validation=4")).isEqualTo(2);
        assertThat(err())
                .contains(
                        "--fan-out validation=4",
                        "stage validation cannot fan out",
                        "the stages that can are extraction, annotation, metadata");
        assertThat(run("demo", "--fan-out", "setup=2")).isEqualTo(2);
        assertThat(err()).contains("stage setup cannot fan out");
    }

    @Test
    void serve_takes_its_port_from_the_environment_by_default() {
        CommandContext withPort = new CommandContext(
                name -> name.equals("PORT") ? "4321" : null,
                System.out,
                System.err,
                ds -> null,
                ShutdownSignal::install,
                false);
        ServeCommand serve = new ServeCommand(withPort);
        CommandLine cl = new CommandLine(serve);
        cl.setDefaultValueProvider(null);
        cl.parseArgs();
        assertThat(serve.port).isIn(3000, 4321);
        assertThat(serve.trigger).isEqualTo(TriggerKind.HTTP);
        assertThat(serve.jdbcUrl).isNull();
    }

    @Test
    void a_failing_command_reports_its_error_and_exits_1() {
        assertThat(run("test-batch-api", "--url", "http://127.0.0.1:1")).isEqualTo(1);
        assertThat(err()).contains("nothing answers at http://127.0.0.1:1");
    }
}
