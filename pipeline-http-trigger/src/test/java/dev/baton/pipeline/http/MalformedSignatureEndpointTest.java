package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every malformed signature header, called directly and sent as raw bytes to the JDK HttpServer
 * adapter, is answered 401, leaves the batch where it was and logs nothing at ERROR (no stack trace).
 */
class MalformedSignatureEndpointTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final String BODY = "{\"batchId\":1}";
    static final String PATH = "/api/batch-processing/setup";
    static final long NOW = SignatureTest.T;

    final MutableClock clock = MutableClock.at(Instant.ofEpochSecond(NOW));
    StageStore store;
    PipelineRunner runner;
    StageEndpoint endpoint;
    StageHttpServer server;

    @BeforeEach
    void setUp() throws IOException {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        runner = PipelineRunner.builder(SixStages.pipeline(), store)
                .trigger(new SynchronousTrigger())
                .build();
        endpoint = StageEndpoint.builder(
                        runner, SignatureTest.verifier().clock(clock).build())
                .build();
        server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .threads(2)
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

    /**
     * The targeted hostile headers and a seeded sample of random ones. None is a valid signature of
     * {@link #BODY}: the fuzz's MACs are of another body.
     */
    static List<String> malformed() {
        String mac = "v1=" + "\uff10".repeat(64);
        List<String> headers = new ArrayList<>(List.of(
                "t=" + NOW + "," + mac,
                "t=" + NOW + ",v1=" + "\u0660".repeat(64),
                "t=" + "\u06f0".repeat(10) + ",v1=" + "ab".repeat(32),
                "t=" + NOW + ",v1=" + "\ud835\udfce".repeat(32),
                "t=" + NOW + ",v1=" + "\ud800".repeat(64)));
        headers.addAll(SignatureFuzzTest.targeted());
        Random random = new Random(7);
        for (int i = 0; i < 300; i++) {
            headers.add(
                    i % 2 == 0
                            ? SignatureFuzzTest.randomHeader(random)
                            : SignatureFuzzTest.mutated(random, SignatureFuzzTest.GOOD));
        }
        return headers;
    }

    @Test
    void every_malformed_signature_called_directly_is_a_401_and_nothing_is_logged_at_error() {
        List<String> headers = malformed();
        assertThat(headers).hasSizeGreaterThan(300);
        try (CapturedStderr log = new CapturedStderr()) {
            for (String header : headers) {
                StageEndpoint.Response r = endpoint.handle(new StageEndpoint.Request(
                        "POST",
                        PATH,
                        Map.of(RequestSigner.HEADER, List.of(header)),
                        BODY.getBytes(StandardCharsets.UTF_8)));
                assertThat(r.status())
                        .as(SignatureFuzzTest.escaped(header) + " -> " + r.bodyText())
                        .isEqualTo(401);
                assertThat(r.bodyText()).doesNotContain("incident").doesNotContain("Exception");
            }
            assertThat(log.text()).doesNotContain(" ERROR ").doesNotContain("\tat ");
        }
        assertThat(store.find(1).orElseThrow().version()).isZero();
    }

    @Test
    void every_malformed_signature_sent_as_raw_bytes_over_http_is_a_401_and_nothing_is_logged_at_error()
            throws IOException {
        List<String> headers = malformed().stream()
                .filter(h -> h.indexOf('\r') < 0 && h.indexOf('\n') < 0 && h.length() < 20_000)
                .toList();
        try (CapturedStderr log = new CapturedStderr()) {
            for (String header : headers) {
                String status = rawPost(header.getBytes(StandardCharsets.UTF_8));
                assertThat(status).as(SignatureFuzzTest.escaped(header)).startsWith("HTTP/1.1 401");
            }
            assertThat(log.text()).doesNotContain(" ERROR ").doesNotContain("\tat ");
        }
        assertThat(store.find(1).orElseThrow().version()).isZero();
    }

    /** Sends one POST with the signature header's bytes exactly as given and returns the status line. */
    String rawPost(byte[] signature) throws IOException {
        InetSocketAddress at = server.address();
        try (Socket socket = new Socket(at.getAddress(), at.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.write(("POST " + PATH
                            + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            + "Content-Length: " + BODY.length() + "\r\n" + RequestSigner.HEADER + ": ")
                    .getBytes(StandardCharsets.US_ASCII));
            request.write(signature);
            request.write(("\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII));
            out.write(request.toByteArray());
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            return line.toString(StandardCharsets.ISO_8859_1).strip();
        }
    }
}
