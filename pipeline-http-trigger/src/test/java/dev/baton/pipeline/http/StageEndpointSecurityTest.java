package dev.baton.pipeline.http;

import static dev.baton.pipeline.http.SignatureTest.signer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad request is refused with the right status and leaves the PostgreSQL tables exactly as they
 * were (every row and its {@code xmin}); each case runs against the endpoint directly and over HTTP
 * through {@link StageHttpServer}.
 */
class StageEndpointSecurityTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final String SECRET = SignatureTest.SECRET;
    static final String PREVIOUS = "the-previous-secret-0123456789";
    static final String STAGE = "/api/batch-processing/setup";

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
    StageStore store;
    PipelineRunner runner;
    StageEndpoint endpoint;
    StageHttpServer server;

    enum Via {
        ENDPOINT,
        HTTP
    }

    /** One row of the table: what is sent and the status it must get. */
    record Case(String name, int status, Function<StageEndpointSecurityTest, StageEndpoint.Request> request) {
        @Override
        public String toString() {
            return name + " -> " + status;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        runner = PipelineRunner.builder(SixStages.pipeline(), store)
                .trigger(new SynchronousTrigger())
                .build();
        SignatureVerifier verifier = SignatureVerifier.builder()
                .secret(SECRET)
                .previousSecret(PREVIOUS)
                .clock(clock)
                .build();
        endpoint = StageEndpoint.builder(runner, verifier).build();
        server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .threads(4)
                .stopWait(Duration.ZERO)
                .build();
        server.start();
        store.create(1, "setup");
    }

    @AfterEach
    void tearDown() {
        server.close();
        runner.close();
    }

    String sign(String body) {
        return signer(SECRET).sign(body.getBytes(StandardCharsets.UTF_8), clock);
    }

    static StageEndpoint.Request post(String path, String body, String signature) {
        Map<String, List<String>> headers =
                signature == null ? Map.of() : Map.of(RequestSigner.HEADER, List.of(signature));
        return new StageEndpoint.Request("POST", path, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    static StageEndpoint.Request start(String body) {
        return post(StageEndpoint.START_PATH, body, null);
    }

    StageEndpoint.Request signed(String path, String body) {
        return post(path, body, sign(body));
    }

    static String padded(int size) {
        String head = "{\"batchId\":1}";
        char[] pad = new char[size - head.length()];
        Arrays.fill(pad, ' ');
        return head + new String(pad);
    }

    static String inputOf(int size) {
        String head = "{\"batchId\":2,\"input\":{\"pad\":\"";
        String tail = "\"}}";
        return head + "x".repeat(size - head.length() - tail.length()) + tail;
    }

    static List<Case> table() {
        String ok = "{\"batchId\":1}";
        long now = Instant.parse("2026-03-01T12:00:00Z").getEpochSecond();
        byte[] okBytes = ok.getBytes(StandardCharsets.UTF_8);
        return List.of(
                new Case("no signature", 401, t -> post(STAGE, ok, null)),
                new Case("garbage signature", 401, t -> post(STAGE, ok, "sha256=deadbeef")),
                new Case("wrong signature", 401, t -> post(STAGE, ok, "t=" + now + ",v1=" + "ab".repeat(32))),
                new Case(
                        "wrong secret",
                        401,
                        t -> post(STAGE, ok, signer("not-the-shared-secret-42").sign(okBytes, now))),
                new Case(
                        "stale timestamp",
                        401,
                        t -> post(STAGE, ok, signer(SECRET).sign(okBytes, now - 301))),
                new Case(
                        "future timestamp",
                        401,
                        t -> post(STAGE, ok, signer(SECRET).sign(okBytes, now + 301))),
                new Case("replay outside the window", 401, t -> {
                    StageEndpoint.Request captured = t.signed(STAGE, ok);
                    t.clock.advance(Duration.ofSeconds(301));
                    return captured;
                }),
                new Case("tampered body", 401, t -> post(STAGE, ok, t.sign("{\"batchId\":2}"))),
                new Case("65 KB body", 413, t -> t.signed(STAGE, padded(65 * 1024))),
                new Case("10 MB body", 413, t -> t.signed(STAGE, padded(10 * 1024 * 1024))),
                new Case("malformed JSON", 400, t -> t.signed(STAGE, "{batchId: 1}")),
                new Case("empty body", 400, t -> t.signed(STAGE, "")),
                new Case("batchId a string", 400, t -> t.signed(STAGE, "{\"batchId\": \"x\"}")),
                new Case("batchId negative", 400, t -> t.signed(STAGE, "{\"batchId\": -1}")),
                new Case("batchId huge", 400, t -> t.signed(STAGE, "{\"batchId\": 123456789012345678901234567890}")),
                new Case("batchId fractional", 400, t -> t.signed(STAGE, "{\"batchId\": 1.5}")),
                new Case("unknown field", 400, t -> t.signed(STAGE, "{\"batchId\": 1, \"stage\": \"persistence\"}")),
                new Case("unknown stage", 404, t -> t.signed("/api/batch-processing/nope", ok)),
                new Case("unknown stage, unsigned", 404, t -> post("/api/batch-processing/nope", ok, null)),
                new Case("stage name in upper case", 404, t -> t.signed("/api/batch-processing/SETUP", ok)),
                new Case("path traversal", 404, t -> t.signed("/api/batch-processing/../x", ok)),
                new Case("path traversal to a stage", 404, t -> t.signed("/api/batch-processing/setup/../setup", ok)),
                new Case("encoded path traversal", 404, t -> t.signed("/api/batch-processing/..%2Fsetup", ok)),
                new Case("no stage", 404, t -> t.signed("/api/batch-processing/", ok)),
                new Case("GET on a stage", 405, t -> new StageEndpoint.Request("GET", STAGE, Map.of(), new byte[0])),
                new Case(
                        "PUT on a stage, signed",
                        405,
                        t -> new StageEndpoint.Request(
                                "PUT", STAGE, Map.of(RequestSigner.HEADER, List.of(t.sign(ok))), okBytes)),
                new Case("batch at another stage", 409, t -> t.signed("/api/batch-processing/extraction", ok)),
                new Case("batch without a run", 404, t -> t.signed(STAGE, "{\"batchId\":2}")),
                new Case("start with a bad body", 400, t -> start("{\"batchId\":\"x\"}")),
                new Case("start with a 65 KB body", 413, t -> start(padded(65 * 1024))),
                new Case("start with an array input", 400, t -> start("{\"batchId\":2,\"input\":[1]}")),
                new Case("start with a string input", 400, t -> start("{\"batchId\":2,\"input\":\"x\"}")),
                new Case("start with a number input", 400, t -> start("{\"batchId\":2,\"input\":12}")),
                new Case("start with a boolean input", 400, t -> start("{\"batchId\":2,\"input\":true}")),
                new Case("start with malformed input", 400, t -> start("{\"batchId\":2,\"input\":{a:1}}")),
                new Case(
                        "start with a duplicate key in the input",
                        400,
                        t -> start("{\"batchId\":2,\"input\":{\"a\":1,\"a\":2}}")),
                new Case(
                        "start with an input and an unknown field",
                        400,
                        t -> start("{\"batchId\":2,\"input\":{},\"stage\":\"setup\"}")),
                new Case(
                        "start with an input and a bad batchId",
                        400,
                        t -> start("{\"batchId\":-2,\"input\":{\"a\":1}}")),
                new Case("start with a 65 KB input", 413, t -> start(inputOf(65 * 1024))),
                new Case(
                        "start with an input where the run has none",
                        409,
                        t -> start("{\"batchId\":1,\"input\":{\"a\":1}}")),
                new Case(
                        "status of a bad id",
                        400,
                        t -> new StageEndpoint.Request("GET", "/api/batches/x1", Map.of(), new byte[0])),
                new Case(
                        "DELETE on status",
                        405,
                        t -> new StageEndpoint.Request("DELETE", "/api/batches/1", Map.of(), new byte[0])));
    }

    static Stream<Arguments> cases() {
        return table().stream().flatMap(c -> Stream.of(Arguments.of(c, Via.ENDPOINT), Arguments.of(c, Via.HTTP)));
    }

    StageEndpoint.Response send(StageEndpoint.Request request, Via via) throws Exception {
        return via == Via.ENDPOINT ? endpoint.handle(request) : RawHttp.send(server.baseUrl(), request);
    }

    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("cases")
    void refusedAndNothingChanged(Case c, Via via) throws Exception {
        TableSnapshot before = TableSnapshot.of(PG.dataSource());
        assertThat(before.queue()).hasSize(1);
        StageEndpoint.Request request = c.request().apply(this);

        StageEndpoint.Response response = send(request, via);

        assertThat(response.status()).as(response.bodyText()).isEqualTo(c.status());
        assertThat(response.bodyText())
                .startsWith("{\"error\":\"")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(TableSnapshot.of(PG.dataSource())).isEqualTo(before);
    }

    @Test
    void an_unsigned_caller_learns_nothing_about_the_stages() throws Exception {
        StageEndpoint.Response unsigned = endpoint.handle(post("/api/batch-processing/nope", "{\"batchId\":1}", null));
        assertThat(unsigned.status()).isEqualTo(404);
        assertThat(unsigned.bodyText()).doesNotContain("setup").doesNotContain("persistence");
    }

    @ParameterizedTest(name = "via {0}")
    @MethodSource("vias")
    void aValidRequestRunsTheStageAndChangesTheStore(Via via) throws Exception {
        TableSnapshot before = TableSnapshot.of(PG.dataSource());

        StageEndpoint.Response response = send(signed(STAGE, "{\"batchId\":1}"), via);

        assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
        assertThat(response.bodyText()).contains("\"outcome\":\"advanced\"").contains("\"detail\":\"extraction\"");
        TableSnapshot after = TableSnapshot.of(PG.dataSource());
        assertThat(after.queue()).isNotEqualTo(before.queue());
        assertThat(after.data()).hasSize(before.data().size() + 1);
        assertThat(store.find(1).orElseThrow().stage()).isEqualTo("extraction");
    }

    @ParameterizedTest(name = "via {0}")
    @MethodSource("vias")
    void aRequestSignedWithThePreviousSecretIsAccepted(Via via) throws Exception {
        String body = "{\"batchId\":1}";
        String header = signer(PREVIOUS).sign(body.getBytes(StandardCharsets.UTF_8), clock);

        StageEndpoint.Response response = send(post(STAGE, body, header), via);

        assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
        assertThat(store.find(1).orElseThrow().stage()).isEqualTo("extraction");
    }

    @Test
    void aReplayInsideTheWindowIsAConflictThatChangesNothing() throws Exception {
        StageEndpoint.Request request = signed(STAGE, "{\"batchId\":1}");
        assertThat(endpoint.handle(request).status()).isEqualTo(200);
        TableSnapshot after = TableSnapshot.of(PG.dataSource());

        StageEndpoint.Response replay = endpoint.handle(request);

        assertThat(replay.status()).isEqualTo(409);
        assertThat(replay.bodyText()).contains("\"outcome\":\"not_claimed\"");
        assertThat(TableSnapshot.of(PG.dataSource())).isEqualTo(after);
    }

    static Stream<Via> vias() {
        return Stream.of(Via.values());
    }

    @ParameterizedTest(name = "via {0}")
    @MethodSource("vias")
    void startingARunAgainWithoutAnInputAnswersItAndChangesNothing(Via via) throws Exception {
        TableSnapshot before = TableSnapshot.of(PG.dataSource());

        StageEndpoint.Response again = send(start("{\"batchId\":1}"), via);

        assertThat(again.status()).as(again.bodyText()).isEqualTo(202);
        assertThat(again.bodyText())
                .contains("\"batchId\":1,")
                .contains("\"hasInput\":false")
                .endsWith("\"created\":false}");
        assertThat(TableSnapshot.of(PG.dataSource())).isEqualTo(before);
    }

    @ParameterizedTest(name = "via {0}")
    @MethodSource("vias")
    void startingARunAgainWithTheSameInputAnswersItAndChangesNothing(Via via) throws Exception {
        String body = "{\"batchId\":2,\"input\":{\"screenshots\":3,\"ratio\":1.50}}";
        StageEndpoint.Response first = send(start(body), via);
        assertThat(first.status()).as(first.bodyText()).isEqualTo(202);
        assertThat(first.bodyText()).contains("\"hasInput\":true").endsWith("\"created\":true}");
        TableSnapshot before = TableSnapshot.of(PG.dataSource());

        StageEndpoint.Response again = send(start(body), via);

        assertThat(again.status()).as(again.bodyText()).isEqualTo(202);
        assertThat(again.bodyText()).contains("\"hasInput\":true").endsWith("\"created\":false}");
        assertThat(TableSnapshot.of(PG.dataSource())).isEqualTo(before);
        assertThat(before.queue()).hasSize(2);
    }

    @ParameterizedTest(name = "via {0}")
    @MethodSource("vias")
    void startingARunWithAnotherInputOrNoneIsA409ThatChangesNothing(Via via) throws Exception {
        assertThat(send(start("{\"batchId\":2,\"input\":{\"screenshots\":3}}"), via)
                        .status())
                .isEqualTo(202);
        TableSnapshot before = TableSnapshot.of(PG.dataSource());

        StageEndpoint.Response other = send(start("{\"batchId\":2,\"input\":{\"screenshots\":4}}"), via);
        StageEndpoint.Response none = send(start("{\"batchId\":2}"), via);

        assertThat(other.status()).as(other.bodyText()).isEqualTo(409);
        assertThat(other.bodyText()).contains("started with another input");
        assertThat(none.status()).as(none.bodyText()).isEqualTo(409);
        assertThat(none.bodyText()).contains("started with an input and this request has none");
        assertThat(TableSnapshot.of(PG.dataSource())).isEqualTo(before);
    }
}
