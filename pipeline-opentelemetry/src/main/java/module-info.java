/**
 * OpenTelemetry tracing for Baton ({@code dev.baton.pipeline.opentelemetry}): one trace per batch, a span per stage
 * invocation. Needs the OpenTelemetry API only (an automatic module); the host brings the SDK.
 */
module dev.baton.pipeline.opentelemetry {
    requires transitive dev.baton.pipeline;
    requires transitive io.opentelemetry.api;
    requires transitive io.opentelemetry.context;

    exports dev.baton.pipeline.opentelemetry;
}
