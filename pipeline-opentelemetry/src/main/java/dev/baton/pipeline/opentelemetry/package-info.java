/**
 * Tracing for Baton with OpenTelemetry: {@link dev.baton.pipeline.opentelemetry.OpenTelemetryStageInterceptor} makes
 * every stage invocation of a batch a span of the batch's one trace, whichever process, trigger or sweeper ran it.
 */
package dev.baton.pipeline.opentelemetry;
