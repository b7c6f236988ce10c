package dev.baton.pipeline.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** The OpenTelemetry SDK of one test process, exporting every ended span to a shared in-memory exporter. */
final class Spans {
    static final Duration WAIT = Duration.ofSeconds(60);
    /** The resource attribute that tells the test's two processes apart. */
    static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");

    private Spans() {}

    /**
     * @param service the {@code service.name} of this process's spans
     * @param exporter where its spans go, at once as each ends
     * @return the SDK, not registered globally
     */
    static OpenTelemetrySdk sdk(String service, InMemorySpanExporter exporter) {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setResource(Resource.create(Attributes.of(SERVICE, service)))
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .build();
    }

    /** @return an interceptor on {@code openTelemetry} */
    static OpenTelemetryStageInterceptor interceptor(OpenTelemetry openTelemetry) {
        return OpenTelemetryStageInterceptor.builder(openTelemetry).build();
    }

    /** @return the stage spans ended so far, in the order they ended */
    static List<SpanData> stageSpans(InMemorySpanExporter exporter) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().startsWith(OpenTelemetryStageInterceptor.STAGE_SPAN_PREFIX))
                .toList();
    }

    /**
     * @param spans finished spans
     * @param stages the pipeline's stage names, in order
     * @return the stage spans among them, in the pipeline's order of stages, then by attempt (spans of two
     *     processes may end in either order: a stage's span ends just after its commit hands the batch on)
     */
    static List<SpanData> inStageOrder(List<SpanData> spans, List<String> stages) {
        return spans.stream()
                .filter(s -> s.getName().startsWith(OpenTelemetryStageInterceptor.STAGE_SPAN_PREFIX))
                .sorted(Comparator.comparing((SpanData s) ->
                                stages.indexOf(s.getAttributes().get(OpenTelemetryStageInterceptor.STAGE)))
                        .thenComparing(s -> s.getAttributes().get(OpenTelemetryStageInterceptor.ATTEMPT)))
                .toList();
    }

    /** @return the one start span */
    static SpanData startSpan(InMemorySpanExporter exporter) {
        List<SpanData> starts = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(OpenTelemetryStageInterceptor.START_SPAN))
                .toList();
        if (starts.size() != 1) {
            throw new AssertionError("expected one start span, got " + starts);
        }
        return starts.get(0);
    }

    /** Polls until {@code done} holds for the finished spans, or fails after {@link #WAIT}. */
    static List<SpanData> awaitSpans(InMemorySpanExporter exporter, Predicate<List<SpanData>> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<SpanData> spans = exporter.getFinishedSpanItems();
            if (done.test(spans)) {
                return spans;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("spans not there after " + WAIT + ": " + spans);
            }
            Thread.sleep(5);
        }
    }
}
