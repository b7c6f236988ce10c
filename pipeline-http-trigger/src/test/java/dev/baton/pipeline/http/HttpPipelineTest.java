package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whole batches over real HTTP on loopback, stored in PostgreSQL: the runner's {@link HttpTrigger}
 * posts each stage to a {@link StageHttpServer}, whose {@link StageEndpoint} runs it and triggers the
 * next one.
 */
class HttpPipelineTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration WAIT = Duration.ofSeconds(120);
    static final ObjectMapper JSON = new ObjectMapper();
    /** Reads decimals as they are written, trailing zeros included. */
    static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    final RecordingListener deliveries = new RecordingListener();
    HikariDataSource pool;
    StageStore store;
    PipelineRunner runner;
    HttpTrigger trigger;
    StageHttpServer server;
    CountDownLatch completed;

    void start(Pipeline pipeline, int batches) throws Exception {
        int port = TinyServer.freePort();
        URI base = URI.create("http://127.0.0.1:" + port);
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(24);
        pool = new HikariDataSource(config);
        store = JdbcStageStore.builder(pool).build();
        completed = new CountDownLatch(batches);
        trigger = HttpTrigger.builder()
                .environment(Map.of(
                        "PIPELINE_API_URL", base.toString(), "PIPELINE_SIGNING_SECRET", SignatureTest.SECRET)::get)
                .maxInFlight(1024)
                .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(500))
                .shutdownWait(Duration.ZERO)
                .listener(deliveries)
                .build();
        runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        SignatureVerifier verifier = SignatureVerifier.builder()
                .clock(Clock.systemUTC())
                .environment(Map.of("PIPELINE_SIGNING_SECRET", SignatureTest.SECRET)::get)
                .build();
        StageEndpoint endpoint = StageEndpoint.builder(runner, verifier).build();
        server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .threads(16)
                .queueCapacity(2048)
                .backlog(1024)
                .stopWait(Duration.ZERO)
                .build();
        runner.start();
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (runner != null) {
            runner.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    /**
     * Deliveries that were lost or refused. A 409 is not among them: it answers a retry whose first
     * request did reach the receiver (a connection cut after the request was sent is retried, and the
     * duplicate finds the batch moved on), which the compare-and-set on the claim makes harmless.
     */
    List<String> failedDeliveries() {
        return deliveries.events.stream()
                .filter(e -> e.kind().equals("dropped")
                        || e.kind().equals("gaveUp")
                        || (e.kind().equals("answered") && e.number() != 200 && e.number() != 409))
                .map(Object::toString)
                .toList();
    }

    @Test
    void aSixStageBatchStartedOverHttpCompletesOverHttp() throws Exception {
        start(SixStages.pipeline(), 1);

        StageEndpoint.Response started =
                RawHttp.post(server.baseUrl(), "/api/process-batch", "{\"batchId\":77}", Map.of());
        assertThat(started.status()).as(started.bodyText()).isEqualTo(202);
        assertTimeoutPreemptively(WAIT, () -> completed.await());

        StageEndpoint.Response status = RawHttp.get(server.baseUrl(), "/api/batches/77");
        assertThat(status.status()).isEqualTo(200);
        JsonNode s = JSON.readTree(status.body());
        assertThat(s.get("stage").asText()).isEqualTo("completed");
        assertThat(s.get("status").asText()).isEqualTo("completed");
        assertThat(s.get("stages")).hasSize(6).allSatisfy(stage -> {
            assertThat(stage.get("attempts").asInt()).isEqualTo(1);
            assertThat(stage.get("invocations").asInt()).isEqualTo(1);
            assertThat(stage.get("finishedAt").isTextual()).isTrue();
        });
        SixStages.Output out =
                JSON.readValue(store.readOutput(77, "persistence").orElseThrow(), SixStages.Output.class);
        assertThat(out.checksum()).isEqualTo(SixStages.expectedChecksum(77));
        assertThat(RawHttp.get(server.baseUrl(), "/health").status()).isEqualTo(200);
        assertThat(failedDeliveries()).isEmpty();
    }

    @Test
    void aBatchStartedOverHttpWithAnInputShowsItInItsStatusAndItsStagesReadItExactly() throws Exception {
        Pipeline pipeline = Pipeline.builder()
                .stage("setup", ctx -> {
                    ObjectNode input = ctx.input(ObjectNode.class).orElseThrow();
                    return StageResult.done(input.deepCopy()
                            .put("doubled", input.get("screenshots").intValue() * 2));
                })
                .stage("persistence", ctx -> StageResult.done(ctx.output("setup", JsonNode.class)))
                .build();
        start(pipeline, 1);

        StageEndpoint.Response started = RawHttp.post(
                server.baseUrl(),
                "/api/process-batch",
                "{\"batchId\":78,\"input\":{\"screenshots\":3,\"ratio\":1.50}}",
                Map.of());
        assertThat(started.status()).as(started.bodyText()).isEqualTo(202);
        assertThat(JSON.readTree(started.body()).get("hasInput").asBoolean()).isTrue();
        assertTimeoutPreemptively(WAIT, () -> completed.await());

        JsonNode s =
                JSON.readTree(RawHttp.get(server.baseUrl(), "/api/batches/78").body());
        assertThat(s.get("status").asText()).isEqualTo("completed");
        assertThat(s.get("hasInput").asBoolean()).isTrue();
        JsonNode out = EXACT.readTree(store.readOutput(78, "persistence").orElseThrow());
        assertThat(out.get("screenshots").asInt()).isEqualTo(3);
        assertThat(out.get("doubled").asInt()).isEqualTo(6);
        assertThat(out.get("ratio").decimalValue().toString())
                .as("the number as sent")
                .isEqualTo("1.50");
        StageEndpoint.Response again = RawHttp.post(
                server.baseUrl(),
                "/api/process-batch",
                "{\"batchId\":78,\"input\":{\"screenshots\":3,\"ratio\":1.50}}",
                Map.of());
        assertThat(again.status()).as(again.bodyText()).isEqualTo(202);
        assertThat(JSON.readTree(again.body()).get("created").asBoolean()).isFalse();
        assertThat(JSON.readTree(again.body()).get("status").asText()).isEqualTo("completed");
        assertThat(failedDeliveries()).isEmpty();
    }

    @Test
    void twoHundredBatchesFiredAtOnceAllComplete() throws Exception {
        int batches = 200;
        start(SixStages.pipeline(), batches);
        ExecutorService starters = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int i = 1; i <= batches; i++) {
                long id = i;
                starters.execute(() -> {
                    try {
                        go.await();
                        runner.client().start(id);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            go.countDown();
            assertTimeoutPreemptively(
                    WAIT,
                    () -> completed.await(),
                    () -> "still running: " + store.countByState() + ", failed deliveries: " + failedDeliveries());
        } finally {
            starters.shutdownNow();
        }

        assertThat(store.countByState()).containsEntry(BatchState.COMPLETED, (long) batches);
        IntStream.rangeClosed(1, batches).forEach(id -> {
            try {
                SixStages.Output out =
                        JSON.readValue(store.readOutput(id, "persistence").orElseThrow(), SixStages.Output.class);
                assertThat(out.checksum()).isEqualTo(SixStages.expectedChecksum(id));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(failedDeliveries()).isEmpty();
    }

    @Test
    void aSlowStageDoesNotHoldTheCallerThatTriggeredIt() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger order = new AtomicInteger();
        AtomicInteger stageFinishedAs = new AtomicInteger();
        Pipeline pipeline = Pipeline.builder()
                .stage("slow", ctx -> {
                    entered.countDown();
                    release.await();
                    stageFinishedAs.set(order.incrementAndGet());
                    return StageResult.done(Map.of("slow", true));
                })
                .stage("fast", ctx -> StageResult.done(ctx.output("slow", Map.class)))
                .build();
        start(pipeline, 1);

        assertTimeoutPreemptively(WAIT, () -> {
            runner.client().start(1); // fires "slow" over HTTP
            int startReturnedAs = order.incrementAndGet();
            entered.await(); // the stage is running in the server
            assertThat(stageFinishedAs)
                    .as("the stage cannot finish before it is released")
                    .hasValue(0);
            release.countDown();
            completed.await();
            assertThat(startReturnedAs).isLessThan(stageFinishedAs.get());
        });
        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }
}
