package dev.baton.example.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.app.ExampleApp;
import dev.baton.example.host.HostSchema;
import dev.baton.example.stages.StageNames;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example on the official runtime interface client, in execution environments that an emulator of the
 * Lambda service starts, times out, kills and freezes (see {@link LambdaEmulator}). Runs in the integration
 * phase, on {@code target/pipeline-example-lambda.jar}.
 */
class LambdaOnRuntimeClientIT {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "lambda-emulator-test-secret-0123456789";
    private static final Duration FUNCTION_TIMEOUT = Duration.ofSeconds(10);
    /** About 22 s of stage work per batch at the example's concurrency of 4; annotation alone needs 10 s. */
    private static final String ARGS = "--screenshots 20 --item-delay extraction=1500ms"
            + " --item-delay annotation=2000ms --item-delay metadata=1000ms --lease 6s";
    /** A smaller batch for the runs that kill and freeze environments: 12 screenshots, about 13 s of work. */
    private static final String SMALL = ARGS.replace("--screenshots 20", "--screenshots 12");

    private static final Pattern COLD_START = Pattern.compile(Pattern.quote(ColdStart.PREFIX) + "(\\d+) ms");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LambdaEmulator emulator;

    @AfterEach
    void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("baton.lambda.jar", "target/pipeline-example-lambda.jar"));
        assertThat(jar).as("the Lambda jar, built by mvn package").exists();
        return jar;
    }

    private LambdaEmulator.Function deployStages(String name, String args, boolean freeze, double killShare)
            throws Exception {
        return deployStages(name, args, freeze, killShare, Map.of());
    }

    private LambdaEmulator.Function deployStages(
            String name, String args, boolean freeze, double killShare, Map<String, String> more) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "PIPELINE_JDBC_URL",
                PG.jdbcUrl(),
                "PIPELINE_SIGNING_SECRET",
                SECRET,
                "PIPELINE_EXAMPLE_ARGS",
                args,
                "PIPELINE_PENDING_GRACE",
                "3s"));
        env.putAll(more);
        emulator = new LambdaEmulator(jar(), Path.of("target", "lambda-emulator", name), env);
        LambdaEmulator.Function stages = emulator.deploy(new LambdaEmulator.Deployment(
                name, handler("Lambda handler: "), FUNCTION_TIMEOUT, 3, freeze, killShare, Map.of()));
        emulator.route(stages);
        return stages;
    }

    /** @return the handler string the example's README names on the line that starts with {@code prefix} */
    private static String handler(String prefix) throws Exception {
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim().replace("`", "");
            }
        }
        throw new AssertionError("pipeline-example/README.md has no line starting with '" + prefix + "'");
    }

    private void start(long... ids) throws Exception {
        for (long id : ids) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(emulator.url().resolve("/api/process-batch"))
                            .timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"batchId\":" + id + "}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("start of batch %d: %s", id, r.body()).isEqualTo(202);
        }
    }

    private void awaitEnded(int batches, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (count("SELECT count(*) FROM batch_processing_queue WHERE status IN ('completed', 'failed')") < batches) {
            assertThat(System.nanoTime())
                    .as(
                            "all %d batches ended within %s; queue: %s",
                            batches,
                            within,
                            rows("SELECT batch_id,"
                                    + " current_stage, status, attempt, error_message FROM batch_processing_queue"))
                    .isLessThan(deadline);
            Thread.sleep(250); // polling the database, not timing the code under test
        }
    }

    @Test
    void the_six_stage_example_completes_on_the_runtime_client_with_no_invocation_killed_by_its_timeout()
            throws Exception {
        List<String> reference = referenceRun(3);

        LambdaEmulator.Function stages = deployStages("stages", ARGS, false, 0);
        start(1, 2, 3);
        awaitEnded(3, Duration.ofMinutes(3));

        assertThat(rows("SELECT batch_id, current_stage, status, attempt FROM batch_processing_queue"))
                .containsExactly("1|completed|completed|1", "2|completed|completed|1", "3|completed|completed|1");
        assertThat(stages.timeoutKills)
                .as("invocations killed at their deadline")
                .hasValue(0);
        assertThat(hostTables())
                .as("the host's tables, as the long-lived server left them")
                .isEqualTo(reference);
        assertThat(outputsPerStage()).containsOnly(1);
        assertThat(count("SELECT count(*) FROM batch_processing_data WHERE chunk = 0"))
                .isEqualTo(3 * 6);
        report("timeouts", stages);
    }

    @Test
    void annotation_fanned_out_into_four_shards_writes_what_the_unsharded_server_wrote() throws Exception {
        List<String> reference = referenceRun(2, SMALL);

        LambdaEmulator.Function stages = deployStages("fan-out", SMALL + " --fan-out annotation=4", false, 0);
        start(1, 2);
        awaitEnded(2, Duration.ofMinutes(3));

        assertThat(rows("SELECT batch_id, current_stage, status FROM batch_processing_queue"))
                .containsExactly("1|completed|completed", "2|completed|completed");
        assertThat(rows("SELECT batch_id, stage, status, count(*), sum(to_item - from_item) FROM batch_processing_shard"
                        + " GROUP BY batch_id, stage, status"))
                .as("each batch's annotation ran as 4 shards of 3 screenshots")
                .containsExactly("1|annotation|completed|4|12", "2|annotation|completed|4|12");
        assertThat(hostTables())
                .as("the host's tables, as the long-lived server left them without fan-out")
                .isEqualTo(reference);
        assertThat(outputsPerStage()).containsOnly(1);
        assertThat(stages.timeoutKills).hasValue(0);
        report("fan-out", stages);
    }

    @Test
    void when_a_tenth_of_the_environments_are_killed_mid_stage_the_scheduled_sweeper_rescues_every_batch()
            throws Exception {
        migrate();
        LambdaEmulator.Function stages = deployStages("chaos", SMALL, false, 0.10);
        LambdaEmulator.Function sweeper = emulator.deploy(new LambdaEmulator.Deployment(
                "sweeper", handler("Lambda sweep handler: "), Duration.ofSeconds(30), 1, false, 0, Map.of()));
        emulator.schedule(sweeper, Duration.ofSeconds(2));
        start(1, 2, 3, 4, 5);
        awaitEnded(5, Duration.ofMinutes(4));

        assertThat(rows("SELECT batch_id, current_stage, status FROM batch_processing_queue"))
                .allMatch(r -> r.endsWith("|completed|completed"))
                .hasSize(5);
        assertThat(outputsPerStage()).containsOnly(1);
        assertThat(count("SELECT count(*) FROM batch_processing_data WHERE chunk = 0"))
                .isEqualTo(5 * 6);
        assertThat(count("SELECT count(*) FROM batch_result")).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM screenshot_analysis")).isEqualTo(5 * 12);
        assertThat(stages.chaosKills.get())
                .as("environments killed mid-invocation")
                .isPositive();
        assertThat(stages.timeoutKills).hasValue(0);
        report("chaos", stages);
    }

    @Test
    void an_environment_frozen_after_each_answer_still_starts_the_next_stage_without_a_sweeper() throws Exception {
        migrate();
        LambdaEmulator.Function stages = deployStages("frozen", SMALL, true, 0);
        start(1);
        awaitEnded(1, Duration.ofMinutes(3));

        assertThat(rows("SELECT batch_id, current_stage, status, attempt FROM batch_processing_queue"))
                .containsExactly("1|completed|completed|1");
        assertThat(stages.freezes.get()).as("freezes between invocations").isGreaterThan(5);
        assertThat(stages.timeoutKills).hasValue(0);
        report("frozen", stages);
    }

    @Test
    void a_handler_that_answers_while_its_hand_off_is_in_flight_still_gets_the_next_stage_started() throws Exception {
        migrate();
        // no wait for the hand-off: the answer goes out, and the environment is frozen, with the request in flight
        LambdaEmulator.Function stages =
                deployStages("frozen-in-flight", SMALL, true, 0, Map.of("PIPELINE_HAND_OFF_WAIT", "0ms"));
        LambdaEmulator.Function sweeper = emulator.deploy(new LambdaEmulator.Deployment(
                "sweeper", handler("Lambda sweep handler: "), Duration.ofSeconds(30), 1, false, 0, Map.of()));
        emulator.schedule(sweeper, Duration.ofSeconds(2));
        start(1);
        awaitEnded(1, Duration.ofMinutes(3));

        assertThat(rows("SELECT batch_id, current_stage, status FROM batch_processing_queue"))
                .containsExactly("1|completed|completed");
        assertThat(outputsPerStage()).containsOnly(1);
        assertThat(stages.freezes.get()).isGreaterThan(5);
        report("frozen-in-flight", stages);
    }

    private static void migrate() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        HostSchema.migrate(PG.dataSource());
    }

    /** Runs {@code batches} on the long-lived server (the JDK server, HTTP trigger), then empties every table. */
    private List<String> referenceRun(int batches) throws Exception {
        return referenceRun(batches, ARGS);
    }

    /** Runs {@code batches} on the long-lived server with these trial flags, then empties every table. */
    private List<String> referenceRun(int batches, String args) throws Exception {
        migrate();
        TrialSettings trial = LambdaArgs.parse(args);
        List<String> host;
        try (ExampleApp app = ExampleApp.builder()
                .database(
                        PG.dataSource(), JdbcStageStore.builder(PG.dataSource()).build())
                .port(0)
                .signingSecret(SECRET)
                .trial(trial)
                .stopWait(Duration.ofSeconds(2))
                .start()) {
            for (long id = 1; id <= batches; id++) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(app.baseUrl().resolve("/api/process-batch"))
                                .timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"batchId\":" + id + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode())
                        .as("reference start %d: %s", id, r.body())
                        .isEqualTo(202);
            }
            awaitEnded(batches, Duration.ofMinutes(2));
            host = hostTables();
        }
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("TRUNCATE batch_processing_data, batch_processing_queue, screenshot_analysis, batch_result,"
                    + " screenshot, stored_object, batch RESTART IDENTITY CASCADE");
        }
        assertThat(host).isNotEmpty();
        return host;
    }

    /** The host's results, without ids and times: what a run must produce whatever ran it. */
    private static List<String> hostTables() throws Exception {
        List<String> all = new ArrayList<>();
        all.addAll(rows("SELECT batch_id, status, error_message, screenshot_count FROM batch"));
        all.addAll(rows("SELECT a.batch_id, s.position, a.model, a.components, a.elements, a.anchors, a.detections,"
                + " a.precision, a.recall, a.f1, a.mean_iou, a.width, a.height, a.sha256, a.dominant_colours,"
                + " a.mean_luminance FROM screenshot_analysis a JOIN screenshot s USING (screenshot_id)"));
        all.addAll(rows("SELECT batch_id, screenshots, components, detections, precision, recall, f1, mean_iou,"
                + " per_kind FROM batch_result"));
        return all;
    }

    /** @return for each (batch, stage) with output, how many outputs (first chunks) it has */
    private static List<Integer> outputsPerStage() throws Exception {
        List<Integer> counts = new ArrayList<>();
        for (String r : rows("SELECT batch_id, stage, count(*) FROM batch_processing_data WHERE chunk = 0"
                + " GROUP BY batch_id, stage")) {
            counts.add(Integer.parseInt(r.substring(r.lastIndexOf('|') + 1)));
        }
        assertThat(rows("SELECT DISTINCT stage FROM batch_processing_data"))
                .containsExactlyInAnyOrderElementsOf(StageNames.ALL);
        return counts;
    }

    private static int count(String sql) throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** @return the rows of {@code sql}, ordered by their text, each as its columns joined with {@code |} */
    private static List<String> rows(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(b.toString());
            }
        }
        out.sort(null);
        return out;
    }

    /** Prints the figures of the run: cold starts, invocation times, kills. */
    private static void report(String run, LambdaEmulator.Function f) throws Exception {
        List<Long> cold = new ArrayList<>();
        for (Path log : f.logFiles()) {
            if (Files.exists(log)) {
                Matcher m = COLD_START.matcher(Files.readString(log));
                if (m.find()) {
                    cold.add(Long.parseLong(m.group(1)));
                }
            }
        }
        List<Long> durations = new ArrayList<>(f.durations);
        durations.sort(null);
        System.out.printf(
                "lambda emulator [%s]: %d invocations, %d environments started, %d timeout kills, %d chaos kills,"
                        + " %d freezes; cold start (JVM start to first stage code) ms %s;"
                        + " invocation ms p50 %d max %d%n",
                run,
                f.invocations.get(),
                f.coldStarts(),
                f.timeoutKills.get(),
                f.chaosKills.get(),
                f.freezes.get(),
                cold,
                durations.isEmpty() ? 0 : durations.get(durations.size() / 2),
                durations.isEmpty() ? 0 : durations.get(durations.size() - 1));
    }
}
