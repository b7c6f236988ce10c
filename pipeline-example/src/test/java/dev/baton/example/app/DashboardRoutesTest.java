package dev.baton.example.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.example.cli.TriggerKind;
import dev.baton.example.host.HostSchema;
import dev.baton.example.stages.StageNames;
import dev.baton.example.testing.PooledDatabase;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example's admin routes over HTTP: the dashboard at {@code /} with its Content-Security-Policy, and
 * {@code POST /api/batches/{id}/retry|cancel|restart} behind {@code PIPELINE_ADMIN_TOKEN}'s bearer token.
 */
class DashboardRoutesTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "dashboard-routes-test-secret-0123";
    private static final String TOKEN = "admin-token-for-the-example-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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

    /** Starts the app with setup failing for good at its first attempt, and batch 1 started and failed. */
    private void startWithAFailedBatch(String adminToken) throws Exception {
        db = new PooledDatabase(PG);
        DataSource ds = db.dataSource();
        BatonSchema.migrate(ds);
        HostSchema.migrate(ds);
        TrialSettings d = TrialSettings.defaults();
        BatchEndings endings = new BatchEndings(1);
        app = ExampleApp.builder()
                .database(ds, JdbcStageStore.builder(ds).build())
                .port(0)
                .signingSecret(SECRET)
                .adminToken(adminToken)
                .trigger(TriggerKind.IN_PROCESS)
                .trial(new TrialSettings(
                        Map.of(), Map.of(), Map.of(), Set.of(StageNames.SETUP), d.budget(), 1, d.lease(), 2, 1L))
                .listener(endings)
                .stopWait(Duration.ofSeconds(2))
                .start();
        assertThat(post("/api/process-batch", "{\"batchId\":1}", "Content-Type", "application/json")
                        .statusCode())
                .isEqualTo(202);
        assertTimeoutPreemptively(Duration.ofSeconds(60), endings::await);
        assertThat(state(1)).isEqualTo(BatchState.FAILED);
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(app.baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(app.baseUrl() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private BatchState state(long id) {
        return app.runner().client().status(id).orElseThrow().state();
    }

    @Test
    void the_admin_routes_answer_401_403_404_409_400_and_200_as_the_contract_says() throws Exception {
        startWithAFailedBatch(TOKEN);
        String bearer = "Bearer " + TOKEN;

        assertThat(post("/api/batches/1/retry", null).statusCode()).isEqualTo(401);
        assertThat(post("/api/batches/1/retry", null, "Authorization", "Bearer wrong-token-0123456789abcdef")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("/api/batches/99/retry", null, "Authorization", bearer).statusCode())
                .isEqualTo(404);
        assertThat(post("/api/batches/1/cancel", null, "Authorization", bearer).statusCode())
                .as("a failed batch cannot be cancelled")
                .isEqualTo(409);
        assertThat(post(
                                "/api/batches/1/restart",
                                "{\"stage\":\"no-such-stage\"}",
                                "Authorization",
                                bearer,
                                "Content-Type",
                                "application/json")
                        .statusCode())
                .isEqualTo(400);
        assertThat(post("/api/batches/1/restart", "[1]", "Authorization", bearer, "Content-Type", "application/json")
                        .statusCode())
                .isEqualTo(400);
        assertThat(post("/api/batches/1/retry", null, "Authorization", bearer, "Origin", "https://evil.example")
                        .statusCode())
                .as("a cross-site request, even with the token")
                .isEqualTo(403);
        assertThat(post("/api/batches/1/retry", "x=1", "Authorization", bearer, "Content-Type", "text/plain")
                        .statusCode())
                .as("a form content type")
                .isEqualTo(415);
        assertThat(state(1)).isEqualTo(BatchState.FAILED);

        HttpResponse<String> retried = post("/api/batches/1/retry", null, "Authorization", bearer);
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(retried.body()).get("stage").asText()).isEqualTo(StageNames.SETUP);

        HttpResponse<String> restarted = post(
                "/api/batches/1/restart",
                "{\"stage\":\"" + StageNames.SETUP + "\"}",
                "Authorization",
                bearer,
                "Content-Type",
                "application/json");
        assertThat(restarted.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(restarted.body()).get("attempt").asInt()).isEqualTo(1);
    }

    @Test
    void the_dashboard_replaces_the_status_page_and_the_batch_status_keeps_its_json() throws Exception {
        startWithAFailedBatch(null);

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Baton dashboard</title>", "assets/dashboard.js");
        assertThat(page.headers().firstValue("Content-Security-Policy")).contains(Dashboard.CONTENT_SECURITY_POLICY);
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(get("/assets/dashboard.js").headers().firstValue("Content-Security-Policy"))
                .contains(Dashboard.CONTENT_SECURITY_POLICY);
        JsonNode found = JSON.readTree(
                get("/api/dashboard/overview?state=failed&error=fail").body());
        assertThat(found.get("batches").findValuesAsText("batchId")).containsExactly("1");

        JsonNode status = JSON.readTree(get("/api/batches/1").body());
        List<String> fields = new ArrayList<>();
        status.fieldNames().forEachRemaining(fields::add);
        assertThat(fields)
                .contains("batchId", "stage", "status", "attempt", "error", "hasInput", "stages")
                .doesNotContain("timeline");
        assertThat(status.get("status").asText()).isEqualTo("failed");
        assertThat(JSON.readTree(get("/api/batches").body())
                        .get("counts")
                        .get("failed")
                        .asInt())
                .isEqualTo(1);

        assertThat(post("/api/batches/1/retry", null).statusCode())
                .as("without PIPELINE_ADMIN_TOKEN the dashboard is read-only")
                .isEqualTo(401);
        assertThat(post("/api/batches/1/retry", null, "Authorization", "Bearer " + TOKEN)
                        .statusCode())
                .isEqualTo(403);
        assertThat(state(1)).isEqualTo(BatchState.FAILED);
    }
}
