package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.Faults;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The routes and the JSON shapes of {@link StageEndpoint}, called directly. */
class StageEndpointTest {
    static final ObjectMapper JSON = new ObjectMapper();

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore();
    final SynchronousTrigger trigger = new SynchronousTrigger();
    PipelineRunner runner;

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    StageEndpoint endpoint(Pipeline pipeline, StageStore store, Predicate<StageEndpoint.Request> authorizer) {
        runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        return StageEndpoint.builder(runner, SignatureVerifier.builder(SignatureTest.SECRET).clock(clock).build())
                .clientAuthorizer(authorizer).build();
    }

    StageEndpoint endpoint() {
        return endpoint(SixStages.pipeline(), memory, r -> true);
    }

    StageEndpoint.Request stage(String stage, long batchId) {
        byte[] body = ("{\"batchId\":" + batchId + "}").getBytes(StandardCharsets.UTF_8);
        return new StageEndpoint.Request("POST", StageEndpoint.STAGE_PREFIX + stage,
                Map.of("x-pipeline-signature", List.of(RequestSigner.of(SignatureTest.SECRET).sign(body, clock))), body);
    }

    static StageEndpoint.Request request(String method, String path, String body) {
        return new StageEndpoint.Request(method, path, Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode json(StageEndpoint.Response r) throws Exception {
        assertThat(r.contentType()).isEqualTo("application/json; charset=utf-8");
        return JSON.readTree(r.body());
    }

    static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void healthAnswersGetAndHeadOnly() throws Exception {
        StageEndpoint e = endpoint();
        assertThat(json(e.handle(request("GET", "/health", ""))).get("status").asText()).isEqualTo("ok");
        assertThat(e.handle(request("HEAD", "/health", "")).status()).isEqualTo(200);
        StageEndpoint.Response post = e.handle(request("POST", "/health", ""));
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.headers()).containsEntry("Allow", "GET, HEAD");
        assertThat(e.handle(request("GET", "/nothing-here", "")).status()).isEqualTo(404);
    }

    @Test
    void processBatchStartsTheBatchAndAnswersTheQueueRow() throws Exception {
        StageEndpoint e = endpoint();

        StageEndpoint.Response r = e.handle(request("POST", "/api/process-batch", "{\"batchId\":123}"));

        assertThat(r.status()).isEqualTo(202);
        JsonNode row = json(r);
        assertThat(fields(row)).containsExactly("batchId", "currentStage", "status", "attempt", "errorMessage", "runAfter",
                "createdAt", "updatedAt");
        assertThat(row.get("batchId").asLong()).isEqualTo(123);
        assertThat(row.get("currentStage").asText()).isEqualTo("setup");
        assertThat(row.get("status").asText()).isEqualTo("pending");
        assertThat(row.get("errorMessage").isNull()).isTrue();
        assertThat(Instant.parse(row.get("createdAt").asText())).isNotNull();
        assertThat(trigger.pending()).as("the first stage was triggered").isEqualTo(1);

        StageEndpoint.Response again = e.handle(request("POST", "/api/process-batch", "{\"batchId\":123}"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(json(again).get("error").asText()).contains("already has a pipeline run").contains("/api/batches/123");
        assertThat(e.handle(request("GET", "/api/process-batch", "")).status()).isEqualTo(405);
    }

    @Test
    void theClientAuthorizerGuardsStartAndStatusButNotStagesOrHealth() throws Exception {
        StageEndpoint e = endpoint(SixStages.pipeline(), memory,
                r -> r.header("Authorization").contains("Bearer host-token"));
        memory.create(7, "setup");

        assertThat(e.handle(request("POST", "/api/process-batch", "{\"batchId\":8}")).status()).isEqualTo(401);
        assertThat(e.handle(request("GET", "/api/batches/7", "")).status()).isEqualTo(401);
        assertThat(memory.find(8)).isEmpty();
        StageEndpoint.Request authorized = new StageEndpoint.Request("POST", "/api/process-batch",
                Map.of("authorization", List.of("Bearer host-token")), "{\"batchId\":8}".getBytes(StandardCharsets.UTF_8));
        assertThat(e.handle(authorized).status()).isEqualTo(202);
        assertThat(e.handle(request("GET", "/health", "")).status()).isEqualTo(200);
        assertThat(e.handle(stage("setup", 7)).status()).isEqualTo(200);
    }

    @Test
    void stageRequestsRunTheStageAndAnswerTheOutcome() throws Exception {
        StageEndpoint e = endpoint();
        memory.create(5, "setup");
        for (int i = 0; i < SixStages.NAMES.size(); i++) {
            String name = SixStages.NAMES.get(i);
            StageEndpoint.Response r = e.handle(stage(name, 5));
            assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
            JsonNode outcome = json(r);
            assertThat(fields(outcome)).containsExactly("batchId", "stage", "outcome", "attempt", "detail");
            boolean last = i == SixStages.NAMES.size() - 1;
            assertThat(outcome.get("outcome").asText()).isEqualTo(last ? "completed" : "advanced");
            assertThat(outcome.get("detail").asText()).isEqualTo(last ? "completed" : SixStages.NAMES.get(i + 1));
        }
        SixStages.Output out = new ObjectMapper().readValue(memory.readOutput(5, "persistence").orElseThrow(), SixStages.Output.class);
        assertThat(out.checksum()).isEqualTo(SixStages.expectedChecksum(5));
    }

    @Test
    void statusHasExactlyTheDocumentedShape() throws Exception {
        StageEndpoint e = endpoint();
        memory.create(9, "setup");
        e.handle(stage("setup", 9));
        e.handle(stage("extraction", 9));
        memory.claim(9, "annotation", "worker-1", Duration.ofMinutes(1)).orElseThrow();

        StageEndpoint.Response r = e.handle(request("GET", "/api/batches/9", ""));

        assertThat(r.status()).isEqualTo(200);
        JsonNode s = json(r);
        assertThat(fields(s)).containsExactly("batchId", "stage", "status", "attempt", "error", "stages");
        assertThat(s.get("batchId").asLong()).isEqualTo(9);
        assertThat(s.get("stage").asText()).isEqualTo("annotation");
        assertThat(s.get("status").asText()).isEqualTo("in_progress");
        assertThat(s.get("attempt").asInt()).isEqualTo(1);
        assertThat(s.get("error").isNull()).isTrue();
        assertThat(s.get("stages")).hasSize(6);
        JsonNode setup = s.get("stages").get(0);
        assertThat(fields(setup)).containsExactly("name", "attempts", "invocations", "maxInvocationMs", "startedAt", "finishedAt");
        assertThat(setup.get("name").asText()).isEqualTo("setup");
        assertThat(setup.get("attempts").asInt()).isEqualTo(1);
        assertThat(setup.get("invocations").asInt()).isEqualTo(1);
        assertThat(setup.get("maxInvocationMs").isIntegralNumber()).isTrue();
        assertThat(Instant.parse(setup.get("startedAt").asText())).isBeforeOrEqualTo(Instant.parse(setup.get("finishedAt").asText()));
        JsonNode annotation = s.get("stages").get(2);
        assertThat(annotation.get("attempts").asInt()).isEqualTo(1);
        assertThat(annotation.get("invocations").asInt()).isZero();
        assertThat(annotation.get("startedAt").isNull()).isTrue();
        assertThat(annotation.get("finishedAt").isNull()).isTrue();

        assertThat(e.handle(request("GET", "/api/batches/10", "")).status()).isEqualTo(404);
        assertThat(e.handle(request("GET", "/api/batches/-1", "")).status()).isEqualTo(400);
    }

    @Test
    void aStageThatFailsForGoodIsAnsweredWithItsOutcomeAndTheErrorShowsInTheStatus() throws Exception {
        Pipeline pipeline = Pipeline.builder()
                .stage("setup", ctx -> StageResult.fail("the batch has no screenshots; add some and retry"))
                .retry(RetryPolicy.none()).build();
        StageEndpoint e = endpoint(pipeline, memory, r -> true);
        memory.create(3, "setup");

        JsonNode outcome = json(e.handle(stage("setup", 3)));

        assertThat(outcome.get("outcome").asText()).isEqualTo("failed");
        JsonNode status = json(e.handle(request("GET", "/api/batches/3", "")));
        assertThat(status.get("status").asText()).isEqualTo("failed");
        assertThat(status.get("error").asText()).isEqualTo("the batch has no screenshots; add some and retry");
    }

    @Test
    void anUnexpectedErrorIsA500WithAnIncidentAndNoInternals() throws Exception {
        StageStore crashing = Faults.crashBeforeCommit(memory, "setup", 1);
        StageEndpoint e = endpoint(SixStages.pipeline(), crashing, r -> true);
        memory.create(4, "setup");

        StageEndpoint.Response r = e.handle(stage("setup", 4));

        assertThat(r.status()).isEqualTo(500);
        String error = json(r).get("error").asText();
        assertThat(error).matches("internal error running stage setup of batch 4 \\(incident [0-9a-f]{8}\\); see the server log");
        assertThat(r.bodyText()).doesNotContain("simulated").doesNotContain("Crash").doesNotContain("at dev.");
        assertThat(memory.find(4).orElseThrow().stage()).isEqualTo("setup");
    }

    @Test
    void readBodyStopsOneByteAfterTheLimit() throws Exception {
        StageEndpoint e = StageEndpoint.builder(PipelineRunner.builder(SixStages.pipeline(), memory).trigger(trigger).build(),
                SignatureVerifier.builder(SignatureTest.SECRET).build()).maxBodyBytes(100).build();
        byte[] big = new byte[10_000];
        assertThat(e.readBody(new java.io.ByteArrayInputStream(big))).hasSize(101);
        assertThat(e.readBody(new java.io.ByteArrayInputStream(new byte[40]))).hasSize(40);
        StageEndpoint.Response declared = e.handle(new StageEndpoint.Request("POST", "/api/process-batch",
                Map.of("Content-Length", List.of("5000000")), "{\"batchId\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThat(declared.status()).isEqualTo(413);
        assertThat(memory.find(1)).isEmpty();
    }
}
