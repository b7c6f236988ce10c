package dev.baton.pipeline.spi;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import java.time.Duration;
import java.util.Optional;

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
     * Asks, before a start creates its run, whether a worker of this process is free to run the first stage at once,
     * and if so holds that worker for it. The starter then creates the run with its first stage already claimed for
     * {@code owner} ({@link StageStore#createClaimed}) and hands the claim over with {@link ClaimedStart#run}, or
     * gives the worker back with {@link ClaimedStart#release} when it has nothing to hand over. A claimed batch
     * therefore never waits in a queue while its lease runs.
     *
     * <p>A trigger answers only for a handler it is bound to that claims under {@code owner} ({@link
     * StageHandler#owner()}) and can run a claim ({@link StageHandler#runClaimed}), and only while a worker is idle.
     * The default holds nothing, for triggers written before this method and those that deliver elsewhere: the
     * starter then creates a pending run and calls {@link #fire(long, String, String)}. Must return quickly and
     * never wait for a worker.
     *
     * @param batchId the batch about to be started
     * @param stage its first stage
     * @param owner the owner id the starter will claim the first stage under
     * @return the worker held for this start, or empty when none is free (or this trigger cannot run claims)
     */
    default Optional<ClaimedStart> reserveClaimedStart(long batchId, String stage, String owner) {
        return Optional.empty();
    }

    /**
     * A worker held by {@link #reserveClaimedStart} for one start. The starter calls exactly one of {@link #run}
     * and {@link #release}, once; a second call does nothing. Thread-safe.
     */
    interface ClaimedStart {
        /**
         * Hands the claim to the held worker, which runs it with {@link StageHandler#runClaimed} (and the stages
         * after it, when the trigger continues inline). Never blocks and never throws: if the worker can no longer
         * take it (the trigger was closed meanwhile), that is logged with the batch and stage, and the claim's
         * lease expires and the stall sweeper rescues the batch, as for a worker that died.
         *
         * @param claim the row {@link StageStore#createClaimed} returned, {@code in_progress} for the owner given
         *     to {@link #reserveClaimedStart}
         */
        void run(BatchRecord claim);

        /** Gives the held worker back unused: the start found an existing run, its create failed, or missed. */
        void release();
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
