package dev.baton.pipeline;

import dev.baton.pipeline.spi.ShardPlan;
import java.util.List;
import java.util.Objects;

/**
 * A stage whose items are split into shards that run in parallel, each its own invocation, and whose
 * output is the shards' outputs joined in item order:
 *
 * <pre>{@code
 * Pipeline.builder()
 *         .stage("setup", new Setup())
 *         .stage("annotation", FanOut.each(ctx -> ctx.output("setup", Shots.class).items(),
 *                         Slicer.concurrency(4), this::annotate)
 *                 .shards(8))
 *         .build();
 * }</pre>
 *
 * <p>When the batch reaches the stage, one invocation reads the items and splits them into the planned
 * number of shards, contiguous ranges of items (shard {@code k} of {@code K} over {@code n} items holds
 * items {@code k·n/K} to {@code (k+1)·n/K - 1}); no stage code runs in it but the item source. Each
 * shard is then triggered on its own, up to {@linkplain #parallelism(int) parallelism} at once, and runs
 * the shard work over its items with its own lease, attempt, retry policy (the stage's), budget and
 * continuation: a shard may slice itself with {@link StageResult#progress}. When the last shard commits,
 * in the same transaction, the store joins the shards' outputs (each a JSON array) into the stage's
 * output, one array in item order, and advances the batch: exactly once, however many shards finish at
 * once. A shard that exhausts its retries fails the batch with its error; the shards still running then
 * commit nothing. See docs/architecture.md, "Fan-out".
 *
 * <p>The same object with {@code shards(1)} (the default) is an ordinary stage that runs the shard work
 * over all the items in one invocation (sliced as the work slices itself), so its output is exactly the
 * joined output of any number of shards, provided the work of an item does not depend on which items
 * share its shard. The item source must return the same list on every call for a batch.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <I> the item type
 */
public final class FanOut<I> implements Stage {
    /** Most shards one stage may have. */
    public static final int MAX_SHARDS = 1024;

    private final ItemSource<I> items;
    private final ShardWork<I> work;
    private final int shards;
    private final int shardSize;
    private final int parallelism;

    private FanOut(ItemSource<I> items, ShardWork<I> work, int shards, int shardSize, int parallelism) {
        this.items = items;
        this.work = work;
        this.shards = shards;
        this.shardSize = shardSize;
        this.parallelism = parallelism;
    }

    /**
     * A fan-out whose shard work is the caller's.
     *
     * @param items the stage's items, the same list on every call for a batch
     * @param work what one shard does with its items; its {@link StageResult#done} output must be a list (a
     *     JSON array) of its results
     * @param <I> the item type
     * @return a fan-out of one shard; set {@link #shards} or {@link #shardSize}
     */
    public static <I> FanOut<I> of(ItemSource<I> items, ShardWork<I> work) {
        return new FanOut<>(
                Objects.requireNonNull(items, "items"), Objects.requireNonNull(work, "work"), 1, 0, MAX_SHARDS);
    }

    /**
     * A fan-out that processes each item with {@code slicer}: each shard slices its items as a {@link Slicer}
     * stage does, and the stage's output is the list of every item's result in item order.
     *
     * @param items the stage's items, the same list on every call for a batch
     * @param slicer how one shard processes its items (concurrency, reserve)
     * @param each one item's work
     * @param <I> the item type
     * @param <O> the result type
     * @return a fan-out of one shard; set {@link #shards} or {@link #shardSize}
     */
    public static <I, O> FanOut<I> each(ItemSource<I> items, Slicer slicer, Slicer.ItemFunction<I, O> each) {
        Objects.requireNonNull(slicer, "slicer");
        Objects.requireNonNull(each, "each");
        return of(items, (context, shardItems) -> slicer.process(context, shardItems, each));
    }

