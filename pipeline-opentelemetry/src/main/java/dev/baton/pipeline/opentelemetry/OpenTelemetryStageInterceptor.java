package dev.baton.pipeline.opentelemetry;

import dev.baton.pipeline.StageInterceptor;
import dev.baton.pipeline.StageOutcome;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Traces batches with OpenTelemetry: one trace per batch, one span per stage invocation, across processes,
 * triggers and Lambda environments.
 *
 * <p><b>The batch's trace.</b> When a batch is created, a short span {@value #START_SPAN} is made as a child of
 * the start request's {@code traceparent} header (over HTTP) or of the caller's current span, or as the root of a
 * new trace when there is neither. Its W3C {@code traceparent} is kept with the batch (the queue row's
 * {@code trace_context}). Every invocation of the batch, whoever triggered it (the previous stage in another
 * process, a queue worker, a retry after its backoff, the sweeper's rescue), reads it back with its claim and
 * makes its span {@code baton stage <name>} a child of that start span, so a batch's invocations form one trace.
 * When the invocation runs inside a live span of the same trace (a host whose HTTP server is traced, receiving
 * the trigger's {@code traceparent} header), the stage span is a child of that span instead; a live span of
 * another trace is kept as a link.
 *
 * <p><b>Stage spans</b> carry {@link #BATCH_ID}, {@link #STAGE} and {@link #ATTEMPT}, and end with
 * {@link #OUTCOME}: {@code succeeded} (with {@link #NEXT_STAGE}), {@code progressed}, {@code retried},
 * {@code failed}, {@code lost} (the claim was taken over, nothing committed) or {@code error} (the store failed
 * and the invocation threw). A retried or failed invocation has status {@link StatusCode#ERROR} with the error
 * text as description; an invocation that threw records the exception too. The span is current while the stage
 * runs, so the stage's own instrumented calls are its children. There is no shard attribute: a stage fans work out
 * inside itself, so an invocation is one (batch, stage, attempt).
 *
 * <pre>{@code
 * StageInterceptor tracing = OpenTelemetryStageInterceptor.builder(openTelemetry).build();
 * PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).interceptor(tracing).build();
 * }</pre>
 *
 * <p>Needs only the OpenTelemetry API: without an SDK every span is a no-op and a batch keeps the caller's
 * {@code traceparent}, if any. Thread-safe.
 */
public final class OpenTelemetryStageInterceptor implements StageInterceptor {

    /** The instrumentation scope name of the tracer. */
    public static final String SCOPE = "dev.baton.pipeline";
    /** The name of the span made when a batch is created, the parent of its stage spans. */
    public static final String START_SPAN = "baton start";
    /** The prefix of a stage span's name, followed by the stage name. */
    public static final String STAGE_SPAN_PREFIX = "baton stage ";
    /** The batch id, on the start span and every stage span. */
    public static final AttributeKey<Long> BATCH_ID = AttributeKey.longKey("baton.batch.id");
    /** The stage name. */
    public static final AttributeKey<String> STAGE = AttributeKey.stringKey("baton.stage");
    /** The try of the stage, from 1. */
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("baton.attempt");
    /**
     * How the invocation ended: {@code succeeded}, {@code progressed}, {@code retried}, {@code failed},
     * {@code lost} or {@code error}.
     */
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("baton.outcome");
    /** After {@code succeeded}: the stage the batch moved on to, or {@code completed}. */
    public static final AttributeKey<String> NEXT_STAGE = AttributeKey.stringKey("baton.next_stage");

    private final Tracer tracer;

    private OpenTelemetryStageInterceptor(Tracer tracer) {
        this.tracer = tracer;
    }

    /**
     * @param openTelemetry the host's OpenTelemetry (for example {@code GlobalOpenTelemetry.get()}, or the SDK)
     * @return a builder
     */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /**
     * Makes the {@value #START_SPAN} span of a new batch and returns its {@code traceparent}.
     *
     * @param batchId the batch
     * @param parent the start request's {@code traceparent}, or {@code null} for the caller's current span
     * @return the {@code traceparent} of the start span; {@code parent} when no span could be made (no SDK)
     */
    @Override
    public String batchContext(long batchId, String parent) {
        Context base = Context.current();
        SpanContext given = TraceParents.parse(parent);
        if (given.isValid()) {
            base = base.with(Span.wrap(given));
        }
        Span start = tracer.spanBuilder(START_SPAN)
                .setParent(base)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(BATCH_ID, batchId)
                .startSpan();
        start.end();
        String context = TraceParents.format(start);
        return context != null ? context : parent;
    }

    @Override
    public StageOutcome aroundStage(Invocation invocation, Supplier<StageOutcome> proceed) {
        Span span = stageSpan(invocation).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            StageOutcome outcome = proceed.get();
            end(span, outcome);
            return outcome;
        } catch (RuntimeException | Error e) {
            span.setAttribute(OUTCOME, "error");
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, String.valueOf(e));
            throw e;
        } finally {
            span.end();
        }
    }

    private SpanBuilder stageSpan(Invocation invocation) {
        SpanBuilder b = tracer.spanBuilder(STAGE_SPAN_PREFIX + invocation.stage())
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(BATCH_ID, invocation.batchId())
                .setAttribute(STAGE, invocation.stage())
                .setAttribute(ATTEMPT, (long) invocation.attempt());
        Context current = Context.current();
        SpanContext live = Span.fromContext(current).getSpanContext();
        SpanContext batch = TraceParents.parse(invocation.traceContext());
        if (!batch.isValid() || (live.isValid() && live.getTraceId().equals(batch.getTraceId()))) {
            return b.setParent(current);
        }
        b.setParent(current.with(Span.wrap(batch)));
        if (live.isValid()) {
            b.addLink(live);
        }
        return b;
    }

    private static void end(Span span, StageOutcome outcome) {
        switch (outcome.kind()) {
            case ADVANCED, COMPLETED -> {
                span.setAttribute(OUTCOME, "succeeded");
                span.setAttribute(NEXT_STAGE, outcome.detail());
            }
            case PROGRESSED -> span.setAttribute(OUTCOME, "progressed");
            case RETRYING -> {
                span.setAttribute(OUTCOME, "retried");
                span.setStatus(StatusCode.ERROR, outcome.detail());
            }
            case FAILED -> {
                span.setAttribute(OUTCOME, "failed");
                span.setStatus(StatusCode.ERROR, outcome.detail());
            }
            case LOST -> span.setAttribute(OUTCOME, "lost");
            default -> span.setAttribute(OUTCOME, outcome.kind().name().toLowerCase(Locale.ROOT));
        }
    }

    /** Builds an {@link OpenTelemetryStageInterceptor}; building starts nothing. Not thread-safe. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private String instrumentationVersion;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /**
         * @param version the instrumentation scope version the tracer reports, for example Baton's version;
         *     default none
         * @return this
         */
        public Builder instrumentationVersion(String version) {
            this.instrumentationVersion = Objects.requireNonNull(version, "version");
            return this;
        }

        /** @return the interceptor; set it with {@code PipelineRunner.Builder.interceptor} */
        public OpenTelemetryStageInterceptor build() {
            var tracer = openTelemetry.tracerBuilder(SCOPE);
            if (instrumentationVersion != null) {
                tracer.setInstrumentationVersion(instrumentationVersion);
            }
            return new OpenTelemetryStageInterceptor(tracer.build());
        }
    }
}
