package dev.baton.pipeline.opentelemetry;

import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.ATTEMPT;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.BATCH_ID;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.NEXT_STAGE;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.OUTCOME;
import static dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor.STAGE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageInterceptor;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stage spans of batches run in memory, on a settable clock: their trace, parents, attributes and status,
 * whatever set the invocation going (the previous stage, a retry after its backoff, the sweeper).
 */
class OpenTelemetryStageInterceptorTest {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk sdk = Spans.sdk("baton-test", exporter);
    final Tracer caller = sdk.getTracer("the-caller");
    final MutableClock clock = MutableClock.at(Instant.parse("2026-12-01T00:00:00Z"));
    final InMemoryStageStore store = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);
    PipelineRunner runner;

    PipelineRunner runner(Pipeline pipeline) {
        return runner(pipeline, Spans.interceptor(sdk));
    }

    PipelineRunner runner(Pipeline pipeline, StageInterceptor interceptor) {
        runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .interceptor(interceptor)
                .build();
        return runner;
    }

    static Pipeline threeStages() {
        return Pipeline.builder()
                .stage("setup", ctx -> StageResult.done("s"))
                .stage("work", ctx -> StageResult.done("w"))
                .stage("report", ctx -> StageResult.done("r"))
                .build();
    }

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
        sdk.close();
    }

    @Test
    void a_batch_started_outside_any_span_is_a_new_trace_whose_start_span_is_the_parent_of_every_stage_span() {
        runner(threeStages()).client().start(5);
        trigger.drain();

        SpanData start = Spans.startSpan(exporter);
        assertThat(start.getParentSpanContext().isValid()).as("a new root").isFalse();
        assertThat(start.getAttributes().get(BATCH_ID)).isEqualTo(5L);
        assertThat(store.find(5).orElseThrow().traceContext())
                .startsWith("00-" + start.getTraceId() + "-" + start.getSpanId() + "-");
        List<SpanData> stages = Spans.stageSpans(exporter);
        assertThat(stages)
                .extracting(SpanData::getName)
                .containsExactly("baton stage setup", "baton stage work", "baton stage report");
        assertThat(stages).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(start.getTraceId());
            assertThat(s.getParentSpanId()).isEqualTo(start.getSpanId());
            assertThat(s.getAttributes().get(BATCH_ID)).isEqualTo(5L);
            assertThat(s.getAttributes().get(ATTEMPT)).isEqualTo(1L);
            assertThat(s.getAttributes().get(OUTCOME)).isEqualTo("succeeded");
            assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        });
        assertThat(stages).extracting(s -> s.getAttributes().get(STAGE)).containsExactly("setup", "work", "report");
        assertThat(stages)
                .extracting(s -> s.getAttributes().get(NEXT_STAGE))
                .containsExactly("work", "report", Pipeline.COMPLETED);
    }

    @Test
    void a_batch_started_inside_a_span_continues_the_callers_trace() {
        runner(threeStages());
        Span request = caller.spanBuilder("POST /jobs").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            runner.client().start(6);
        } finally {
            request.end();
        }
        trigger.drain();

        SpanData start = Spans.startSpan(exporter);
        assertThat(start.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
        assertThat(start.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
        assertThat(Spans.stageSpans(exporter))
                .hasSize(3)
                .allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(start.getTraceId()));
    }

    @Test
    void a_stage_rescued_by_the_sweeper_joins_the_batchs_trace_with_its_next_attempt() {
        runner(Pipeline.builder()
                .lease(Duration.ofSeconds(1))
                .stage("setup", ctx -> StageResult.done("s"))
                .stage("work", ctx -> StageResult.done("w"))
                .build());
        runner.client().start(8);
        // a process claims the first stage and dies with it
        assertThat(store.claim(8, "setup", "a-process-that-died", Duration.ofSeconds(1)))
                .isPresent();
        trigger.drain();
        assertThat(Spans.stageSpans(exporter))
                .as("the fire found the stage claimed")
                .isEmpty();
        clock.advance(Duration.ofSeconds(5));
        assertThat(runner.sweeper().build().sweepOnce()).isEqualTo(1);
        trigger.drain();

        assertThat(store.find(8).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        SpanData start8 = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(OpenTelemetryStageInterceptor.START_SPAN)
                        && s.getAttributes().get(BATCH_ID) == 8L)
                .findFirst()
                .orElseThrow();
        List<SpanData> batch8 = Spans.stageSpans(exporter).stream()
                .filter(s -> s.getAttributes().get(BATCH_ID) == 8L)
                .toList();
        assertThat(batch8).extracting(SpanData::getName).containsExactly("baton stage setup", "baton stage work");
        SpanData rescued = batch8.get(0);
        assertThat(rescued.getAttributes().get(ATTEMPT))
                .as("the attempt after the rescue")
                .isEqualTo(2L);
        assertThat(rescued.getAttributes().get(OUTCOME)).isEqualTo("succeeded");
        assertThat(batch8).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(start8.getTraceId());
            assertThat(s.getParentSpanId()).isEqualTo(start8.getSpanId());
        });
    }

    @Test
    void a_failing_stage_ends_its_spans_with_error_status_and_the_error_text_retried_then_failed() {
        runner(Pipeline.builder()
                .stage("setup", ctx -> StageResult.done("s"))
                .stage(
                        "upload",
                        ctx -> {
                            throw new IllegalStateException("bucket screenshots is full");
                        },
                        s -> s.retry(RetryPolicy.exponential(2, Duration.ofSeconds(1))))
                .build());
        runner.client().start(9);
        trigger.drain();
        clock.advance(Duration.ofMinutes(1));
        trigger.drain();

        assertThat(store.find(9).orElseThrow().state()).isEqualTo(BatchState.FAILED);
        List<SpanData> upload = Spans.stageSpans(exporter).stream()
                .filter(s -> s.getName().equals("baton stage upload"))
                .toList();
        assertThat(upload).hasSize(2);
        assertThat(upload).extracting(s -> s.getAttributes().get(OUTCOME)).containsExactly("retried", "failed");
        assertThat(upload).extracting(s -> s.getAttributes().get(ATTEMPT)).containsExactly(1L, 2L);
        assertThat(upload).allSatisfy(s -> {
            assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(s.getStatus().getDescription()).contains("bucket screenshots is full");
            assertThat(s.getTraceId()).isEqualTo(Spans.startSpan(exporter).getTraceId());
        });
        assertThat(upload.get(1).getStatus().getDescription()).contains("gave up after 2 attempts");
    }

    @Test
    void each_continuation_of_a_sliced_stage_is_a_progressed_span_of_the_same_attempt() {
        runner(Pipeline.builder()
                .stage("slices", ctx -> {
                    int next = ctx.cursor(Integer.class).orElse(0) + 1;
                    return next < 3 ? StageResult.progress(next, List.of(next)) : StageResult.done(List.of(next));
                })
                .build());
        runner.client().start(10);
        trigger.drain();

        assertThat(Spans.stageSpans(exporter))
                .extracting(s -> s.getAttributes().get(OUTCOME))
                .containsExactly("progressed", "progressed", "succeeded");
        assertThat(Spans.stageSpans(exporter))
                .allSatisfy(s -> assertThat(s.getAttributes().get(ATTEMPT)).isEqualTo(1L));
    }

    @Test
    void an_invocation_in_a_live_span_of_the_batchs_trace_is_its_child_and_one_of_another_trace_is_linked() {
        runner(threeStages());
        runner.client().start(11);
        SpanContext batch = spanContextOf(store.find(11).orElseThrow().traceContext());
        // a traced HTTP server that received the trigger's traceparent header
        Span server = caller.spanBuilder("POST /api/batch-processing/setup")
                .setParent(io.opentelemetry.context.Context.root().with(Span.wrap(batch)))
                .startSpan();
        try (Scope ignored = server.makeCurrent()) {
            assertThat(runner.runStage(11, "setup").kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        } finally {
            server.end();
        }
        Span unrelated = caller.spanBuilder("nightly job").startSpan();
        try (Scope ignored = unrelated.makeCurrent()) {
            assertThat(runner.runStage(11, "work").kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        } finally {
            unrelated.end();
        }

        List<SpanData> stages = Spans.stageSpans(exporter);
        assertThat(stages.get(0).getParentSpanId())
                .isEqualTo(server.getSpanContext().getSpanId());
        assertThat(stages.get(0).getTraceId()).isEqualTo(batch.getTraceId());
        assertThat(stages.get(1).getParentSpanId()).isEqualTo(batch.getSpanId());
        assertThat(stages.get(1).getTraceId()).isEqualTo(batch.getTraceId());
        assertThat(stages.get(1).getLinks())
                .extracting(l -> l.getSpanContext().getSpanId())
                .containsExactly(unrelated.getSpanContext().getSpanId());
    }

    @Test
    void a_start_request_traceparent_is_the_parent_of_the_batch_and_without_an_sdk_it_is_kept_as_it_is() {
        String upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        runner(threeStages()).client().start(12, null, Duration.ZERO, upstream);
        SpanData start = Spans.startSpan(exporter);
        assertThat(start.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(start.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
        runner.close();

        runner(threeStages(), Spans.interceptor(OpenTelemetry.noop()));
        runner.client().start(13, null, Duration.ZERO, upstream);
        runner.client().start(14);
        trigger.drain();
        assertThat(store.find(13).orElseThrow().traceContext()).isEqualTo(upstream);
        assertThat(store.find(14).orElseThrow().traceContext()).isNull();
        assertThat(store.find(14).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void a_batch_started_before_tracing_gets_stage_spans_of_the_current_trace_or_their_own() {
        store.create(15, "setup");
        runner(threeStages());
        trigger.fire(15, "setup");
        trigger.drain();

        List<SpanData> stages = Spans.stageSpans(exporter);
        assertThat(stages).hasSize(3);
        assertThat(stages)
                .allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
    }

    static SpanContext spanContextOf(String traceParent) {
        return TraceParents.parse(traceParent);
    }
}
