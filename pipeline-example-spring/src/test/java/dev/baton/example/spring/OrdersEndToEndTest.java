package dev.baton.example.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.spring.testkit.BatonPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The service on a random port over the HTTP trigger, on real PostgreSQL: a CSV sent to {@code POST
 * /api/process-batch} goes through import, enrich, aggregate and persist, each stage a signed request to this
 * server, and ends as rows in the service's own table.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "baton.http.signing-secret=orders-test-secret-0123456789")
@BatonPostgres(cleanAfterEach = true, tables = "order_totals")
class OrdersEndToEndTest {
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String CSV = "id,customer,sku,quantity,unit_price\\n"
            + "1,ada,BOOK,2,10.00\\n"
            + "2,ada,PEN,3,1.50\\n"
            + "3,bob,MUG,1,8.00\\n";

    @LocalServerPort
    int port;

    @Autowired
    BatchClient client;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    Pipeline pipeline;

    @Test
    void a_posted_csv_runs_through_every_stage_over_http_and_ends_as_totals_in_the_service_s_table() throws Exception {
        HttpResponse<String> started =
                post("/api/process-batch", "{\"batchId\":1,\"input\":{\"csv\":\"" + CSV + "\"}}");
        assertThat(started.statusCode()).isEqualTo(202);
        assertThat(started.body()).contains("\"created\":true");

        BatchStatus status = awaitEnd(1);

        assertThat(status.state()).as(String.valueOf(status.error())).isEqualTo(BatchState.COMPLETED);
        assertThat(status.stages())
                .extracting(BatchStatus.StageView::name)
                .containsExactly("import", "enrich", "aggregate", "persist");
        assertThat(jdbc.queryForList("SELECT customer, orders, total::text AS total FROM order_totals"
                        + " WHERE batch_id = 1 ORDER BY customer"))
                .containsExactly(
                        Map.of("customer", "ada", "orders", 2, "total", "26.40"),
                        Map.of("customer", "bob", "orders", 1, "total", "9.60"));
        HttpResponse<String> totals = get("/orders/1/totals");
        assertThat(totals.statusCode()).isEqualTo(200);
        assertThat(totals.body()).contains("\"customer\":\"ada\"", "\"total\":26.40");
        HttpResponse<String> batch = get("/api/batches/1");
        assertThat(batch.statusCode()).isEqualTo(200);
        assertThat(batch.body()).contains("\"completed\"");
    }

    @Test
    void the_start_route_keeps_the_seed_s_contract_and_the_stage_route_refuses_unsigned_requests() throws Exception {
        String body = "{\"batchId\":2,\"input\":{\"csv\":\"" + CSV + "\"}}";
        assertThat(post("/api/process-batch", body).statusCode()).isEqualTo(202);
        HttpResponse<String> again = post("/api/process-batch", body);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.body()).contains("\"created\":false");
        assertThat(post("/api/process-batch", "{\"batchId\":2,\"input\":{\"csv\":\"other\"}}")
                        .statusCode())
                .isEqualTo(409);
        assertThat(post("/api/process-batch", "{\"batch\":").statusCode()).isEqualTo(400);
        assertThat(post("/api/batch-processing/import", "{\"batchId\":2}").statusCode())
                .isEqualTo(401);
        assertThat(get("/api/batches/12345").statusCode()).isEqualTo(404);
        awaitEnd(2);
    }

    @Test
    void a_malformed_csv_fails_the_batch_at_once_naming_the_line() {
        client.start(3, new OrderImport("id,customer,sku,quantity,unit_price\n1,ada,BOOK,two,10.00\n"));

        BatchStatus status = awaitEnd(3);

        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.stage()).isEqualTo("import");
        assertThat(status.attempt()).isEqualTo(1);
        assertThat(status.error()).contains("line 2 is not an order");
    }

    @Test
    void the_service_s_own_controller_answers_an_unknown_batch_with_a_404_problem_detail() throws Exception {
        HttpResponse<String> answer = get("/orders/404/totals");

        assertThat(answer.statusCode()).isEqualTo(404);
        assertThat(answer.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(answer.body()).contains("\"title\":\"Batch not found\"", "404");
    }

    @Test
    void the_health_has_a_baton_component_that_is_up() throws Exception {
        HttpResponse<String> health = get("/actuator/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"baton\":{\"status\":\"UP\"");
        assertThat(List.of(jdbc.queryForObject("SELECT count(*) FROM order_totals", Integer.class)))
                .as("the previous test's rows were cleaned")
                .containsExactly(0);
    }

    @Test
    void the_enrich_stage_s_retry_policy_comes_from_the_properties() {
        RetryPolicy retry = pipeline.stage("enrich").retry();

        assertThat(retry.maxAttempts()).isEqualTo(5);
        assertThat(retry.initialBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(pipeline.stage("import").retry().maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS);
    }

    private BatchStatus awaitEnd(long batchId) {
        return Awaitility.await("batch " + batchId + " ends")
                .atMost(Duration.ofSeconds(60))
                .until(
                        () -> client.status(batchId).orElseThrow(),
                        s -> s.state() == BatchState.COMPLETED || s.state() == BatchState.FAILED);
    }

    private HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
