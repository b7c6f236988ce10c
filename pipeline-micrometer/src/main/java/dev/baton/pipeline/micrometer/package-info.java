/**
 * Micrometer binding of Baton: {@link dev.baton.pipeline.micrometer.MicrometerPipelineListener}
 * records stage timers and counters and batch gauges in a {@code MeterRegistry}.
 */
package dev.baton.pipeline.micrometer;
