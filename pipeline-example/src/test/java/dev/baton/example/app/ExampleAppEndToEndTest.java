package dev.baton.example.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.example.cli.TriggerKind;
import dev.baton.example.host.HostSchema;
import dev.baton.example.stages.StageNames;
import dev.baton.example.testing.PooledDatabase;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole app on PostgreSQL, its stages calling each other through the real HTTP trigger. */
class ExampleAppEndToEndTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "end-to-end-test-secret-0123456789";

    private ExampleApp app;
    private PooledDatabase db;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private StageStore store(DataSource ds) throws Exception {
        BatonSchema.migrate(ds);
        HostSchema.migrate(ds);
        return JdbcStageStore.builder(ds).build();
    }

    private AppClient start(TrialSettings trial, BatchEndings endings) throws Exception {
        return start(trial, endings, TriggerKind.HTTP);
    }

    private AppClient start(TrialSettings trial, BatchEndings endings, TriggerKind trigger) throws Exception {
        db = new PooledDatabase(PG);
        DataSource ds = db.dataSource();
        app = ExampleApp.builder()
                .database(ds, store(ds))
                .port(0)
                .signingSecret(SECRET)
                .trial(trial)
                .listener(endings)
                .trigger(trigger)
                .stopWait(Duration.ofSeconds(2))
                .start();
        return new AppClient(app.baseUrl());
    }

    private static TrialSettings trial(Map<String, Double> failRates, Set<String> failAlways, int screenshots) {
        TrialSettings d = TrialSettings.defaults();
        return new TrialSettings(
                Map.of(), Map.of(), failRates, failAlways, d.budget(), d.maxAttempts(), d.lease(), screenshots, 1L);
    }

    private static int count(String sql) throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void submit(AppClient client, int batches) throws Exception {
        for (long id = 1; id <= batches; id++) {
            AppClient.Answer a = client.post("/api/process-batch", "{\"batchId\":" + id + "}");
            assertThat(a.status()).as("process-batch %d: %s", id, a.body()).isEqualTo(202);
            assertThat(a.json().get("batchId").asLong()).isEqualTo(id);
        }
    }

    @Test
    void twenty_batches_of_ten_screenshots_complete_and_land_in_the_host_tables() throws Exception {
        BatchEndings endings = new BatchEndings(20);
        AppClient client = start(trial(Map.of(), Set.of(), 10), endings);

        submit(client, 20);
        assertTimeoutPreemptively(Duration.ofSeconds(150), endings::await);

        assertThat(endings.completed).hasSize(20);
        assertThat(count("SELECT count(*) FROM batch WHERE status = 'completed' AND completed_at IS NOT NULL"))
                .isEqualTo(20);
        assertThat(count("SELECT count(*) FROM screenshot")).isEqualTo(200);
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE jsonb_array_length(components) > 0 "
                        + "AND width > 0"))
                .isEqualTo(200);
        assertThat(count("SELECT count(*) FROM batch_result WHERE screenshots = 10 AND recall > 0.9"))
                .isEqualTo(20);
        assertThat(count("SELECT count(*) FROM batch_processing_queue WHERE status = 'completed' AND "
                        + "current_stage = 'completed'"))
                .isEqualTo(20);

        JsonNode status = client.get("/api/batches/7").json();
        assertThat(status.get("batchId").asLong()).isEqualTo(7);
        assertThat(status.get("stage").asText()).isEqualTo("completed");
        assertThat(status.get("status").asText()).isEqualTo("completed");
        assertThat(status.get("attempt").asInt()).isEqualTo(1);
        assertThat(status.get("error").isNull()).isTrue();
        assertThat(status.get("hasInput").asBoolean()).isFalse();
        List<String> names = new ArrayList<>();
        for (JsonNode s : status.get("stages")) {
            names.add(s.get("name").asText());
            assertThat(s.get("attempts").asInt()).isEqualTo(1);
            assertThat(s.get("invocations").asInt()).isEqualTo(1);
            assertThat(s.get("maxInvocationMs").isIntegralNumber()).isTrue();
            assertThat(s.get("startedAt").asText()).isNotBlank();
            assertThat(s.get("finishedAt").asText()).isNotBlank();
        }
        assertThat(names).containsExactlyElementsOf(StageNames.ALL);

        assertThat(client.get("/health").status()).isEqualTo(200);
        assertThat(client.get("/api/batches/999").status()).isEqualTo(404);
        AppClient.Answer again = client.post("/api/process-batch", "{\"batchId\":7}");
        assertThat(again.status()).as("the same start again").isEqualTo(202);
        assertThat(again.json().get("created").asBoolean()).isFalse();
        assertThat(client.post("/api/process-batch", "{\"batchId\":7,\"input\":{\"screenshots\":3}}")
                        .status())
                .as("an input where the run has none")
                .isEqualTo(409);
        assertThat(client.post("/api/process-batch", "{\"batchId\":\"seven\"}").status())
                .isEqualTo(400);
        assertThat(client.post("/api/batch-processing/setup", "{\"batchId\":7}").status())
                .isEqualTo(401);
        assertThat(client.get("/").body()).contains("<title>Baton dashboard");
        JsonNode listing = client.get("/api/batches").json();
        assertThat(listing.get("counts").get("completed").asInt()).isEqualTo(20);
        assertThat(listing.get("batches")).hasSize(20);
        assertThat(listing.get("batches").get(0).get("hostStatus").asText()).isEqualTo("completed");
    }

    @Test
    void with_a_thirty_percent_extraction_failure_rate_every_batch_completes_after_retries() throws Exception {
        BatchEndings endings = new BatchEndings(10);
        AppClient client = start(trial(Map.of(StageNames.EXTRACTION, 0.3), Set.of(), 3), endings);

        submit(client, 10);
        assertTimeoutPreemptively(Duration.ofSeconds(150), endings::await);

        assertThat(endings.completed).hasSize(10);
        int retried = 0;
        for (long id = 1; id <= 10; id++) {
            JsonNode extraction =
                    client.get("/api/batches/" + id).json().get("stages").get(1);
            assertThat(extraction.get("name").asText()).isEqualTo(StageNames.EXTRACTION);
            retried += extraction.get("attempts").asInt() > 1 ? 1 : 0;
        }
        assertThat(retried)
                .as("batches whose extraction took more than one attempt")
                .isPositive();
        assertThat(count("SELECT count(*) FROM batch WHERE status = 'completed'"))
                .isEqualTo(10);
    }

    @Test
    void when_validation_always_fails_every_batch_ends_failed_in_the_queue_and_the_host_table() throws Exception {
        BatchEndings endings = new BatchEndings(10);
        AppClient client = start(trial(Map.of(), Set.of(StageNames.VALIDATION), 3), endings);

        submit(client, 10);
        assertTimeoutPreemptively(Duration.ofSeconds(150), endings::await);

        assertThat(endings.failed).hasSize(10);
        for (long id = 1; id <= 10; id++) {
            JsonNode status = client.get("/api/batches/" + id).json();
            assertThat(status.get("status").asText()).isEqualTo("failed");
            assertThat(status.get("stage").asText()).isEqualTo(StageNames.VALIDATION);
            assertThat(status.get("error").asText()).contains("validation");
        }
        assertThat(count("SELECT count(*) FROM batch WHERE status = 'failed' AND error_message LIKE '%validation%'"))
                .isEqualTo(10);
        assertThat(count("SELECT count(*) FROM screenshot_analysis")).isZero();
    }

    @Test
    void the_queue_and_in_process_triggers_run_batches_to_completion_too() throws Exception {
        for (TriggerKind trigger : new TriggerKind[] {TriggerKind.QUEUE, TriggerKind.IN_PROCESS}) {
            BatchEndings endings = new BatchEndings(3);
            AppClient client = start(trial(Map.of(), Set.of(), 2), endings, trigger);
            long first = trigger == TriggerKind.QUEUE ? 101 : 201;
            for (long id = first; id < first + 3; id++) {
                assertThat(client.post("/api/process-batch", "{\"batchId\":" + id + "}")
                                .status())
                        .isEqualTo(202);
            }
            assertTimeoutPreemptively(Duration.ofSeconds(60), endings::await);
            assertThat(endings.completed).as(trigger.flag()).hasSize(3);
            assertThat(client.get("/api/batches/" + first).json().get("status").asText())
                    .isEqualTo("completed");
            app.close();
            app = null;
            db.close();
            db = null;
        }
        assertThat(count("SELECT count(*) FROM batch WHERE status = 'completed'"))
                .isEqualTo(6);
    }

    @Test
    void a_batch_started_with_an_input_of_three_screenshots_analyses_three_and_one_without_keeps_the_default()
            throws Exception {
        BatchEndings endings = new BatchEndings(2);
        AppClient client = start(trial(Map.of(), Set.of(), 10), endings);

        AppClient.Answer withInput =
                client.post("/api/process-batch", "{\"batchId\":31,\"input\":{\"screenshots\":3}}");
        AppClient.Answer without = client.post("/api/process-batch", "{\"batchId\":32}");
        assertThat(withInput.status()).as(withInput.body()).isEqualTo(202);
        assertThat(withInput.json().get("hasInput").asBoolean()).isTrue();
        assertThat(withInput.json().get("created").asBoolean()).isTrue();
        assertThat(without.status()).as(without.body()).isEqualTo(202);
        assertTimeoutPreemptively(Duration.ofSeconds(150), endings::await);

        assertThat(endings.completed).containsExactlyInAnyOrder(31L, 32L);
        JsonNode status = client.get("/api/batches/31").json();
        assertThat(status.get("status").asText()).isEqualTo("completed");
        assertThat(status.get("hasInput").asBoolean()).isTrue();
        assertThat(client.get("/api/batches/32").json().get("hasInput").asBoolean())
                .isFalse();
        assertThat(count("SELECT screenshot_count FROM batch WHERE batch_id = 31"))
                .isEqualTo(3);
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 31"))
                .isEqualTo(3);
        assertThat(count("SELECT screenshots FROM batch_result WHERE batch_id = 31"))
                .isEqualTo(3);
        assertThat(count("SELECT screenshots FROM batch_result WHERE batch_id = 32"))
                .isEqualTo(10);
        assertThat(client.get("/api/batches").json().get("batches").findValuesAsText("hasInput"))
                .contains("true", "false");

        AppClient.Answer same = client.post("/api/process-batch", "{\"batchId\":31,\"input\":{\"screenshots\":3}}");
        assertThat(same.status()).as(same.body()).isEqualTo(202);
        assertThat(same.json().get("created").asBoolean()).isFalse();
        AppClient.Answer other = client.post("/api/process-batch", "{\"batchId\":31,\"input\":{\"screenshots\":4}}");
        assertThat(other.status()).as(other.body()).isEqualTo(409);
        assertThat(other.json().get("error").asText()).contains("batch 31").contains("another input");
    }

    @Test
    void a_start_with_a_bad_input_is_a_400_that_creates_nothing_in_either_table() throws Exception {
        AppClient client = start(trial(Map.of(), Set.of(), 10), new BatchEndings(0));

        AppClient.Answer notAnObject = client.post("/api/process-batch", "{\"batchId\":41,\"input\":[3]}");
        AppClient.Answer badCount = client.post("/api/process-batch", "{\"batchId\":42,\"input\":{\"screenshots\":0}}");
        AppClient.Answer typo = client.post("/api/process-batch", "{\"batchId\":43,\"input\":{\"screenshot\":3}}");
        AppClient.Answer unknownField = client.post("/api/process-batch", "{\"batchId\":44,\"inputs\":{}}");

        assertThat(notAnObject.status()).as(notAnObject.body()).isEqualTo(400);
        assertThat(notAnObject.json().get("error").asText()).startsWith("input must be a JSON object");
        assertThat(badCount.status()).as(badCount.body()).isEqualTo(400);
        assertThat(badCount.json().get("error").asText())
                .isEqualTo("batch 42: input.screenshots must be an integer"
                        + " from 1 to 1000, got 0; leave it out for the default count");
        assertThat(typo.status()).as(typo.body()).isEqualTo(400);
        assertThat(typo.json().get("error").asText()).contains("unknown field 'screenshot'");
        assertThat(unknownField.status()).as(unknownField.body()).isEqualTo(400);
        assertThat(count("SELECT count(*) FROM batch")).isZero();
        assertThat(count("SELECT count(*) FROM batch_processing_queue")).isZero();
    }
}
