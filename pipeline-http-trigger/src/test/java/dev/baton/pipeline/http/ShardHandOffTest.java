package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The HTTP hand-off of a shard: {@link HttpTrigger#fireShard} posts the signed {@code {"batchId":N,"shard":k}}
 * to the stage's route, and {@link StageEndpoint} runs that shard (the handler end is a recorder).
 */
class ShardHandOffTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STAGE = "annotation";

    /** One shard invocation the endpoint asked for. */
    record Call(long batchId, String stage, int shard, Instant deadline) {}

    final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    final List<StageOutcome.Kind> script = new CopyOnWriteArrayList<>();
    final RecordingListener listener = new RecordingListener();
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
    PipelineRunner runner;
    StageHttpServer server;
    HttpTrigger trigger;
    TinyServer tiny;

    @AfterEach
    void close() {
        for (AutoCloseable c : new AutoCloseable[] {trigger, server, tiny, runner}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Answers the n-th shard call with the n-th scripted kind, then SHARD_DONE. */
    StageOutcome record(long batchId, String stage, int shard, Instant deadline) {
        calls.add(new Call(batchId, stage, shard, deadline));
        StageOutcome.Kind kind = script.isEmpty() ? StageOutcome.Kind.SHARD_DONE : script.remove(0);
        String detail = kind == StageOutcome.Kind.NOT_CLAIMED ? "shard " + shard + " is not pending" : null;
        return new StageOutcome(kind, batchId, stage, kind == StageOutcome.Kind.NOT_CLAIMED ? 0 : 1, detail);
    }

    StageEndpoint endpoint(Clock verifierClock) {
        runner = PipelineRunner.builder(SixStages.pipeline(), new InMemoryStageStore())
                .trigger(new SynchronousTrigger())
                .build();
        return StageEndpoint.builder(
                        runner, SignatureTest.verifier().clock(verifierClock).build())
                .shardInvocation(this::record)
                .build();
    }

    StageEndpoint.Request post(String body, String signature) {
        return new StageEndpoint.Request(
                "POST",
                StageEndpoint.STAGE_PREFIX + STAGE,
                signature == null ? Map.of() : Map.of(RequestSigner.HEADER, List.of(signature)),
                body.getBytes(StandardCharsets.UTF_8));
    }

    String sign(String body) {
        return SignatureTest.signer(SignatureTest.SECRET).sign(body.getBytes(StandardCharsets.UTF_8), clock);
    }

    HttpTrigger startedTrigger(URI base) {
        HttpTrigger t = HttpTrigger.builder()
                .baseUrl(base.toString())
                .secret(SignatureTest.SECRET)
                .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(200))
                .maxAttempts(2)
                .shutdownWait(Duration.ZERO)
                .listener(listener)
                .build();
        t.start();
        return t;
    }

    @Test
    void the_trigger_posts_the_signed_shard_over_loopback_and_the_endpoint_runs_that_shard() throws Exception {
        server = StageHttpServer.builder(endpoint(Clock.systemUTC()))
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .stopWait(Duration.ZERO)
                .build();
        server.start();
        trigger = startedTrigger(server.baseUrl());

        trigger.fireShard(42, STAGE, 3, Duration.ZERO, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        assertThat(calls.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Call(42, STAGE, 3, null));
        assertThat(listener.nextFinal(WAIT))
                .isEqualTo(new RecordingListener.Event("answered", 42, STAGE, 200, "attempts=1"));

        trigger.fireShard(42, STAGE, 5, Duration.ofMillis(30), null);
        assertThat(calls.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Call(42, STAGE, 5, null));
        assertThat(calls).isEmpty();
    }

    @Test
    void the_shard_is_in_the_signed_body() throws Exception {
        tiny = TinyServer.start(0, (n, r) -> 200);
        trigger = startedTrigger(tiny.baseUrl());

        trigger.fireShard(7, STAGE, 0, Duration.ZERO, null);
        trigger.fireShard(7, STAGE, 11, Duration.ZERO, null);

        listener.nextFinal(WAIT);
        listener.nextFinal(WAIT);
        assertThat(tiny.received)
                .extracting(TinyServer.Received::body)
                .containsExactlyInAnyOrder("{\"batchId\":7,\"shard\":0}", "{\"batchId\":7,\"shard\":11}");
        assertThat(tiny.received).allSatisfy(r -> {
            assertThat(r.path()).isEqualTo("/api/batch-processing/" + STAGE);
            assertThat(r.signature()).isEqualTo(SignatureVerifier.Result.VALID);
        });
        assertThatThrownBy(() -> trigger.fireShard(7, STAGE, -1, Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch 7 stage annotation: shard must be >= 0");
    }

    @Test
    void the_endpoint_answers_the_shards_outcome_like_a_stage_reply() throws Exception {
        StageEndpoint e = endpoint(clock);
        String body = "{\"batchId\":9,\"shard\":2}";

        StageEndpoint.Response r = e.handle(post(body, sign(body)), Instant.parse("2026-03-01T12:00:40Z"));

        assertThat(r.status()).isEqualTo(200);
        JsonNode reply = JSON.readTree(r.body());
        assertThat(reply.get("batchId").asLong()).isEqualTo(9);
        assertThat(reply.get("stage").asText()).isEqualTo(STAGE);
        assertThat(reply.get("shard").asInt()).isEqualTo(2);
        assertThat(reply.get("outcome").asText()).isEqualTo("shard_done");
        assertThat(calls).containsExactly(new Call(9, STAGE, 2, Instant.parse("2026-03-01T12:00:40Z")));
    }

    @Test
    void a_body_without_a_shard_still_runs_the_stage_not_a_shard() {
        StageEndpoint e = endpoint(clock);
        String body = "{\"batchId\":9}";
        StageEndpoint.Response r = e.handle(post(body, sign(body)));
        assertThat(r.status()).as(r.bodyText()).isEqualTo(404); // no run of batch 9: the runner's stage answer
        assertThat(calls).isEmpty();
    }

    @Test
    void a_tampered_shard_is_refused_like_any_tampered_body_and_runs_nothing() {
        StageEndpoint e = endpoint(clock);
        String signed = "{\"batchId\":9,\"shard\":1}";
        String sent = "{\"batchId\":9,\"shard\":2}";

        StageEndpoint.Response tampered = e.handle(post(sent, sign(signed)));
        StageEndpoint.Response added = e.handle(post(sent, sign("{\"batchId\":9}")));
        StageEndpoint.Response unsigned = e.handle(post(sent, null));

        assertThat(List.of(tampered.status(), added.status(), unsigned.status()))
                .containsOnly(401);
        assertThat(calls).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "-1|shard must be a non-negative JSON integer below 2^31, got -1",
                "2147483648|shard must be a non-negative JSON integer below 2^31, got 2147483648",
                "1.5|shard must be a non-negative JSON integer, got the number 1.5",
                "'\"2\"'|shard must be a non-negative JSON integer, got a string",
                "null|shard must be a non-negative JSON integer, got a null",
                "true|shard must be a non-negative JSON integer, got a boolean",
                "[1]|shard must be a non-negative JSON integer, got a array",
            })
    void a_bad_shard_is_a_400_that_says_why_and_changes_nothing(String shard, String message) throws Exception {
        StageEndpoint e = endpoint(clock);
        String body = "{\"batchId\":9,\"shard\":" + shard + "}";

        StageEndpoint.Response r = e.handle(post(body, sign(body)));

        assertThat(r.status()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("error").asText()).startsWith(message);
        assertThat(calls).isEmpty();
    }

    @Test
    void a_duplicate_shard_request_passes_through_and_the_handlers_no_op_is_a_409_the_trigger_accepts()
            throws Exception {
        script.addAll(List.of(StageOutcome.Kind.SHARD_DONE, StageOutcome.Kind.NOT_CLAIMED));
        server = StageHttpServer.builder(endpoint(Clock.systemUTC()))
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .stopWait(Duration.ZERO)
                .build();
        server.start();
        trigger = startedTrigger(server.baseUrl());
        CapturingHandler handler = new CapturingHandler();
        trigger.bind(handler);

        trigger.fireShard(5, STAGE, 1, Duration.ZERO, null);
        assertThat(listener.nextFinal(WAIT).number()).isEqualTo(200);
        trigger.fireShard(5, STAGE, 1, Duration.ZERO, null);
        assertThat(listener.nextFinal(WAIT).number()).isEqualTo(409);

        assertThat(calls).containsExactly(new Call(5, STAGE, 1, null), new Call(5, STAGE, 1, null));
        assertThat(handler.undelivered).as("a 409 is a delivered duplicate").isEmpty();
    }

    @Test
    void a_shard_trigger_the_receiver_refuses_is_told_to_the_runner_with_its_shard() throws Exception {
        tiny = TinyServer.start(0, (n, r) -> 400);
        trigger = startedTrigger(tiny.baseUrl());
        CapturingHandler handler = new CapturingHandler();
        trigger.bind(handler);

        trigger.fireShard(3, STAGE, 4, Duration.ZERO, null);

        assertThat(listener.nextFinal(WAIT))
                .extracting(RecordingListener.Event::number)
                .isEqualTo(400);
        assertThat(handler.undelivered.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .startsWith("3 annotation shard 4: the receiver at " + tiny.baseUrl() + "/api/batch-processing/" + STAGE
                        + " refused the trigger (HTTP 400");
    }

    /** Records what the trigger tells the runner of triggers it could not deliver. */
    static final class CapturingHandler implements dev.baton.pipeline.spi.StageHandler {
        final BlockingQueue<String> undelivered = new LinkedBlockingQueue<>();

        @Override
        public StageOutcome runStage(long batchId, String stage) {
            throw new AssertionError("an HTTP trigger runs no stage through its handler");
        }

        @Override
        public void undelivered(long batchId, String stage, String error) {
            undelivered.add(batchId + " " + stage + " " + error);
        }
    }
}
