package dev.baton.pipeline.spi;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import java.time.Duration;

/**
 * Hands "run stage S of batch B" to wherever stages run: an executor in this JVM, an HTTP
 * endpoint, a PostgreSQL queue. A trigger never waits for the stage to finish.
 *
 * <p>Delivery is at-least-once at best: a trigger may be lost (the process dies, the endpoint is
 * down) or duplicated. Both are safe: a duplicate finds the batch no longer claimable and does
 * nothing, and the {@link StallSweeper} fires again what was lost. Implementations are
 * thread-safe.
 */
public interface Trigger extends AutoCloseable {

    /**
     * Called once by {@link PipelineRunner} when it is built, with the handler that runs a stage in
     * this process. Triggers that deliver elsewhere (HTTP) run no stage through it, but tell it of
     * triggers they could not deliver ({@link StageHandler#undelivered}).
     *
     * @param handler runs one stage invocation
     */
    default void bind(StageHandler handler) {}

    /**
     * Starts the threads the trigger delivers on, if it has any; called by {@link PipelineRunner#start()}.
     * Building a trigger starts nothing. The default does nothing.
     */
    default void start() {}

    /**
     * Asks for the stage to run as soon as possible. Must return quickly.
     *
     * @param batchId the batch
     * @param stage the stage
     */
    void fire(long batchId, String stage);

    /**
     * Asks for the stage to run after {@code delay} (a retry's backoff). The default does nothing
     * and leaves the due retry to the {@link StallSweeper}; triggers that can wait override it.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param delay how long to wait first
     */
    default void fireAfter(long batchId, String stage, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            fire(batchId, stage);
        }
    }

    /**
     * {@link #fire(long, String)}, with the batch's trace context ({@link BatchRecord#traceContext()}) for a
     * trigger that carries it across its hand-off (the HTTP trigger's {@code traceparent} header). The runner,
     * the client and the sweeper call this form; the default drops the context, which the receiving runner
     * reads back from the store anyway.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param traceContext the batch's W3C {@code traceparent}, or {@code null}
     */
    default void fire(long batchId, String stage, String traceContext) {
        fire(batchId, stage);
    }

    /**
     * {@link #fireAfter(long, String, Duration)}, with the batch's trace context, as {@link #fire(long,
     * String, String)}.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param delay how long to wait first
     * @param traceContext the batch's W3C {@code traceparent}, or {@code null}
     */
    default void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
        fireAfter(batchId, stage, delay);
    }

    /**
     * Whether the thread that finished a stage may run the next stage itself, claiming it in the
     * same transaction as the advance (one commit per transition) instead of firing this trigger.
     * True for triggers whose stages run on long-lived worker threads (in-process, queue); false
     * (the default) where each stage must run in its own invocation (HTTP, serverless).
     *
     * @param nextStage the stage that would run next
     * @return {@code true} to chain stages on the same thread
     */
    default boolean continuesInline(String nextStage) {
        return false;
    }

    /**
     * Delivers one shard of a fanned-out stage ({@link StageHandler#runShard}), after {@code delay} (zero for now),
     * with the batch's trace context (or null). Like {@link #fire}, it is fire-and-forget: a lost shard trigger is
     * found by the sweeper. The default refuses, for triggers written before fan-out.
     *
     * @throws UnsupportedOperationException if this trigger cannot deliver shards
     */
    default void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot deliver shards of a fanned-out stage"
                + " (batch " + batchId + " stage " + stage + " shard " + shard + "); use a trigger that can, or run"
                + " the stage with shards(1)");
    }

    /**
     * Stops delivering and stops the trigger's threads; pending deliveries may be dropped (the sweeper
     * recovers them). Called by {@link PipelineRunner#close()}; must be idempotent.
     */
    @Override
    default void close() {}
}
