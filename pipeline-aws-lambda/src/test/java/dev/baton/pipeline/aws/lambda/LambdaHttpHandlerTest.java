package dev.baton.pipeline.aws.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.http.RequestSigner;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testing.InMemoryStageStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Function URL events through {@link LambdaHttpHandler}: the endpoint's contract, the budget, the hand-off. */
class LambdaHttpHandlerTest {
    private static final String SECRET = "lambda-handler-test-secret-0123";

    private final List<Instant> deadlines = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<Duration> handOffWaits = new ArrayList<>();
    private PipelineRunner runner;
    private final RequestSigner signer = RequestSigner.builder().secret(SECRET).build();

    @BeforeEach
    void build() {
        Pipeline pipeline = Pipeline.builder()
                .stage("first", ctx -> {
                    deadlines.add(ctx.deadline());
                    return StageResult.done(1);
                })
                .stage("second", ctx -> StageResult.done(2))
                .budget(Duration.ofSeconds(50))
                .build();
        Trigger recording = (batchId, stage) -> events.add("fired " + stage + " of " + batchId);
        runner = PipelineRunner.builder(pipeline, new InMemoryStageStore(Clock.systemUTC()))
                .trigger(recording)
                .build();
        runner.start();
    }

    private LambdaHttpHandler handler(Duration margin) {
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner, SignatureVerifier.builder().secret(SECRET).build())
                .build();
        return LambdaHttpHandler.builder(endpoint)
                .margin(margin)
                .handOff(timeout -> {
                    handOffWaits.add(timeout);
                    events.add("hand-off awaited");
                    return true;
                })
                .build();
    }

    private static APIGatewayV2HTTPEvent event(String method, String path, String body, boolean base64, String sig) {
        APIGatewayV2HTTPEvent.RequestContext.Http http = new APIGatewayV2HTTPEvent.RequestContext.Http();
        http.setMethod(method);
        http.setPath(path);
        APIGatewayV2HTTPEvent.RequestContext context = new APIGatewayV2HTTPEvent.RequestContext();
        context.setHttp(http);
        APIGatewayV2HTTPEvent e = new APIGatewayV2HTTPEvent();
        e.setVersion("2.0");
        e.setRawPath(path);
        e.setRequestContext(context);
        e.setHeaders(
                sig == null
                        ? Map.of("content-type", "application/json")
                        : Map.of("content-type", "application/json", "x-pipeline-signature", sig));
        if (body != null) {
            e.setBody(base64 ? Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)) : body);
            e.setIsBase64Encoded(base64);
        }
        return e;
    }

    private APIGatewayV2HTTPEvent signedStage(String stage, String body, boolean base64) {
        return event(
                "POST",
                "/api/batch-processing/" + stage,
                body,
                base64,
                signer.sign(body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC()));
    }

    @Test
    void a_signed_stage_request_runs_with_the_invocation_remaining_time_less_the_margin_as_its_deadline() {
        runner.client().start(1);
        LambdaHttpHandler handler = handler(Duration.ofSeconds(3));

        TestContext context = TestContext.endingIn(Duration.ofSeconds(10));
        // the remaining time is whole milliseconds: the deadline computed from it may be up to 1 ms late
        Instant invocationEnd = context.deadline().plusMillis(1);
        APIGatewayV2HTTPResponse r = handler.handle(signedStage("first", "{\"batchId\":1}", true), context);

        assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(200);
        assertThat(r.getBody()).contains("\"outcome\":\"advanced\"");
        assertThat(deadlines).hasSize(1);
        assertThat(deadlines.get(0))
                .as("the stage's deadline: 3 s before the invocation ends, not its 50 s budget")
                .isBeforeOrEqualTo(invocationEnd.minusSeconds(3))
                .isAfter(invocationEnd.minusSeconds(4));
        assertThat(events).containsExactly("fired first of 1", "fired second of 1", "hand-off awaited");
        assertThat(handOffWaits.get(0)).isLessThanOrEqualTo(LambdaHttpHandler.DEFAULT_HAND_OFF_WAIT);
    }

    @Test
    void the_budget_wins_when_it_ends_before_the_invocation() {
        runner.client().start(2);
        LambdaHttpHandler handler = handler(Duration.ofSeconds(3));
        Instant before = Instant.now();

        handler.handle(signedStage("first", "{\"batchId\":2}", false), TestContext.endingIn(Duration.ofMinutes(15)));

        assertThat(deadlines.get(0)).isBefore(before.plus(Duration.ofMinutes(15).minusSeconds(3)));
        assertThat(deadlines.get(0)).isAfterOrEqualTo(before.plusSeconds(50));
    }

    @Test
    void the_endpoint_status_codes_and_signature_check_are_those_of_stage_endpoint() {
        runner.client().start(3);
        LambdaHttpHandler handler = handler(Duration.ofSeconds(3));
        TestContext context = TestContext.endingIn(Duration.ofSeconds(30));

        assertThat(handler.handle(event("POST", "/api/batch-processing/first", "{\"batchId\":3}", true, null), context)
                        .getStatusCode())
                .as("unsigned")
                .isEqualTo(401);
        assertThat(handler.handle(
                                event("POST", "/api/batch-processing/first", "{\"batchId\":3}", true, "t=1,v1=00"),
                                context)
                        .getStatusCode())
                .as("stale signature")
                .isEqualTo(401);
        assertThat(handler.handle(signedStage("second", "{\"batchId\":3}", true), context)
                        .getStatusCode())
                .as("the batch is not at that stage")
                .isEqualTo(409);
        assertThat(handler.handle(signedStage("first", "{\"batchId\":\"x\"}", true), context)
                        .getStatusCode())
                .isEqualTo(400);
        assertThat(handler.handle(signedStage("first", "{\"batchId\":99}", true), context)
                        .getStatusCode())
                .isEqualTo(404);
        assertThat(handler.handle(event("GET", "/api/batch-processing/first", null, false, null), context)
                        .getStatusCode())
                .isEqualTo(405);
        assertThat(handler.handle(event("POST", "/api/process-batch", "{\"batchId\":4}", true, null), context)
                        .getStatusCode())
                .isEqualTo(202);
        APIGatewayV2HTTPResponse status = handler.handle(event("GET", "/api/batches/4", null, false, null), context);
        assertThat(status.getStatusCode()).isEqualTo(200);
        assertThat(status.getBody()).contains("\"batchId\":4");
        assertThat(status.getHeaders()).containsEntry("Content-Type", "application/json; charset=utf-8");
        assertThat(handler.handle(event("GET", "/health", null, false, null), context)
                        .getStatusCode())
                .isEqualTo(200);
        assertThat(deadlines).as("no stage ran").isEmpty();
    }

    @Test
    void without_client_routes_start_and_status_are_404_and_stages_still_run() {
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner, SignatureVerifier.builder().secret(SECRET).build())
                .build();
        LambdaHttpHandler handler =
                LambdaHttpHandler.builder(endpoint).clientRoutes(false).build();
        TestContext context = TestContext.endingIn(Duration.ofSeconds(30));
        runner.client().start(5);

        assertThat(handler.handle(event("POST", "/api/process-batch", "{\"batchId\":6}", false, null), context)
                        .getStatusCode())
                .isEqualTo(404);
        assertThat(handler.handle(event("GET", "/api/batches/5", null, false, null), context)
                        .getStatusCode())
                .isEqualTo(404);
        assertThat(runner.client().status(6)).isEmpty();
        assertThat(handler.handle(signedStage("first", "{\"batchId\":5}", false), context)
                        .getStatusCode())
                .isEqualTo(200);
    }

    @Test
    void a_hand_off_that_does_not_finish_is_left_to_the_sweeper_and_the_answer_still_goes_out() {
        runner.client().start(7);
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner, SignatureVerifier.builder().secret(SECRET).build())
                .build();
        List<Duration> asked = new ArrayList<>();
        LambdaHttpHandler handler = LambdaHttpHandler.builder(endpoint)
                .handOff(timeout -> {
                    asked.add(timeout);
                    return false;
                })
                .build();

        APIGatewayV2HTTPResponse r = handler.handle(
                signedStage("first", "{\"batchId\":7}", true), TestContext.endingIn(Duration.ofSeconds(1)));

        assertThat(r.getStatusCode()).isEqualTo(200);
        assertThat(asked).hasSize(1);
        assertThat(asked.get(0))
                .as("bounded by what is left of a 1 s invocation")
                .isLessThan(Duration.ofSeconds(1));
    }
}
