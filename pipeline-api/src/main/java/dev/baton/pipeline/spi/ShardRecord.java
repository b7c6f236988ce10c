package dev.baton.pipeline.spi;

import java.time.Instant;

/**
 * One shard of a fanned-out stage, as stored: the unit a shard invocation claims, heartbeats and commits
 * (compare-and-set on {@code version}, {@code leaseOwner} and {@code IN_PROGRESS}, like a batch's claim).
 *
 * @param batchId the batch
 * @param stage the fanned-out stage
 * @param shard the shard's number, 0 to {@code shards - 1}
 * @param shards how many shards the stage has
 * @param state where the shard is
 * @param attempt tries of the shard's current slice, from 1
 * @param error the last failure's message, or null
 * @param version bumped by every change
 * @param leaseOwner who holds it, or null
 * @param leaseUntil until when, or null
 * @param runAfter when it may be claimed (pending)
 * @param cursor the continuation of a sliced shard, as JSON, or null
 * @param fromItem index of the shard's first item
 * @param toItem index after its last item
 * @param items how many items the whole stage has (a shard that finds another count fails loudly)
 * @param startedAt when it was first claimed, or null
 * @param finishedAt when it completed or failed, or null
 * @param hasInput whether the batch was started with an input
 * @param traceContext the batch's W3C {@code traceparent}, or null
 */
public record ShardRecord(
        long batchId,
        String stage,
        int shard,
        int shards,
        ShardState state,
        int attempt,
        String error,
        long version,
        String leaseOwner,
        Instant leaseUntil,
        Instant runAfter,
        String cursor,
        int fromItem,
        int toItem,
        int items,
        Instant startedAt,
        Instant finishedAt,
        boolean hasInput,
        String traceContext) {

    /**
     * @return the stage name under which this shard's output and partial output are stored with the batch's
     *     outputs: {@code <stage>:shard:<k>}, which no stage can have
     */
    public String dataKey() {
        return dataKey(stage, shard);
    }

    /**
     * @param stage a fanned-out stage
     * @param shard a shard of it
     * @return the stage name under which that shard's output is stored (see {@link #dataKey()})
     */
    public static String dataKey(String stage, int shard) {
        return stage + ":shard:" + shard;
    }

    /** @return "batch N stage S shard k of K", for messages */
    public String describe() {
        return "batch " + batchId + " stage " + stage + " shard " + shard + " of " + shards;
    }
}
