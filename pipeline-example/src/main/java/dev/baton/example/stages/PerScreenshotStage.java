package dev.baton.example.stages;

import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A stage that works through a batch's screenshots with Baton's {@link Slicer}: a few at a time,
 * and only while the invocation's budget lasts; then it returns a continuation and the next
 * invocation resumes where this one stopped. The output is the list of per-screenshot
 * results, the same however many invocations it took. The optional per-item delay stands for
 * slower real work and makes a stage's time grow with its batch ({@code --item-delay}).
 *
 * <p>A stage whose screenshots are independent of each other (and that keeps the default {@link #refuse}) is
 * declared on the pipeline as {@link #fanOut()}: a {@link FanOut} over its screenshots with the same slicer and
 * per-screenshot work. With one shard that is exactly this stage; with more, each shard slices through its part
 * and the joined output is the same list.
 *
 * <p>Subclasses are stateless and thread-safe.
 *
 * @param <I> what one screenshot's work starts from
 * @param <R> what it produces; a record Jackson can write and read
 */
public abstract class PerScreenshotStage<I, R> implements Stage {
    /** Time kept free at the end of an invocation, beyond the items in flight, for the commit. */
    static final Duration COMMIT_RESERVE = Duration.ofMillis(500);

    private final Duration itemDelay;
    private final Slicer slicer;

    /**
     * @param tuning concurrency, budget and per-item delay of this stage
     */
    protected PerScreenshotStage(StageTuning tuning) {
        Objects.requireNonNull(tuning, "tuning");
        this.itemDelay = tuning.itemDelay();
        Duration reserve = tuning.itemDelay().multipliedBy(2).plus(COMMIT_RESERVE);
        Duration tenth = tuning.budget().dividedBy(10);
        this.slicer = Slicer.concurrency(tuning.concurrency()).reserve(reserve.compareTo(tenth) > 0 ? reserve : tenth);
    }

    /**
     * @param context the invocation
     * @return every screenshot's input, in order; the same list in every invocation of the stage
     * @throws Exception a transient failure
     */
    protected abstract List<I> items(StageContext context) throws Exception;

    /**
     * @param item one screenshot's input
     * @return its result
     * @throws Exception a transient failure
     */
    protected abstract R process(I item) throws Exception;

    /**
     * Called when the batch has no screenshots.
     *
     * @param context the invocation
     * @return the stage's result for an empty batch; by default an empty list
     */
    protected StageResult whenEmpty(StageContext context) {
        return StageResult.done(List.of());
    }

    /**
     * Decides, before any screenshot is processed, whether the stage cannot do its work.
     *
     * @param context the invocation
     * @param items what {@link #items} returned
     * @return the stage's result instead of processing, or {@code null} to process; by default
     *     {@link #whenEmpty} for no items
     * @throws Exception a transient failure
     */
    protected StageResult refuse(StageContext context, List<I> items) throws Exception {
        return items.isEmpty() ? whenEmpty(context) : null;
    }

    @Override
    public final StageResult execute(StageContext context) throws Exception {
        List<I> items = items(context);
        StageResult refused = refuse(context, items);
        if (refused != null) {
            return refused;
        }
        return slicer.process(context, items, this::processDelayed);
    }

    /**
     * This stage as a fan-out of one shard ({@link FanOut#shards} sets more): the same items, slicer and
     * per-screenshot work. An empty batch gives an empty list, as {@link #whenEmpty} does by default; a stage that
     * overrides {@link #refuse} or {@link #whenEmpty} must not be declared this way.
     *
     * @return the fan-out
     */
    public final FanOut<I> fanOut() {
        return FanOut.each(this::items, slicer, this::processDelayed);
    }

    /**
     * This stage as a fan-out of one shard whose shard work is wrapped, e.g. by a trial's injected faults.
     *
     * @param around wraps the work of one shard (its items sliced through as {@link #fanOut()} does)
     * @return the fan-out
     */
    public final FanOut<I> fanOut(UnaryOperator<FanOut.ShardWork<I>> around) {
        FanOut.ShardWork<I> work = (context, items) -> slicer.process(context, items, this::processDelayed);
        return FanOut.of(this::items, Objects.requireNonNull(around.apply(work), "around returned null"));
    }

    private R processDelayed(I item) throws Exception {
        if (!itemDelay.isZero()) {
            Thread.sleep(itemDelay.toMillis());
        }
        return process(item);
    }
}
