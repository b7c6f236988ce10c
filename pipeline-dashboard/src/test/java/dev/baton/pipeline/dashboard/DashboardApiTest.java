package dev.baton.pipeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's JSON API over real HTTP (JDK server): status codes, security headers, cross-site checks. */
class DashboardApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BEARER = "Bearer " + DashboardFixture.TOKEN;

    private final SynchronousTrigger trigger = new SynchronousTrigger();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private DashboardFixture app;

    @BeforeEach
    void start() throws Exception {
        app = new DashboardFixture(new InMemoryStageStore(), trigger, DashboardFixture.tokenAuthorizer());
        app.failures.put(2L, DashboardFixture.REFUSED);
        app.runner.client().start(1);
        app.runner.client().start(2);
        trigger.drain();
        app.runner.client().start(3); // left pending: nothing drains it
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.base().resolve(path))
                .timeout(Duration.ofSeconds(10))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.base().resolve(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private BatchState state(long id) {
        return app.runner.client().status(id).orElseThrow().state();
    }

    @Test
    void retry_needs_a_bearer_token_401_without_403_for_a_wrong_one_and_then_runs_the_batch_again() throws Exception {
        assertThat(post("api/batches/2/retry", null).statusCode()).isEqualTo(401);
        assertThat(post("api/batches/2/retry", null, "Authorization", "Bearer not-the-token-at-all-xx")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("api/batches/2/retry", null, "Authorization", "Basic YWRtaW46YWRtaW4=")
                        .statusCode())
                .isEqualTo(401);
        assertThat(state(2)).isEqualTo(BatchState.FAILED);

        app.failures.clear();
        HttpResponse<String> retried = post("api/batches/2/retry", null, "Authorization", BEARER);
        assertThat(retried.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(retried.body());
        assertThat(body.get("status").asText()).isEqualTo("pending");
        assertThat(body.get("stage").asText()).isEqualTo("analyse");
        trigger.drain();
        assertThat(state(2)).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void an_action_the_state_does_not_allow_is_409_an_unknown_batch_404_a_bad_body_or_stage_400() throws Exception {
        assertThat(post("api/batches/1/retry", null, "Authorization", BEARER).statusCode())
                .as("a completed batch cannot be retried")
                .isEqualTo(409);
        assertThat(post("api/batches/1/cancel", null, "Authorization", BEARER).statusCode())
                .as("a completed batch cannot be cancelled")
                .isEqualTo(409);
        assertThat(post("api/batches/99/retry", null, "Authorization", BEARER).statusCode())
                .isEqualTo(404);
        assertThat(post("api/batches/99/cancel", null, "Authorization", BEARER).statusCode())
                .isEqualTo(404);
        String json = "application/json";
        assertThat(post(
                                "api/batches/99/restart",
                                "{\"stage\":\"fetch\"}",
                                "Authorization",
                                BEARER,
                                "Content-Type",
                                json)
                        .statusCode())
                .isEqualTo(404);
        assertThat(post("api/batches/1/restart", "{\"stage\":\"nope\"}", "Authorization", BEARER, "Content-Type", json)
                        .statusCode())
                .isEqualTo(400);
        assertThat(post("api/batches/1/restart", "{}", "Authorization", BEARER, "Content-Type", json)
                        .statusCode())
                .isEqualTo(400);
        assertThat(post("api/batches/1/restart", "{\"stage\":", "Authorization", BEARER, "Content-Type", json)
                        .statusCode())
                .isEqualTo(400);
        assertThat(post("api/batches/x/retry", null, "Authorization", BEARER).statusCode())
                .isEqualTo(400);
        assertThat(state(1)).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void cancel_stops_a_pending_batch_and_restart_runs_a_completed_one_from_the_chosen_stage() throws Exception {
        assertThat(post("api/batches/3/cancel", null, "Authorization", BEARER).statusCode())
                .isEqualTo(200);
        assertThat(state(3)).isEqualTo(BatchState.CANCELLED);

        HttpResponse<String> restarted = post(
                "api/batches/1/restart",
                "{\"stage\":\"analyse\"}",
                "Authorization",
                BEARER,
                "Content-Type",
                "application/json; charset=utf-8");
        assertThat(restarted.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(restarted.body()).get("stage").asText()).isEqualTo("analyse");
        assertThat(app.runner.client().outputPreview(1, "analyse", 10)).isEmpty();
        assertThat(app.runner.client().outputPreview(1, "fetch", 10)).isPresent();
        trigger.drain();
        assertThat(state(1)).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void a_cross_site_post_is_refused_before_the_token_is_even_looked_at() throws Exception {
        assertThat(post("api/batches/2/retry", null, "Authorization", BEARER, "Origin", "https://evil.example")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("api/batches/2/retry", null, "Authorization", BEARER, "Origin", "null")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("api/batches/2/retry", null, "Authorization", BEARER, "Sec-Fetch-Site", "cross-site")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("api/batches/2/retry", null, "Authorization", BEARER, "Sec-Fetch-Site", "same-site")
                        .statusCode())
                .isEqualTo(403);
        for (String form :
                List.of("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain")) {
            assertThat(post("api/batches/2/retry", "a=b", "Authorization", BEARER, "Content-Type", form)
                            .statusCode())
                    .as(form)
                    .isEqualTo(415);
        }
        assertThat(state(2)).isEqualTo(BatchState.FAILED);

        String own = "http://127.0.0.1:" + app.port();
        assertThat(post(
                                "api/batches/2/retry",
                                "{}",
                                "Authorization",
                                BEARER,
                                "Origin",
                                own,
                                "Sec-Fetch-Site",
                                "same-origin",
                                "Content-Type",
                                "application/json")
                        .statusCode())
                .as("the page's own origin")
                .isEqualTo(200);
        assertThat(state(2)).isEqualTo(BatchState.PENDING);
    }

    @Test
    void every_response_carries_the_strict_content_security_policy_and_nosniff() throws Exception {
        List<HttpResponse<String>> answers = List.of(
                get(""),
                get("index.html"),
                get("assets/dashboard.js"),
                get("assets/dashboard.css"),
                get("assets/nope.js"),
                get("api/dashboard/overview"),
                get("api/dashboard/batches/2"),
                get("api/dashboard/batches/404"),
                get("api/dashboard/session"),
                post("api/batches/2/retry", null),
                post("api/batches/2/retry", null, "Origin", "https://evil.example"));
        for (HttpResponse<String> r : answers) {
            assertThat(r.headers().firstValue("Content-Security-Policy"))
                    .as(r.request().method() + " " + r.uri() + " (" + r.statusCode() + ")")
                    .contains(Dashboard.CONTENT_SECURITY_POLICY);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        }
        assertThat(Dashboard.CONTENT_SECURITY_POLICY)
                .contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'none'");
        HttpResponse<String> page = answers.get(0);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body())
                .as("no inline script or style, no outside host")
                .doesNotContain("<script>", "style=", "<style", "onclick", "http://", "https://");
        assertThat(answers.get(2).headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
    }

    @Test
    void the_overview_finds_a_failed_batch_by_its_error_text_and_the_timeline_shows_its_stages() throws Exception {
        JsonNode found = JSON.readTree(
                get("api/dashboard/overview?error=CONNECTION%20refused").body());
        assertThat(found.get("batches").findValuesAsText("batchId")).containsExactly("2");
        assertThat(found.get("counts").get("failed").asLong()).isEqualTo(1);
        assertThat(found.get("counts").get("completed").asLong()).isEqualTo(1);
        assertThat(found.get("stageNames").toString()).isEqualTo("[\"fetch\",\"analyse\",\"store\"]");
        assertThat(JSON.readTree(get("api/dashboard/overview?state=completed&stage=completed")
                                .body())
                        .get("batches")
                        .findValuesAsText("batchId"))
                .containsExactly("1");
        assertThat(JSON.readTree(get("api/dashboard/overview?id=3").body())
                        .get("batches")
                        .findValuesAsText("status"))
                .containsExactly("pending");
        JsonNode paged = JSON.readTree(get("api/dashboard/overview?limit=2").body());
        assertThat(paged.get("batches").size()).isEqualTo(2);
        assertThat(paged.get("more").asBoolean()).isTrue();
        assertThat(get("api/dashboard/overview?state=bogus").statusCode()).isEqualTo(400);

        JsonNode failed = JSON.readTree(get("api/dashboard/batches/2").body());
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("allowed").get("retry").asBoolean()).isTrue();
        assertThat(failed.get("allowed").get("cancel").asBoolean()).isFalse();
        JsonNode timeline = failed.get("timeline");
        assertThat(timeline.findValuesAsText("phase")).containsExactly("done", "failed", "waiting");
        assertThat(timeline.get(1).get("error").asText()).contains("connection refused");
        assertThat(timeline.get(1).get("attempts").asInt()).isEqualTo(1);
        assertThat(timeline.get(0).get("output").get("text").asText()).isEqualTo("[1,2,3]");
        assertThat(timeline.get(2).get("output").isNull()).isTrue();

        JsonNode done = JSON.readTree(get("api/dashboard/batches/1").body()).get("timeline");
        JsonNode preview = done.get(1).get("output");
        assertThat(preview.get("truncated").asBoolean()).isTrue();
        assertThat(preview.get("text").asText()).hasSize(200);
        assertThat(done.get(1).get("invocations").asInt()).isEqualTo(1);
    }

    @Test
    void the_session_says_which_actions_a_token_is_granted() throws Exception {
        JsonNode anonymous = JSON.readTree(get("api/dashboard/session").body());
        assertThat(anonymous.get("actionsConfigured").asBoolean()).isTrue();
        assertThat(anonymous.get("granted").size()).isZero();
        JsonNode admin = JSON.readTree(
                get("api/dashboard/session", "Authorization", BEARER).body());
        assertThat(admin.get("granted").toString()).isEqualTo("[\"retry\",\"cancel\",\"restart\"]");
        assertThat(admin.get("principal").asText()).isEqualTo("admin-token");
        JsonNode wrong = JSON.readTree(get("api/dashboard/session", "Authorization", "Bearer wrong-token-0123456789")
                .body());
        assertThat(wrong.get("granted").size()).isZero();
        assertThat(wrong.get("refusal").asText()).contains("not the dashboard's admin token");
    }

    @Test
    void a_read_only_dashboard_refuses_every_action_and_offers_no_token_field() throws Exception {
        app.close();
        app = new DashboardFixture(new InMemoryStageStore(), trigger, Authorizer.readOnly());
        app.failures.put(5L, DashboardFixture.REFUSED);
        app.runner.client().start(5);
        trigger.drain();
        assertThat(post("api/batches/5/retry", null).statusCode()).isEqualTo(401);
        assertThat(post("api/batches/5/retry", null, "Authorization", BEARER).statusCode())
                .isEqualTo(403);
        assertThat(JSON.readTree(get("api/dashboard/session").body())
                        .get("actionsConfigured")
                        .asBoolean())
                .isFalse();
        assertThat(state(5)).isEqualTo(BatchState.FAILED);
    }

    @Test
    void the_mount_path_without_its_slash_redirects_to_the_page_and_wrong_methods_are_405() throws Exception {
        HttpResponse<String> bare = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/baton"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bare.statusCode()).isEqualTo(308);
        assertThat(bare.headers().firstValue("Location")).contains("/baton/");
        assertThat(get("api/batches/2/retry").statusCode()).isEqualTo(405);
        assertThat(post("api/dashboard/overview", null).statusCode()).isEqualTo(405);
    }
}
