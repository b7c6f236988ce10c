package dev.baton.pipeline.spi;

/**
 * How a fanned-out stage's items are split: {@code shards} contiguous ranges of {@code items} items, at
 * most {@code parallelism} of them scheduled at once. Shard {@code k} holds items {@link #from(int)
 * from(k)} (inclusive) to {@link #to(int) to(k)} (exclusive), sizes differing by at most one.
 *
 * @param items how many items the stage has
 * @param shards how many shards, 1 to {@code max(1, items)}
 * @param parallelism most shards pending or running at once, 1 to {@code shards}
 */
public record ShardPlan(int items, int shards, int parallelism) {
    /**
     * @throws IllegalArgumentException if a count is out of range
     */
    public ShardPlan {
        if (items < 0 || shards < 1 || shards > Math.max(1, items) || parallelism < 1 || parallelism > shards) {
            throw new IllegalArgumentException("a shard plan needs 0 <= items, 1 <= shards <= max(1, items) and 1 <="
                    + " parallelism <= shards; got items=" + items + ", shards=" + shards + ", parallelism="
                    + parallelism);
        }
    }

    /**
     * @param shard a shard number, 0 to {@code shards - 1}
     * @return the index of its first item
     */
    public int from(int shard) {
        return (int) ((long) shard * items / shards);
    }

    /**
     * @param shard a shard number, 0 to {@code shards - 1}
     * @return the index after its last item
     */
    public int to(int shard) {
        return (int) ((long) (shard + 1) * items / shards);
    }
}
