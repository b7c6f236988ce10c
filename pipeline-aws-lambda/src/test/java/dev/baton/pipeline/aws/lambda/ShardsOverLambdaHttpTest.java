package dev.baton.pipeline.aws.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.http.RequestSigner;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Function URL events with a shard, through {@link LambdaHttpHandler} and the real endpoint and runner on
 * PostgreSQL: {@code {"batchId":N,"shard":k}} runs that shard with the invocation's deadline less the margin.
 */
class ShardsOverLambdaHttpTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "lambda-shard-test-secret-0123456";

    private final List<Instant> shardDeadlines = new CopyOnWriteArrayList<>();
    private final List<String> fired = new CopyOnWriteArrayList<>();
    private final RequestSigner signer = RequestSigner.builder().secret(SECRET).build();
    private PipelineRunner runner;
    private JdbcStageStore store;
    private LambdaHttpHandler handler;

    @BeforeEach
    void build() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "items",
                        ctx -> StageResult.done(IntStream.range(0, 9).boxed().toList()))
                .stage(
                        "triple",
                        FanOut.<Integer>of(
                                        ctx -> ((List<?>) ctx.output("items", List.class))
                                                .stream()
                                                        .map(o -> ((Number) o).intValue())
                                                        .toList(),
                                        (ctx, items) -> {
                                            shardDeadlines.add(ctx.deadline());
                                            return StageResult.done(items.stream()
                                                    .map(i -> i * 3)
                                                    .toList());
                                        })
                                .shards(3))
                .budget(Duration.ofMinutes(10))
                .build();
        Trigger recording = new Trigger() {
            @Override
            public void fire(long batchId, String stage) {
                fired.add(stage);
            }

            @Override
            public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
                fired.add(stage + "#" + shard);
            }
        };
        runner = PipelineRunner.builder(pipeline, store).trigger(recording).build();
        runner.start();
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner, SignatureVerifier.builder().secret(SECRET).build())
                .build();
        handler = LambdaHttpHandler.builder(endpoint)
                .margin(Duration.ofSeconds(3))
                .handOff(HandOff.NONE)
                .build();
    }

    @AfterEach
    void close() {
        runner.close();
    }

    private APIGatewayV2HTTPEvent signed(String stage, String body) {
        APIGatewayV2HTTPEvent.RequestContext.Http http = new APIGatewayV2HTTPEvent.RequestContext.Http();
        http.setMethod("POST");
        http.setPath("/api/batch-processing/" + stage);
        APIGatewayV2HTTPEvent.RequestContext context = new APIGatewayV2HTTPEvent.RequestContext();
        context.setHttp(http);
        APIGatewayV2HTTPEvent e = new APIGatewayV2HTTPEvent();
        e.setVersion("2.0");
        e.setRawPath("/api/batch-processing/" + stage);
        e.setRequestContext(context);
        e.setHeaders(Map.of(
                "content-type",
                "application/json",
                "x-pipeline-signature",
                signer.sign(body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC())));
        e.setBody(body);
        return e;
    }

    @Test
    void shard_requests_run_their_shards_with_the_invocations_deadline_and_the_last_one_joins() throws Exception {
        runner.client().start(5);
        assertThat(handler.handle(signed("items", "{\"batchId\":5}"), TestContext.endingIn(Duration.ofSeconds(30)))
                        .getStatusCode())
                .isEqualTo(200);
        APIGatewayV2HTTPResponse fan =
                handler.handle(signed("triple", "{\"batchId\":5}"), TestContext.endingIn(Duration.ofSeconds(30)));
        assertThat(fan.getBody()).contains("\"outcome\":\"fanned_out\"");
        assertThat(fired).contains("triple#0", "triple#1", "triple#2");

        for (int k = 0; k < 3; k++) {
            TestContext context = TestContext.endingIn(Duration.ofSeconds(10));
            Instant invocationEnd = context.deadline().plusMillis(1);
            APIGatewayV2HTTPResponse r =
                    handler.handle(signed("triple", "{\"batchId\":5,\"shard\":" + k + "}"), context);
            assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(200);
            assertThat(r.getBody())
                    .contains("\"shard\":" + k)
                    .contains(k < 2 ? "\"outcome\":\"shard_done\"" : "\"outcome\":\"completed\"");
            assertThat(shardDeadlines.get(k))
                    .as("shard %d: 3 s before the invocation ends, not its 10 min budget", k)
                    .isBeforeOrEqualTo(invocationEnd.minusSeconds(3))
                    .isAfter(invocationEnd.minusSeconds(4));
        }

        APIGatewayV2HTTPResponse again = handler.handle(
                signed("triple", "{\"batchId\":5,\"shard\":1}"), TestContext.endingIn(Duration.ofSeconds(10)));
        assertThat(again.getStatusCode()).as("a late duplicate changes nothing").isEqualTo(409);
        assertThat(shardDeadlines).hasSize(3);
        assertThat(runner.client().status(5).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(5, "triple").orElseThrow().replace(" ", "")).isEqualTo("[0,3,6,9,12,15,18,21,24]");
    }

    @Test
    void a_tampered_or_bad_shard_changes_nothing() {
        runner.client().start(6);
        String signedBody = "{\"batchId\":6,\"shard\":0}";
        APIGatewayV2HTTPEvent tampered = signed("triple", signedBody);
        tampered.setBody("{\"batchId\":6,\"shard\":1}");
        assertThat(handler.handle(tampered, TestContext.endingIn(Duration.ofSeconds(10)))
                        .getStatusCode())
                .isEqualTo(401);
        APIGatewayV2HTTPResponse bad = handler.handle(
                signed("triple", "{\"batchId\":6,\"shard\":-1}"), TestContext.endingIn(Duration.ofSeconds(10)));
        assertThat(bad.getStatusCode()).isEqualTo(400);
        assertThat(bad.getBody()).contains("shard must be a non-negative JSON integer");
        assertThat(shardDeadlines).isEmpty();
        assertThat(runner.client().status(6).orElseThrow().state()).isEqualTo(BatchState.PENDING);
    }
}
