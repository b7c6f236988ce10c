package dev.baton.pipeline.http;

/**
 * Hears what happened to each stage request an {@link HttpTrigger} sent: for metrics, alerts and
 * tests. Every method has an empty default so new events never break implementers. Called on the
 * trigger's own threads (never the thread that called {@code fire}); must be thread-safe and quick,
 * and an exception thrown here is logged and ignored. The deliveries of a shard trigger
 * ({@link HttpTrigger#fireShard}) are told under the shard's stage, and a dropped one's reason starts with
 * {@code "shard k: "}.
 */
public interface DeliveryListener {

    /**
     * The receiver answered with a status that is not retried: 2xx (the stage ran), 409 (the batch is
     * not at that stage: a duplicate or late trigger, harmless) or another 4xx (misconfiguration).
     *
     * @param batchId the batch
     * @param stage the stage
     * @param status the HTTP status
     * @param attempts requests sent, the first included
     */
    default void answered(long batchId, String stage, int status, int attempts) {}

    /**
     * The request was sent and the receiver had not answered within the hand-off timeout: it is
     * running the stage, and the trigger stopped waiting.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempts requests sent, the first included
     */
    default void handedOff(long batchId, String stage, int attempts) {}

    /**
     * A request failed in a way that is retried (connection refused or reset, connect timeout, 5xx,
     * 429); another follows after a backoff.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempt the attempt that failed, from 1
     * @param reason what went wrong
     */
    default void retrying(long batchId, String stage, int attempt, String reason) {}

    /**
     * Every attempt failed; the trigger is left to the stall sweeper.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param attempts requests tried
     * @param reason what went wrong last
     */
    default void gaveUp(long batchId, String stage, int attempts, String reason) {}

    /**
     * The trigger was not sent at all (too many requests in flight, or the trigger is closed); it is
     * left to the stall sweeper.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param reason why
     */
    default void dropped(long batchId, String stage, String reason) {}
}
