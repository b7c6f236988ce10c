package dev.baton.pipeline.opentelemetry;

import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.ATTEMPT;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.OUTCOME;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.STAGE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.testkit.PostgresExtension;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue hands the trace on in its rows: two queue workers, each with its own runner and OpenTelemetry SDK,
 * claim every stage of a batch from PostgreSQL, a retry after its backoff included, in the batch's one trace.
 */
class TracedQueueTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final List<String> STAGES = List.of("s1", "s2", "s3", "s4", "s5", "s6");

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final List<AutoCloseable> closing = new ArrayList<>();
    final CountDownLatch completed = new CountDownLatch(1);
    final AtomicInteger s3Tries = new AtomicInteger();

    Pipeline sixStagesWithAFlakyThird() {
        Pipeline.Builder p = Pipeline.builder();
        for (String name : STAGES) {
            if (name.equals("s3")) {
                p.stage(
                        name,
                        ctx -> {
                            if (s3Tries.incrementAndGet() == 1) {
                                throw new IllegalStateException("the vision model timed out");
                            }
                            return StageResult.done(name);
                        },
                        s -> s.retry(RetryPolicy.exponential(2, Duration.ofMillis(50))));
            } else {
                p.stage(name, ctx -> StageResult.done(name));
            }
        }
        return p.build();
    }

    PipelineRunner worker(String service) {
        OpenTelemetrySdk sdk = Spans.sdk(service, exporter);
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        QueueTrigger trigger =
                QueueTrigger.builder(PG.dataSource()).everyStageThroughQueue().build();
        PipelineRunner runner = PipelineRunner.builder(sixStagesWithAFlakyThird(), store)
                .trigger(trigger)
                .interceptor(Spans.interceptor(sdk))
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                .threads(2)
                .pollInterval(Duration.ofMillis(500))
                .build();
        closing.add(0, sdk);
        closing.add(0, runner);
        closing.add(0, worker);
        runner.start();
        worker.start();
        return runner;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void every_stage_claimed_from_the_queue_by_either_worker_a_retry_included_is_a_span_of_the_callers_trace()
            throws Exception {
        BatonSchema.migrate(PG.dataSource());
        PipelineRunner first = worker("worker-a");
        worker("worker-b");
        OpenTelemetrySdk callerSdk = Spans.sdk("caller", exporter);
        closing.add(callerSdk);
        Span job =
                callerSdk.getTracer("the-caller").spanBuilder("nightly import").startSpan();
        try (Scope ignored = job.makeCurrent()) {
            first.client().start(31);
        } finally {
            job.end();
        }

        assertThat(completed.await(Spans.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<SpanData> stages = Spans.inStageOrder(
                Spans.awaitSpans(exporter, s -> Spans.inStageOrder(s, STAGES).size() == 7), STAGES);

        SpanData start = Spans.startSpan(exporter);
        assertThat(start.getTraceId()).isEqualTo(job.getSpanContext().getTraceId());
        assertThat(start.getParentSpanId()).isEqualTo(job.getSpanContext().getSpanId());
        assertThat(stages)
                .extracting(s ->
                        s.getAttributes().get(STAGE) + "#" + s.getAttributes().get(ATTEMPT) + " "
                                + s.getAttributes().get(OUTCOME))
                .containsExactly(
                        "s1#1 succeeded",
                        "s2#1 succeeded",
                        "s3#1 retried",
                        "s3#2 succeeded",
                        "s4#1 succeeded",
                        "s5#1 succeeded",
                        "s6#1 succeeded");
        assertThat(stages).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(start.getTraceId());
            assertThat(s.getParentSpanId()).isEqualTo(start.getSpanId());
        });
        SpanData retried = stages.get(2);
        assertThat(retried.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(retried.getStatus().getDescription()).contains("the vision model timed out");
    }
}
