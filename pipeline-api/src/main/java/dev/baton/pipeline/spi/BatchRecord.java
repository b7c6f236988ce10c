package dev.baton.pipeline.spi;

import dev.baton.pipeline.BatchState;
import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of one {@code batch_processing_queue} row, as a {@link StageStore} returns it.
 *
 * @param batchId the batch
 * @param stage {@code current_stage}: the stage to run, the stage that failed, or {@code completed}
 * @param state {@code status}
 * @param attempt the try of the current stage, from 1
 * @param error {@code error_message}, or {@code null}
 * @param version compare-and-set token; every state change increments it
 * @param leaseOwner who holds the current claim, or {@code null}
 * @param leaseUntil when the current claim expires (database clock), or {@code null}
 * @param runAfter the earliest time the current stage may be claimed (database clock)
 * @param cursor JSON of the continuation of a sliced stage, or {@code null}
 * @param stageStats counters and timings per stage name
 * @param createdAt when the run started
 * @param updatedAt when the row last changed
 * @param hasInput whether the batch was started with an input ({@link StageStore#readInput})
 * @param traceContext the batch's trace context, kept from its start (a W3C {@code traceparent}, see
 *     {@link dev.baton.pipeline.StageInterceptor}), or {@code null}
 */
public record BatchRecord(
        long batchId,
        String stage,
        BatchState state,
        int attempt,
        String error,
        long version,
        String leaseOwner,
        Instant leaseUntil,
        Instant runAfter,
        String cursor,
        Map<String, StageStats> stageStats,
        Instant createdAt,
        Instant updatedAt,
        boolean hasInput,
        String traceContext) {

    /** Copies {@code stageStats} so the record stays immutable. */
    public BatchRecord {
        stageStats = Map.copyOf(stageStats);
    }

    /**
     * A record without a trace context: the form of Baton 0.2, kept for stores and tests that build rows.
     *
     * @param batchId the batch
     * @param stage {@code current_stage}
     * @param state {@code status}
     * @param attempt the try of the current stage, from 1
     * @param error {@code error_message}, or {@code null}
     * @param version compare-and-set token
     * @param leaseOwner who holds the current claim, or {@code null}
     * @param leaseUntil when the current claim expires, or {@code null}
     * @param runAfter the earliest time the current stage may be claimed
     * @param cursor JSON of the continuation of a sliced stage, or {@code null}
     * @param stageStats counters and timings per stage name
     * @param createdAt when the run started
     * @param updatedAt when the row last changed
     * @param hasInput whether the batch was started with an input
     */
    public BatchRecord(
            long batchId,
            String stage,
            BatchState state,
            int attempt,
            String error,
            long version,
            String leaseOwner,
            Instant leaseUntil,
            Instant runAfter,
            String cursor,
            Map<String, StageStats> stageStats,
            Instant createdAt,
            Instant updatedAt,
            boolean hasInput) {
        this(
                batchId,
                stage,
                state,
                attempt,
                error,
                version,
                leaseOwner,
                leaseUntil,
                runAfter,
                cursor,
                stageStats,
                createdAt,
                updatedAt,
                hasInput,
                null);
    }

    /**
     * @param name a stage name
     * @return the stats of that stage, {@link StageStats#NONE} when it never ran
     */
    public StageStats statsOf(String name) {
        return stageStats.getOrDefault(name, StageStats.NONE);
    }
}
