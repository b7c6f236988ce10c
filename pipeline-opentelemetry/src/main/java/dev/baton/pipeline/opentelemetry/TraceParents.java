package dev.baton.pipeline.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes the W3C {@code traceparent} a batch keeps, with the API's own propagator. */
final class TraceParents {
    static final String HEADER = "traceparent";

    private static final TextMapGetter<String> ONE = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of(HEADER);
        }

        @Override
        public String get(String carrier, String key) {
            return HEADER.equals(key) ? carrier : null;
        }
    };

    private TraceParents() {}

    /** @return the remote span context of {@code traceParent}; invalid when it is {@code null} or malformed */
    static SpanContext parse(String traceParent) {
        if (traceParent == null) {
            return SpanContext.getInvalid();
        }
        Context read = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceParent, ONE);
        return Span.fromContext(read).getSpanContext();
    }

    /** @return the {@code traceparent} of {@code span}, or {@code null} when its context is invalid */
    static String format(Span span) {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
        return carrier.get(HEADER);
    }
}
