package dev.baton.pipeline;

import java.util.function.Supplier;

/**
 * Wraps every stage invocation and names each new batch's trace context: the seam for tracing
 * ({@code pipeline-opentelemetry}'s {@code OpenTelemetryStageInterceptor}) without a tracing library in
 * {@code pipeline-api}.
 *
 * <p>A batch's <em>trace context</em> is a W3C {@code traceparent} ({@code 00-<32 hex>-<16 hex>-<2 hex>}),
 * chosen once when the batch is created ({@link #batchContext}) and kept with the batch by the store. Every
 * invocation of the batch gets it back ({@link Invocation#traceContext()}), whoever triggered it: the
 * previous stage in another process, an HTTP request, a queue worker, a retry after its backoff or the
 * sweeper's rescue. The HTTP trigger also sends it as the {@code traceparent} header of each hand-off.
 *
 * <p>Set one on {@link PipelineRunner.Builder#interceptor} (which gives it to the runner's client as well)
 * or {@link BatchClient.Builder#interceptor}. Implementations must be thread-safe; every method has a
 * default, and {@link #NONE} uses them all.
 */
public interface StageInterceptor {

    /** Keeps the caller's trace context, if any, and wraps nothing. */
    StageInterceptor NONE = new StageInterceptor() {};

    /**
     * Chooses the trace context of a batch being created. Called by {@link BatchClient#start} before the
     * store is asked; a start that finds the run already there keeps the run's own context.
     *
     * @param batchId the batch
     * @param parent the caller's trace context handed over explicitly (the {@code traceparent} header of a
     *     start request), or {@code null}: then an implementation takes the thread's current one, if any
     * @return the trace context to keep with the batch, or {@code null} for none; the default returns
     *     {@code parent}. A value that is not a W3C {@code traceparent} is not kept
     */
    default String batchContext(long batchId, String parent) {
        return parent;
    }

    /**
     * Runs one claimed stage invocation: call {@code invocation} exactly once, on this thread, and return
     * what it returns. Called for every invocation the runner executes, a stage chained inline included,
     * around the stage and its commit; never for a trigger that claimed nothing.
     *
     * @param invocation which batch, stage and attempt, with the batch's trace context
     * @param proceed runs the stage and commits its result; it may throw when the store fails
     * @return the outcome {@code proceed} returned
     */
    default StageOutcome aroundStage(Invocation invocation, Supplier<StageOutcome> proceed) {
        return proceed.get();
    }

    /**
     * One claimed stage invocation. There is no shard: a stage fans work out inside itself ({@link Slicer}),
     * so an invocation is one (batch, stage, attempt).
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the try of the stage, from 1
     * @param traceContext the batch's trace context ({@link #batchContext}), or {@code null} when it has none
     */
    record Invocation(long batchId, String stage, int attempt, String traceContext) {}
}
