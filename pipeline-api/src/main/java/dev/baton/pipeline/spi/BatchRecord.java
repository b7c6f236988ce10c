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
        boolean hasInput) {

    /** Copies {@code stageStats} so the record stays immutable. */
    public BatchRecord {
        stageStats = Map.copyOf(stageStats);
    }

    /**
     * @param name a stage name
     * @return the stats of that stage, {@link StageStats#NONE} when it never ran
     */
    public StageStats statsOf(String name) {
        return stageStats.getOrDefault(name, StageStats.NONE);
    }
}
