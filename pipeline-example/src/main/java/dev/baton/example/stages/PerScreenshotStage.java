package dev.baton.example.stages;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A stage that works through a batch's screenshots one at a time and slices itself to its time
 * budget: before each screenshot after the first it checks that the time left covers the slowest
 * one so far plus a margin, and otherwise returns a continuation ({@link SliceCursor} and the results
 * so far) so the next invocation resumes where this one stopped (invariant 6). Each invocation
 * does at least one screenshot, so a batch always moves. The optional per-item delay stands for
 * slower real work and makes a stage's time grow with its batch ({@code --item-delay}).
 *
 * <p>Subclasses are stateless and thread-safe.
 *
 * @param <I> what one screenshot's work starts from
 * @param <R> what it produces; a record Jackson can write and read
 */
public abstract class PerScreenshotStage<I, R> implements Stage {
    /** Time kept free at the end of an invocation for the commit. */
    static final Duration COMMIT_MARGIN = Duration.ofMillis(500);
    private static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final Class<R> resultType;
    private final Duration itemDelay;

    /**
     * @param resultType the class of one screenshot's result
     * @param itemDelay extra time spent on each screenshot; zero for none
     */
    protected PerScreenshotStage(Class<R> resultType, Duration itemDelay) {
        this.resultType = Objects.requireNonNull(resultType, "resultType");
        this.itemDelay = Objects.requireNonNull(itemDelay, "itemDelay");
    }

    /**
     * @param context the invocation
     * @return every screenshot's input, in order; the same list in every invocation of the stage
     * @throws Exception a transient failure
     */
    protected abstract List<I> items(StageContext context) throws Exception;

    /**
     * @param context the invocation
     * @param item one screenshot's input
     * @return its result
     * @throws Exception a transient failure
     */
    protected abstract R process(StageContext context, I item) throws Exception;

    /**
     * @param context the invocation
     * @param results every screenshot's result, in order
     * @return the stage's output
     * @throws Exception a transient failure
     */
    protected abstract Object finish(StageContext context, List<R> results) throws Exception;

    /**
     * Called when the batch has no screenshots.
     *
     * @param context the invocation
     * @return the stage's result for an empty batch; by default the output of {@link #finish} on nothing
     * @throws Exception a transient failure
     */
    protected StageResult whenEmpty(StageContext context) throws Exception {
        return StageResult.done(finish(context, List.of()));
    }

    @Override
    public final StageResult execute(StageContext context) throws Exception {
        List<I> items = items(context);
        if (items.isEmpty()) {
            return whenEmpty(context);
        }
        List<R> results = new ArrayList<>();
        JsonNode partial = context.partialOutput(JsonNode.class).orElse(null);
        if (partial != null && partial.isArray()) {
            for (JsonNode node : partial) {
                results.add(JSON.treeToValue(node, resultType));
            }
        }
        int start = context.cursor(SliceCursor.class).map(SliceCursor::next).orElse(0);
        if (start != results.size() || start > items.size()) {
            context.log().warn("the cursor says {} screenshots are done but the partial output holds {}; redoing from {}",
                    start, results.size(), Math.min(results.size(), items.size()));
            results = new ArrayList<>(results.subList(0, Math.min(results.size(), items.size())));
            start = results.size();
        }
        long slowestNanos = 0;
        for (int i = start; i < items.size(); i++) {
            if (i > start && context.remaining().toNanos() < slowestNanos + COMMIT_MARGIN.toNanos()) {
                context.log().info("{} of {} screenshots done; continuing in a fresh invocation", i, items.size());
                return StageResult.proceed(new SliceCursor(i, items.size()), results);
            }
            long began = System.nanoTime();
            if (!itemDelay.isZero()) {
                Thread.sleep(itemDelay.toMillis());
            }
            results.add(process(context, items.get(i)));
            slowestNanos = Math.max(slowestNanos, System.nanoTime() - began);
        }
        return StageResult.done(finish(context, results));
    }
}
