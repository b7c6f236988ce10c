package dev.baton.pipeline;

import java.time.Duration;

/**
 * Hears what happens to batches, for metrics, alerts and the host's own bookkeeping (for example, marking
 * its {@code batch} row failed from {@link #batchFailed}). Every method has an empty default, so
 * new events never break implementers. Called synchronously on the thread that ran the stage,
 * after the change was committed; an exception thrown here is logged and ignored. Implementations
 * must be thread-safe.
 */
public interface PipelineListener {

    /**
     * A stage invocation was claimed and is about to run.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the attempt
     */
    default void stageStarted(long batchId, String stage, int attempt) {}

    /**
     * A stage succeeded and the batch advanced.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the attempt that succeeded
     * @param duration how long the last invocation took
     */
    default void stageSucceeded(long batchId, String stage, int attempt, Duration duration) {}

    /**
     * A sliced stage committed a continuation.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the attempt
     * @param duration how long the invocation took
     */
    default void stageProgressed(long batchId, String stage, int attempt, Duration duration) {}

    /**
     * A stage invocation failed; {@link #stageRetried} or {@link #batchFailed} follows.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the attempt that failed
     * @param error what went wrong
     */
    default void stageFailed(long batchId, String stage, int attempt, String error) {}

    /**
     * A retry of a failed stage was scheduled.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param nextAttempt the attempt that will run
     * @param backoff when, from now
     */
    default void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {}

    /**
     * Every stage succeeded.
     *
     * @param batchId the batch
     */
    default void batchCompleted(long batchId) {}

    /**
     * The batch failed for good at {@code stage}.
     *
     * @param batchId the batch
     * @param stage the stage that failed
     * @param error the error stored in {@code error_message}
     */
    default void batchFailed(long batchId, String stage, String error) {}

    /**
     * The sweeper found a stalled batch (expired lease or lost trigger) and set it going again.
     *
     * @param batchId the batch
     * @param stage its current stage
     * @param attempt the attempt that will run
     */
    default void stalledRecovered(long batchId, String stage, int attempt) {}
}
