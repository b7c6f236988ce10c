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
        return StageEndpoint.builder(
                        runner, SignatureTest.verifier().clock(clock).build())
                .clientAuthorizer(authorizer)
                .build();
    }

    StageEndpoint endpoint() {
        return endpoint(SixStages.pipeline(), memory, r -> true);
    }

    StageEndpoint.Request stage(String stage, long batchId) {
        byte[] body = ("{\"batchId\":" + batchId + "}").getBytes(StandardCharsets.UTF_8);
        return new StageEndpoint.Request(
                "POST",
                StageEndpoint.STAGE_PREFIX + stage,
                Map.of(
                        "x-pipeline-signature",
                        List.of(SignatureTest.signer(SignatureTest.SECRET).sign(body, clock))),
                body);
    }

    static StageEndpoint.Request start(String body) {
        return request("POST", "/api/process-batch", body);
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
        assertThat(json(e.handle(request("GET", "/health", ""))).get("status").asText())
                .isEqualTo("ok");
        assertThat(e.handle(request("HEAD", "/health", "")).status()).isEqualTo(200);
        StageEndpoint.Response post = e.handle(request("POST", "/health", ""));
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.headers()).containsEntry("Allow", "GET, HEAD");
        assertThat(e.handle(request("GET", "/nothing-here", "")).status()).isEqualTo(404);
    }

    @Test
    void processBatchStartsTheBatchAndAnswersTheQueueRow() throws Exception {
        StageEndpoint e = endpoint();

        StageEndpoint.Response r = e.handle(start("{\"batchId\":123}"));

        assertThat(r.status()).isEqualTo(202);
        JsonNode row = json(r);
        assertThat(fields(row))
                .containsExactly(
                        "batchId",
                        "currentStage",
                        "status",
                        "attempt",
                        "errorMessage",
                        "runAfter",
                        "createdAt",
                        "updatedAt",
                        "hasInput",
                        "created");
        assertThat(row.get("batchId").asLong()).isEqualTo(123);
        assertThat(row.get("currentStage").asText()).isEqualTo("setup");
        assertThat(row.get("status").asText()).isEqualTo("pending");
        assertThat(row.get("errorMessage").isNull()).isTrue();
        assertThat(Instant.parse(row.get("createdAt").asText())).isNotNull();
        assertThat(row.get("hasInput").asBoolean()).isFalse();
        assertThat(row.get("created").asBoolean()).isTrue();
        assertThat(trigger.pending()).as("the first stage was triggered").isEqualTo(1);
        assertThat(e.handle(request("GET", "/api/process-batch", "")).status()).isEqualTo(405);
    }

    @Test
    void startingABatchAgainWithoutAnInputAnswersTheExistingRunAndTriggersNothing() throws Exception {
        StageEndpoint e = endpoint();
        JsonNode first = json(e.handle(start("{\"batchId\":123}")));
        trigger.drain();

        StageEndpoint.Response again = e.handle(start("{\"batchId\":123}"));

        assertThat(again.status()).isEqualTo(202);
        JsonNode row = json(again);
        assertThat(fields(row)).isEqualTo(fields(first));
        assertThat(row.get("created").asBoolean()).isFalse();
        assertThat(row.get("status").asText()).as("the run as it is now").isEqualTo("completed");
        assertThat(row.get("createdAt")).isEqualTo(first.get("createdAt"));
        assertThat(trigger.pending()).as("nothing triggered").isZero();
    }

    @Test
    void anInputIsStoredAsTheClientSentItWithEveryNumberExact() throws Exception {
        StageEndpoint e = endpoint();
        String input = "{\"screenshots\":3,\"ratio\":1.50,\"big\":123456789012345678901234567890,"
                + "\"tiny\":0.1000000000000000000000000001,\"nested\":{\"list\":[1,2.0,\"x\",null,true]}}";

        StageEndpoint.Response r = e.handle(start("{ \"batchId\": 12, \"input\": " + input + " }"));

        assertThat(r.status()).as(r.bodyText()).isEqualTo(202);
        assertThat(json(r).get("hasInput").asBoolean()).isTrue();
        assertThat(runner.client().input(12, JsonNode.class).orElseThrow().toString())
                .isEqualTo(input);
        assertThat(json(e.handle(request("GET", "/api/batches/12", "")))
                        .get("hasInput")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void aNullInputIsNoInput() throws Exception {
        StageEndpoint e = endpoint();

        StageEndpoint.Response r = e.handle(start("{\"batchId\":13,\"input\":null}"));

        assertThat(r.status()).isEqualTo(202);
        assertThat(json(r).get("hasInput").asBoolean()).isFalse();
        assertThat(runner.client().input(13, JsonNode.class)).isEmpty();
        assertThat(e.handle(start("{\"batchId\":13}")).status()).isEqualTo(202);
    }

    @Test
    void theSameInputAgainIsTheSameRunWhateverTheSpacing() throws Exception {
        StageEndpoint e = endpoint();
        assertThat(json(e.handle(start("{\"batchId\":14,\"input\":{\"screenshots\":3}}")))
                        .get("created")
                        .asBoolean())
                .isTrue();

        StageEndpoint.Response again = e.handle(
                request("POST", "/api/process-batch", "{\"input\": { \"screenshots\" : 3 }, \"batchId\": 14}"));

        assertThat(again.status()).as(again.bodyText()).isEqualTo(202);
        assertThat(json(again).get("created").asBoolean()).isFalse();
        assertThat(json(again).get("hasInput").asBoolean()).isTrue();
        assertThat(trigger.pending()).as("one run, triggered once").isEqualTo(1);
    }

    @Test
    void anotherInputOrAnInputWhereTheRunHasNoneIsA409ThatSaysWhyAndWhatToDo() throws Exception {
        StageEndpoint e = endpoint();
        e.handle(start("{\"batchId\":15,\"input\":{\"screenshots\":3}}"));
        e.handle(start("{\"batchId\":16}"));

        StageEndpoint.Response other = e.handle(start("{\"batchId\":15,\"input\":{\"screenshots\":4}}"));
        StageEndpoint.Response none = e.handle(start("{\"batchId\":15}"));
        StageEndpoint.Response some = e.handle(start("{\"batchId\":16,\"input\":{}}"));
        StageEndpoint.Response sameNumberOtherText =
                e.handle(request("POST", "/api/process-batch", "{\"batchId\":15,\"input\":{\"screenshots\":3.0}}"));

        assertThat(List.of(other, none, some, sameNumberOtherText))
                .extracting(StageEndpoint.Response::status)
                .containsOnly(409);
        assertThat(json(other).get("error").asText())
                .startsWith("batch 15 already has a pipeline run that was started with another input;")
                .contains("send the same input")
                .contains("new batch id")
                .contains("GET /api/batches/15");
        assertThat(json(none).get("error").asText()).contains("was started with an input and this request has none");
        assertThat(json(some).get("error").asText())
                .contains("batch 16")
                .contains("was started without an input and this request has one");
        assertThat(runner.client().input(15, JsonNode.class).orElseThrow().toString())
                .isEqualTo("{\"screenshots\":3}");
        assertThat(memory.find(16).orElseThrow().hasInput()).isFalse();
        assertThat(trigger.pending()).as("the two runs, triggered once each").isEqualTo(2);
    }

    @Test
    void aStageReadsTheInputTheBatchWasStartedWithAndWithoutOneKeepsItsDefault() throws Exception {
        record Settings(Integer screenshots) {}
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "setup",
                        ctx -> StageResult.done(Map.of(
                                "screenshots",
                                ctx.input(Settings.class)
                                        .map(Settings::screenshots)
                                        .orElse(10))))
                .build();
        StageEndpoint e = endpoint(pipeline, memory, r -> true);

        e.handle(start("{\"batchId\":18,\"input\":{\"screenshots\":3}}"));
        e.handle(start("{\"batchId\":19}"));
        trigger.drain();

        assertThat(memory.readOutput(18, "setup").orElseThrow()).isEqualTo("{\"screenshots\":3}");
        assertThat(memory.readOutput(19, "setup").orElseThrow()).isEqualTo("{\"screenshots\":10}");
    }

    @Test
    void anInputThatIsNotAJsonObjectIsA400AndStartsNothing() throws Exception {
        StageEndpoint e = endpoint();
        for (String input : List.of("[1]", "\"x\"", "3", "true", "1.5")) {
            StageEndpoint.Response r = e.handle(start("{\"batchId\":17,\"input\":" + input + "}"));
            assertThat(r.status()).as(input).isEqualTo(400);
            assertThat(json(r).get("error").asText()).as(input).startsWith("input must be a JSON object");
        }
        assertThat(memory.find(17)).isEmpty();
        assertThat(trigger.pending()).isZero();
    }

    @Test
    void theClientAuthorizerGuardsStartAndStatusButNotStagesOrHealth() throws Exception {
        StageEndpoint e = endpoint(
                SixStages.pipeline(), memory, r -> r.header("Authorization").contains("Bearer host-token"));
        memory.create(7, "setup");

        assertThat(e.handle(start("{\"batchId\":8}")).status()).isEqualTo(401);
        assertThat(e.handle(request("GET", "/api/batches/7", "")).status()).isEqualTo(401);
        assertThat(memory.find(8)).isEmpty();
        StageEndpoint.Request authorized = new StageEndpoint.Request(
                "POST",
                "/api/process-batch",
                Map.of("authorization", List.of("Bearer host-token")),
                "{\"batchId\":8}".getBytes(StandardCharsets.UTF_8));
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
        SixStages.Output out =
                new ObjectMapper().readValue(memory.readOutput(5, "persistence").orElseThrow(), SixStages.Output.class);
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
        assertThat(fields(s)).containsExactly("batchId", "stage", "status", "attempt", "error", "hasInput", "stages");
        assertThat(s.get("batchId").asLong()).isEqualTo(9);
        assertThat(s.get("stage").asText()).isEqualTo("annotation");
        assertThat(s.get("status").asText()).isEqualTo("in_progress");
        assertThat(s.get("attempt").asInt()).isEqualTo(1);
        assertThat(s.get("error").isNull()).isTrue();
        assertThat(s.get("hasInput").asBoolean()).isFalse();
        assertThat(s.get("stages")).hasSize(6);
        JsonNode setup = s.get("stages").get(0);
        assertThat(fields(setup))
                .containsExactly("name", "attempts", "invocations", "maxInvocationMs", "startedAt", "finishedAt");
        assertThat(setup.get("name").asText()).isEqualTo("setup");
        assertThat(setup.get("attempts").asInt()).isEqualTo(1);
        assertThat(setup.get("invocations").asInt()).isEqualTo(1);
        assertThat(setup.get("maxInvocationMs").isIntegralNumber()).isTrue();
        assertThat(Instant.parse(setup.get("startedAt").asText()))
                .isBeforeOrEqualTo(Instant.parse(setup.get("finishedAt").asText()));
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
                .retry(RetryPolicy.none())
                .build();
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
        assertThat(error)
                .matches(
                        "internal error running stage setup of batch 4 \\(incident [0-9a-f]{8}\\); see the server log");
        assertThat(r.bodyText())
                .doesNotContain("simulated")
                .doesNotContain("Crash")
                .doesNotContain("at dev.");
        assertThat(memory.find(4).orElseThrow().stage()).isEqualTo("setup");
    }

    @Test
    void readBodyStopsOneByteAfterTheLimit() throws Exception {
        StageEndpoint e = StageEndpoint.builder(
                        PipelineRunner.builder(SixStages.pipeline(), memory)
                                .trigger(trigger)
                                .build(),
                        SignatureTest.verifier().build())
                .maxBodyBytes(100)
                .build();
        byte[] big = new byte[10_000];
        assertThat(e.readBody(new java.io.ByteArrayInputStream(big))).hasSize(101);
        assertThat(e.readBody(new java.io.ByteArrayInputStream(new byte[40]))).hasSize(40);
        StageEndpoint.Response declared = e.handle(new StageEndpoint.Request(
                "POST",
                "/api/process-batch",
                Map.of("Content-Length", List.of("5000000")),
                "{\"batchId\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThat(declared.status()).isEqualTo(413);
        assertThat(memory.find(1)).isEmpty();
    }
}
