package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One stage path configures both sides of the hand-off: a trigger and an endpoint given the same
 * non-default path run a batch end to end over HTTP, and both builders refuse the same bad paths.
 */
class StagePathTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration WAIT = Duration.ofSeconds(120);

    final RecordingListener deliveries = new RecordingListener();
    PipelineRunner runner;
    StageHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (runner != null) {
            runner.close();
        }
    }

    @Test
    void a_batch_on_a_custom_stage_path_completes_through_an_endpoint_serving_it_and_the_default_path_is_404()
            throws Exception {
        BatonSchema.migrate(PG.dataSource());
        StageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        int port = TinyServer.freePort();
        URI base = URI.create("http://127.0.0.1:" + port);
        HttpTrigger trigger = HttpTrigger.builder()
                .baseUrl(base.toString())
                .secret(SignatureTest.SECRET)
                .stagePath("/jobs/stages/")
                .shutdownWait(Duration.ZERO)
                .listener(deliveries)
                .build();
        CountDownLatch completed = new CountDownLatch(1);
        runner = PipelineRunner.builder(SixStages.pipeline(), store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner, SignatureTest.verifier().build())
                .stagePath(trigger.stagePath())
                .build();
        server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .threads(4)
                .stopWait(Duration.ZERO)
                .build();
        server.start();
        runner.start();

        assertThat(trigger.stageUrl("setup")).isEqualTo(URI.create(base + "/jobs/stages/setup"));
        runner.client().start(5);
        assertTimeoutPreemptively(WAIT, () -> completed.await(), () -> "deliveries: " + deliveries.events);

        assertThat(store.find(5).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(deliveries.events)
                .allMatch(e -> e.kind().equals("answered") && e.number() == 200, "all answered 200");
        store.create(6, "setup");
        String body = "{\"batchId\":6}";
        String signature = SignatureTest.signer(SignatureTest.SECRET)
                .sign(body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
        StageEndpoint.Response old = RawHttp.post(
                server.baseUrl(),
                StageEndpoint.STAGE_PREFIX + "setup",
                body,
                Map.of(RequestSigner.HEADER, List.of(signature)));
        assertThat(old.status()).as(old.bodyText()).isEqualTo(404);
        assertThat(store.find(6).orElseThrow().version()).as("nothing ran").isZero();
    }

    @Test
    void the_default_path_is_the_same_on_both_sides() {
        assertThat(StagePath.DEFAULT.value())
                .isEqualTo(HttpTrigger.DEFAULT_STAGE_PATH)
                .isEqualTo(StageEndpoint.STAGE_PREFIX);
        assertThat(StagePath.of("/api/batch-processing/")).isSameAs(StagePath.DEFAULT);
        assertThat(StagePath.of("/jobs/stages/"))
                .isEqualTo(StagePath.of("/jobs/stages/"))
                .hasToString("/jobs/stages/");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "/",
                "jobs/",
                "/jobs",
                "//",
                "/jobs//stages/",
                "/jobs/./",
                "/jobs/../",
                "/jobs?x=1/",
                "/jobs#x/",
                "/jo bs/",
                "/jobs%2F/",
                "/j\u00f6bs/",
                "/api/",
                "/api/batches/",
                "/api/batches/x/"
            })
    void both_builders_refuse_the_same_bad_path_with_the_same_message(String path) {
        String message = catchMessage(() -> StagePath.of(path));
        assertThat(message).contains("stagePath '" + path + "'").contains("/jobs/stages/");
        assertThat(catchMessage(() -> HttpTrigger.builder().stagePath(path))).isEqualTo(message);
        assertThat(catchMessage(() -> StageEndpoint.builder(
                                runner(), SignatureTest.verifier().build())
                        .stagePath(path)))
                .isEqualTo(message);
    }

    @Test
    void a_missing_path_is_refused() {
        assertThatThrownBy(() -> StagePath.of(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> HttpTrigger.builder().stagePath((String) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpTrigger.builder().stagePath((StagePath) null))
                .isInstanceOf(NullPointerException.class);
    }

    PipelineRunner runner() {
        if (runner == null) {
            runner = PipelineRunner.builder(SixStages.pipeline(), new dev.baton.pipeline.testing.InMemoryStageStore())
                    .trigger(new dev.baton.pipeline.testing.SynchronousTrigger())
                    .build();
        }
        return runner;
    }

    static String catchMessage(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("not refused");
    }
}
