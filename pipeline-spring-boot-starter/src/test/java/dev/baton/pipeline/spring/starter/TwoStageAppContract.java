package dev.baton.pipeline.spring.starter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spring.testkit.BatonPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A host that declares only the starter, {@code spring.datasource.url} (from {@link BatonPostgres}), two Stage beans
 * and {@code baton.stages} runs a batch to completion, and {@code /actuator/health} shows {@code baton} UP; each
 * subclass picks one {@code baton.trigger}.
 */
@SpringBootTest(
        classes = TwoStageApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"baton.stages=square,total", "management.endpoint.health.show-components=always"})
@BatonPostgres
abstract class TwoStageAppContract {
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Autowired
    BatchClient client;

    @Autowired
    StageStore store;

    @Autowired
    MeterRegistry meters;

    @LocalServerPort
    int port;

    @Test
    void a_batch_runs_to_completion_and_the_health_shows_baton_up() throws Exception {
        client.start(7, List.of(1, 2, 3, 4));

        BatchStatus status = awaitEnd(7);

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(7, "total")).contains("30");
        assertThat(meters.get("baton.batch.completed").counter().count()).isEqualTo(1.0);
        assertThat(meters.get("baton.stage.duration")
                        .tag("stage", "square")
                        .timer()
                        .count())
                .isEqualTo(1);
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"baton\":{\"status\":\"UP\"");
    }

    BatchStatus awaitEnd(long batchId) {
        return Awaitility.await("batch " + batchId + " ends")
                .atMost(Duration.ofSeconds(60))
                .until(
                        () -> client.status(batchId).orElseThrow(),
                        s -> s.state() == BatchState.COMPLETED || s.state() == BatchState.FAILED);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
