package dev.baton.pipeline.spring.starter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spring.testkit.BatonPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * The starter mounts the dashboard at {@code /baton}: the page is served with its Content-Security-Policy, and a
 * failed batch is retried through it by the bearer of {@code baton.dashboard.admin-token}, and by nobody else.
 */
@SpringBootTest(
        classes = DashboardTest.FlakyApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "baton.stages=flaky",
            "baton.stage.flaky.retry.max-attempts=1",
            "baton.dashboard.admin-token=" + DashboardTest.TOKEN
        })
@BatonPostgres
class DashboardTest {
    static final String TOKEN = "an-admin-token-for-this-test";
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Autowired
    BatchClient client;

    @LocalServerPort
    int port;

    /** One stage that fails its first run and succeeds afterwards. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class FlakyApp {
        @Bean
        Stage flaky() {
            AtomicBoolean failed = new AtomicBoolean();
            return ctx -> failed.compareAndSet(false, true)
                    ? StageResult.fail("upstream said no, retry it")
                    : StageResult.done("ok");
        }
    }

    @Test
    void the_page_is_served_at_baton_with_its_content_security_policy() throws Exception {
        HttpResponse<String> page = send(HttpRequest.newBuilder(uri("/baton/")).GET());

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
        assertThat(page.body()).contains("<html");
    }

    @Test
    void a_failed_batch_is_retried_with_the_admin_token_and_refused_without_it() throws Exception {
        client.start(41, "input");
        assertThat(awaitEnd(41).state()).isEqualTo(BatchState.FAILED);
        HttpRequest.Builder retry =
                HttpRequest.newBuilder(uri("/baton/api/batches/41/retry")).POST(HttpRequest.BodyPublishers.noBody());

        assertThat(send(retry).statusCode()).isEqualTo(401);
        assertThat(client.status(41).orElseThrow().state()).isEqualTo(BatchState.FAILED);

        HttpResponse<String> granted = send(retry.copy().header("Authorization", "Bearer " + TOKEN));
        assertThat(granted.statusCode()).isEqualTo(200);
        assertThat(awaitEnd(41).state()).isEqualTo(BatchState.COMPLETED);
    }

    private BatchStatus awaitEnd(long batchId) {
        return Awaitility.await("batch " + batchId + " ends")
                .atMost(Duration.ofSeconds(60))
                .until(
                        () -> client.status(batchId).orElseThrow(),
                        s -> s.state() == BatchState.COMPLETED || s.state() == BatchState.FAILED);
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