    /**
     * @param shards how many shards to split the items into, 1 to {@value #MAX_SHARDS}; fewer when there are
     *     fewer items (one item per shard at most); 1 runs the stage unsharded
     * @return a copy with that shard count (and no shard size)
     * @throws IllegalArgumentException if out of range
     */
    public FanOut<I> shards(int shards) {
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("shards must be in 1.." + MAX_SHARDS + ", got " + shards);
        }
        return new FanOut<>(items, work, shards, 0, parallelism);
    }

    /**
     * @param shardSize items per shard, at least 1: the shard count is the item count divided by it, rounded up,
     *     at most {@value #MAX_SHARDS} (larger shards then)
     * @return a copy that sizes its shards (instead of counting them)
     * @throws IllegalArgumentException if below 1
     */
    public FanOut<I> shardSize(int shardSize) {
        if (shardSize < 1) {
            throw new IllegalArgumentException("shardSize must be at least 1, got " + shardSize);
        }
        return new FanOut<>(items, work, 0, shardSize, parallelism);
    }

    /**
     * @param parallelism most shards of one batch's stage scheduled at once, 1 to {@value #MAX_SHARDS}; the others
     *     wait and are triggered as shards finish; default: all of them. Global caps of a trigger (the queue's
     *     per-stage caps) count shards too.
     * @return a copy with that limit
     * @throws IllegalArgumentException if out of range
     */
    public FanOut<I> parallelism(int parallelism) {
        if (parallelism < 1 || parallelism > MAX_SHARDS) {
            throw new IllegalArgumentException("parallelism must be in 1.." + MAX_SHARDS + ", got " + parallelism);
        }
        return new FanOut<>(items, work, shards, shardSize, parallelism);
    }

    /** @return whether the stage is split into shards (more than one shard, or sized shards) */
    boolean fansOut() {
        return shardSize > 0 || shards > 1;
    }

    /**
     * @param itemCount how many items the source returned
     * @return the shards of that many items
     */
    ShardPlan plan(int itemCount) {
        int count = shardSize > 0 ? (int) Math.min(MAX_SHARDS, ((long) itemCount + shardSize - 1) / shardSize) : shards;
        count = Math.max(1, Math.min(count, itemCount));
        return new ShardPlan(itemCount, count, Math.min(parallelism, count));
    }

    /**
     * @param context the invocation
     * @return the stage's items
     * @throws Exception what the item source threw
     */
    List<I> items(StageContext context) throws Exception {
        List<I> list = items.items(context);
        if (list == null) {
            throw new StageValueException("batch " + context.batchId() + " stage " + context.stage()
                    + ": the item source returned null; return an empty list for no items");
        }
        return list;
    }

    /**
     * Runs the shard work over some of the items that {@link #items} returned.
     *
     * @param context the invocation: its cursor and partial output are the shard's
     * @param someItems a range of the list {@link #items} returned
     * @throws Exception what the work threw
     */
    @SuppressWarnings("unchecked")
    StageResult runItems(StageContext context, List<?> someItems) throws Exception {
        return work.run(context, (List<I>) someItems);
    }

    /** Runs the stage unsharded: the shard work over all the items. */
    @Override
    public StageResult execute(StageContext context) throws Exception {
        return work.run(context, items(context));
    }

    /**
     * The items of a fanned-out stage, from its input or the outputs of earlier stages.
     *
     * @param <I> the item type
     */
    @FunctionalInterface
    public interface ItemSource<I> {
        /**
         * @param context the invocation (of the fan-out or of one shard)
         * @return the items, in a stable order: the same list on every call for a batch
         * @throws Exception the items could not be read: the invocation fails as a stage exception does
         */
        List<I> items(StageContext context) throws Exception;
    }

    /**
     * What one shard does with its items.
     *
     * @param <I> the item type
     */
    @FunctionalInterface
    public interface ShardWork<I> {
        /**
         * @param context the shard's invocation: its {@link StageContext#cursor} and {@link StageContext#partialOutput}
         *     are the shard's own
         * @param items the shard's items, in item order
         * @return {@link StageResult#done} with a list of results (joined with the other shards' in shard order),
         *     or any other result, which acts on this shard alone
         * @throws Exception the shard failed: it is retried alone, per the stage's retry policy
         */
        StageResult run(StageContext context, List<I> items) throws Exception;
    }
}
