package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.Main;
import dev.baton.example.app.ExampleApp;
import dev.baton.example.app.ShutdownSignal;
import dev.baton.example.host.HostSchema;
import dev.baton.example.testing.PooledDatabase;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The smoke script against a running app. */
class TestBatchApiCommandTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "smoke-test-secret-0123456789";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ExampleApp app;
    private PooledDatabase db;

    @BeforeEach
    void start() throws Exception {
        db = new PooledDatabase(PG);
        BatonSchema.migrate(db.dataSource());
        HostSchema.migrate(db.dataSource());
        app = ExampleApp.builder()
                .database(
                        db.dataSource(), JdbcStageStore.builder(db.dataSource()).build())
                .port(0)
                .signingSecret(SECRET)
                .stopWait(Duration.ofSeconds(1))
                .start();
    }

    @AfterEach
    void stop() {
        app.close();
        db.close();
    }

    private int run(Function<String, String> env, String... args) {
        CommandContext context = new CommandContext(
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err,
                ds -> {
                    throw new java.sql.SQLException("test-batch-api opens no store");
                },
                ShutdownSignal::manual,
                false);
        return Main.commandLine(context).execute(args);
    }

    @Test
    void calls_every_endpoint_signed_and_reports_each_answer() {
        int exit = run(
                Map.of("PIPELINE_SIGNING_SECRET", SECRET)::get,
                "test-batch-api",
                "3",
                "--url",
                app.baseUrl().toString());

        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report)
                .contains(
                        "GET  /health",
                        "POST /api/process-batch",
                        "GET  /api/batches/3",
                        "POST /api/batch-processing/setup",
                        "POST /api/batch-processing/persistence",
                        "/api/batch-processing/no-such-stage")
                .contains("all endpoints answered as expected")
                .doesNotContain("FAIL");
        assertThat(report.lines().filter(l -> l.startsWith("ok"))).hasSize(14);
    }

    @Test
    void without_the_secret_stage_calls_must_be_refused_and_a_second_run_finds_the_same_run() {
        assertThat(run(name -> null, "test-batch-api", "--url", app.baseUrl().toString()))
                .isZero();
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(report)
                .contains("POST /api/batch-processing/setup", "-> 401 (expected 401)")
                .contains("testing " + app.baseUrl() + " with batch 1")
                .contains("created=true");
        out.reset();
        assertThat(run(
                        name -> null,
                        "test-batch-api",
                        "1",
                        "--url",
                        app.baseUrl().toString()))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("POST /api/process-batch", "-> 202 (expected 202 or 409)")
                .contains("created=false")
                .doesNotContain("created=true");
    }

    @Test
    void sends_an_input_and_a_second_run_with_another_input_is_a_conflict_it_allows() {
        String url = app.baseUrl().toString();
        assertThat(run(name -> null, "test-batch-api", "5", "--url", url, "--input", "{\"screenshots\": 2}"))
                .isZero();
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(report)
                .contains("testing " + url + " with batch 5 and input {\"screenshots\": 2}")
                .contains("created=true")
                .contains("hasInput=true")
                .doesNotContain("FAIL");
        out.reset();

        assertThat(run(name -> null, "test-batch-api", "5", "--url", url, "--input", "{\"screenshots\": 3}"))
                .isZero();

        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("-> 409 (expected 202 or 409)", "-> 409 (expected 409)")
                .doesNotContain("FAIL");
    }

    @Test
    void an_input_that_is_not_a_json_object_is_a_usage_error() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandContext context = new CommandContext(
                name -> null,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                ds -> {
                    throw new java.sql.SQLException("test-batch-api opens no store");
                },
                ShutdownSignal::manual,
                false);

        int exit = Main.commandLine(context)
                .execute("test-batch-api", "--url", app.baseUrl().toString(), "--input", "[3]");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--input must be a JSON object");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("testing");
    }
}
