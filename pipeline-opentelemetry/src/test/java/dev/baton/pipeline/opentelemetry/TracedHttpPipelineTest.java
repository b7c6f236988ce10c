package dev.baton.pipeline.opentelemetry;

import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.ATTEMPT;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.BATCH_ID;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.OUTCOME;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.STAGE;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StageHttpServer;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One trace per batch across processes: two runners, each with its own OpenTelemetry SDK (standing for two
 * processes) and its own {@link StageHttpServer}, on one PostgreSQL database; each runner's HTTP trigger points at
 * the other's server, so the six stages of a batch alternate between them.
 */
class TracedHttpPipelineTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final String SECRET = "baton-tracing-test-secret-0123";
    static final Duration WAIT = Duration.ofSeconds(60);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final List<String> STAGES = List.of("s1", "s2", "s3", "s4", "s5", "s6");

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final List<AutoCloseable> closing = new ArrayList<>();
    final CountDownLatch completed = new CountDownLatch(1);
    Process a;
    Process b;

    /** One process: its SDK, runner and server. */
    record Process(OpenTelemetrySdk sdk, PipelineRunner runner, StageHttpServer server) {}

    static Pipeline sixStages() {
        Pipeline.Builder p = Pipeline.builder();
        STAGES.forEach(name -> p.stage(name, ctx -> StageResult.done(name)));
        return p.build();
    }

    @BeforeEach
    void twoProcesses() throws IOException {
        BatonSchema.migrate(PG.dataSource());
        int portA = freePort();
        int portB = freePort();
        a = process("baton-a", portA, portB);
        b = process("baton-b", portB, portA);
    }

    Process process(String service, int port, int otherPort) throws IOException {
        OpenTelemetrySdk sdk = Spans.sdk(service, exporter);
        Map<String, String> env =
                Map.of("PIPELINE_API_URL", "http://127.0.0.1:" + otherPort, "PIPELINE_SIGNING_SECRET", SECRET);
        HttpTrigger trigger = HttpTrigger.builder()
                .environment(env::get)
                .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(500))
                .shutdownWait(Duration.ZERO)
                .build();
        PipelineRunner runner = PipelineRunner.builder(
                        sixStages(), JdbcStageStore.builder(PG.dataSource()).build())
                .trigger(trigger)
                .interceptor(Spans.interceptor(sdk))
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        SignatureVerifier verifier =
                SignatureVerifier.builder().environment(env::get).build();
        StageHttpServer server = StageHttpServer.builder(
                        StageEndpoint.builder(runner, verifier).build())
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .stopWait(Duration.ZERO)
                .build();
        closing.add(server);
        closing.add(runner);
        closing.add(sdk);
        runner.start();
        server.start();
        return new Process(sdk, runner, server);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void the_six_stages_of_a_batch_started_over_http_are_spans_of_the_callers_one_trace_across_both_servers()
            throws Exception {
        Tracer caller = a.sdk().getTracer("the-caller");
        Span request = caller.spanBuilder("POST /jobs").startSpan();
        String traceParent = "00-" + request.getSpanContext().getTraceId() + "-"
                + request.getSpanContext().getSpanId() + "-01";
        HttpResponse<String> started =
                post(a.server().baseUrl(), "/api/process-batch", "{\"batchId\":21}", traceParent);
        request.end();
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);

        assertThat(completed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<SpanData> stages =
                Spans.inStageOrder(Spans.awaitSpans(exporter, s -> stageSpans(s).size() == 6), STAGES);

        String trace = request.getSpanContext().getTraceId();
        SpanData start = Spans.startSpan(exporter);
        assertThat(start.getTraceId()).isEqualTo(trace);
        assertThat(start.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
        assertThat(start.getAttributes().get(BATCH_ID)).isEqualTo(21L);
        assertThat(start.getResource().getAttribute(Spans.SERVICE))
                .as("started by A")
                .isEqualTo("baton-a");
        assertThat(stages).extracting(s -> s.getAttributes().get(STAGE)).containsExactlyElementsOf(STAGES);
        assertThat(stages).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(trace);
            assertThat(s.getParentSpanId()).isEqualTo(start.getSpanId());
            assertThat(s.getAttributes().get(BATCH_ID)).isEqualTo(21L);
            assertThat(s.getAttributes().get(ATTEMPT)).isEqualTo(1L);
            assertThat(s.getAttributes().get(OUTCOME)).isEqualTo("succeeded");
        });
        assertThat(stages)
                .as("A's trigger points at B and B's at A")
                .extracting(s -> s.getResource().getAttribute(Spans.SERVICE))
                .containsExactly("baton-b", "baton-a", "baton-b", "baton-a", "baton-b", "baton-a");
    }

    @Test
    void a_stage_whose_process_died_is_rescued_by_the_sweeper_and_its_batch_completes_in_one_trace() throws Exception {
        // a client without a trigger: the batch is due, but nobody is told
        BatchClient client = BatchClient.builder(
                        sixStages(), JdbcStageStore.builder(PG.dataSource()).build())
                .interceptor(Spans.interceptor(a.sdk()))
                .build();
        client.start(23);
        StageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        // a process claims the first stage and dies with it: its lease of 1 ms is never renewed
        assertThat(store.claim(23, "s1", "a-process-that-died", Duration.ofMillis(1)))
                .isPresent();
        StallSweeper sweeper = a.runner().sweeper().build();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (sweeper.sweepOnce() == 0) {
            assertThat(System.nanoTime())
                    .as("the sweeper rescues the expired lease")
                    .isLessThan(deadline);
            Thread.sleep(5);
        }

        assertThat(completed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<SpanData> stages =
                Spans.inStageOrder(Spans.awaitSpans(exporter, s -> stageSpans(s).size() == 6), STAGES);
        SpanData start = Spans.startSpan(exporter);
        assertThat(stages).extracting(s -> s.getAttributes().get(STAGE)).containsExactlyElementsOf(STAGES);
        assertThat(stages)
                .extracting(s -> s.getAttributes().get(ATTEMPT))
                .as("the rescued stage runs its second attempt")
                .containsExactly(2L, 1L, 1L, 1L, 1L, 1L);
        assertThat(stages).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(start.getTraceId());
            assertThat(s.getParentSpanId()).isEqualTo(start.getSpanId());
            assertThat(s.getAttributes().get(OUTCOME)).isEqualTo("succeeded");
        });
        assertThat(stages.get(0).getResource().getAttribute(Spans.SERVICE))
                .as("A's sweeper fired it at B")
                .isEqualTo("baton-b");
    }

    @Test
    void the_http_trigger_sends_the_batchs_traceparent_with_every_hand_off() throws Exception {
        BlockingQueue<List<String>> received = new ArrayBlockingQueue<>(16);
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            received.add(exchange.getRequestHeaders().getOrDefault("traceparent", List.of()));
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(409, -1);
            exchange.close();
        });
        receiver.start();
        closing.add(() -> receiver.stop(0));
        HttpTrigger trigger = HttpTrigger.builder()
                .baseUrl("http://127.0.0.1:" + receiver.getAddress().getPort())
                .secret(SECRET)
                .shutdownWait(Duration.ZERO)
                .build();
        InMemoryStageStore store = new InMemoryStageStore();
        PipelineRunner runner = PipelineRunner.builder(sixStages(), store)
                .trigger(trigger)
                .interceptor(Spans.interceptor(a.sdk()))
                .build();
        closing.add(runner);
        runner.start();

        runner.client().start(24);
        String batch = store.find(24).orElseThrow().traceContext();
        assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("the start's fire")
                .containsExactly(batch);
        assertThat(runner.client().cancel(24).state()).isEqualTo(BatchState.CANCELLED);
        runner.client().retry(24);
        assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("the retry's fire")
                .containsExactly(batch);
    }

    static List<SpanData> stageSpans(List<SpanData> spans) {
        return spans.stream()
                .filter(s -> s.getName().startsWith(OpenTelemetryStageInterceptor.STAGE_SPAN_PREFIX))
                .toList();
    }

    static HttpResponse<String> post(URI base, String path, String body, String traceParent)
            throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(WAIT)
                        .header("Content-Type", "application/json")
                        .header("traceparent", traceParent)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
