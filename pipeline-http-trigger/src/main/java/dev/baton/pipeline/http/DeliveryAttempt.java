package dev.baton.pipeline.http;

/**
 * What one request of a delivery came to. Immutable.
 *
 * @param batchId the batch
 * @param stage the stage
 * @param shard the shard of a shard trigger, or {@link BatchIdBody#NO_SHARD}
 * @param number the attempt, from 1
 * @param kind what happened
 * @param status the HTTP status when answered, else 0
 * @param retryAfterMillis the receiver's {@code Retry-After} in milliseconds, else 0
 * @param reason a short description for logs
 */
record DeliveryAttempt(
        long batchId,
        String stage,
        int shard,
        int number,
        Kind kind,
        int status,
        long retryAfterMillis,
        String reason) {

    /** @return "batch N stage S", with " shard k" for a shard trigger, for logs */
    String where() {
        return HttpDelivery.where(batchId, stage, shard);
    }

    /** The classes of result that decide between retrying and stopping. */
    enum Kind {
        /** The receiver answered with {@code status}. */
        ANSWERED,
        /** The request was sent and no answer came within the hand-off timeout. */
        HANDED_OFF,
        /** Connecting or exchanging failed (refused, reset, connect timeout): retried. */
        UNREACHABLE,
        /** The request could not be made at all (a bug or a security manager): not retried. */
        BROKEN
    }

    /** @return {@code true} for results that another attempt may fix */
    boolean retryable() {
        return kind == Kind.UNREACHABLE || (kind == Kind.ANSWERED && (status >= 500 || status == 429));
    }
}
