package dev.baton.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Processes a list of items inside a stage with bounded concurrency, stops taking new items when
 * the invocation's budget is nearly spent, and returns the continuation, so a sliced stage is a
 * few lines:
 *
 * <pre>{@code
 * public StageResult execute(StageContext ctx) {
 *     List<Screenshot> shots = ctx.output("setup", Screenshots.class).items();
 *     return Slicer.concurrency(8).reserve(Duration.ofSeconds(5)).process(ctx, shots, this::annotate);
 * }
 * }</pre>
 *
 * <p>The stage's output is the list of results in item order, the same whether the work took one
 * invocation or many; the cursor is the index of the next item. Every invocation processes at
 * least one item, so a stage always makes progress.
 *
 * <p>When an item throws, no new item is started; the items in flight are waited for. The results
 * before the failed item (in item order) are kept: the invocation returns {@link StageResult#retryFrom}
 * with the failed item as the cursor, so they are committed with the failure, and the retry, after the
 * stage's {@link RetryPolicy} backoff, starts at the failed item. Results of items after it are
 * dropped and those items run again. Because such an invocation made progress, the count of tries
 * starts again at the failed item: each item gets the policy's attempts, however many items of the
 * stage are flaky. When the first item of the invocation throws, there is nothing to keep and its
 * exception fails the invocation as any stage exception does (attempt + 1); an item that always
 * throws therefore ends the batch {@code failed} after the policy's attempts. Immutable and
 * thread-safe; each {@link #process} call uses its own short-lived threads.
 */
public final class Slicer {
    private final int concurrency;
    private final Duration reserve;

    private Slicer(int concurrency, Duration reserve) {
        this.concurrency = concurrency;
        this.reserve = reserve;
    }

    /**
     * @param concurrency items processed at once, 1 to 256
     * @return a slicer that keeps a tenth of the time left at the start of each invocation in reserve
     * @throws IllegalArgumentException if out of range
     */
    public static Slicer concurrency(int concurrency) {
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("concurrency must be in 1..256, got " + concurrency);
        }
        return new Slicer(concurrency, null);
    }

    /**
     * @param reserve stop taking new items when less than this is left of the budget; time for the
     *     items in flight to finish and for the commit; not negative
     * @return a copy with that reserve
     * @throws IllegalArgumentException if negative
     */
    public Slicer reserve(Duration reserve) {
        if (reserve.isNegative()) {
            throw new IllegalArgumentException("reserve must not be negative, got " + reserve);
        }
        return new Slicer(concurrency, reserve);
    }

    /**
     * One item's work.
     *
     * @param <I> the item type
     * @param <O> the result type
     */
    @FunctionalInterface
    public interface ItemFunction<I, O> {
        /**
         * @param item the item
         * @return its result, written with the stage's output
         * @throws Exception the item failed: the results before it are committed and the stage is retried
         *     from it (see the class description)
         */
        O apply(I item) throws Exception;
    }

    /**
     * Processes the items from the context's cursor on, until done or the budget runs low.
     *
     * @param context the invocation
     * @param items every item of the stage, in a stable order (the same list on each invocation)
     * @param work what to do with one item
     * @param <I> the item type
     * @param <O> the result type
     * @return {@link StageResult#done} with all results, {@link StageResult#progress} with the results so far,
     *     or {@link StageResult#retryFrom} with the results before the first item that threw, that item's
     *     index as the cursor and its exception
     * @throws Exception the exception of the invocation's first item, when that item threw
     */
    public <I, O> StageResult process(StageContext context, List<I> items, ItemFunction<I, O> work) throws Exception {
        Objects.requireNonNull(work, "work");
        int from = context.cursor(Integer.class).orElse(0);
        if (from > items.size()) {
            throw new StageValueException(
                    "batch " + context.batchId() + " stage " + context.stage() + ": cursor " + from + " is past the "
                            + items.size() + " items; the item list must be the same on every invocation");
        }
        List<Object> results = new ArrayList<>(items.size());
        context.partialOutput(JsonNode.class).ifPresent(p -> ((ArrayNode) p).forEach(results::add));
        if (results.size() != from) {
            throw new StageValueException(
                    "batch " + context.batchId() + " stage " + context.stage() + ": partial output has "
                            + results.size() + " results but the cursor says " + from + "; restart the stage");
        }
        Duration keep = reserve != null ? reserve : context.remaining().dividedBy(10);
        int next = from;
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "baton-slice-" + context.stage());
            t.setDaemon(true);
            return t;
        });
        try {
            Semaphore slots = new Semaphore(concurrency);
            AtomicBoolean anyFailed = new AtomicBoolean();
            List<Future<O>> inFlight = new ArrayList<>();
            while (next < items.size()
                    && !anyFailed.get()
                    && (next == from || context.remaining().compareTo(keep) > 0)) {
                slots.acquire();
                if (anyFailed.get() || (next > from && context.remaining().compareTo(keep) <= 0)) {
                    slots.release();
                    break;
                }
                I item = items.get(next++);
                inFlight.add(pool.submit(() -> {
                    try {
                        return work.apply(item);
                    } catch (Throwable t) {
                        anyFailed.set(true);
                        throw t;
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (int i = 0; i < inFlight.size(); i++) {
                try {
                    results.add(inFlight.get(i).get());
                } catch (ExecutionException e) {
                    awaitAll(inFlight.subList(i + 1, inFlight.size()));
                    return failedAt(from, from + i, items.size(), results, e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return next < items.size() ? StageResult.progress(next, results) : StageResult.done(results);
    }

    /** Waits for items whose results are dropped, so none still runs when the retry starts. */
    private static void awaitAll(List<? extends Future<?>> dropped) throws InterruptedException {
        for (Future<?> f : dropped) {
            try {
                f.get();
            } catch (ExecutionException e) {
                // dropped with its result: the item runs again on the retry
            }
        }
    }

    /**
     * @param from the invocation's first item
     * @param index the first item, in item order, that threw
     * @return the retry from {@code index} with the results before it
     * @throws Exception the item's exception, when {@code index} is the invocation's first item
     */
    private static StageResult failedAt(int from, int index, int size, List<Object> results, ExecutionException e)
            throws Exception {
        if (index == from) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String message = cause.getMessage();
        String error = "item " + index + " of " + size + " failed: "
                + cause.getClass().getName()
                + (message == null || message.isBlank() ? "" : ": " + message)
                + " (items " + from + " to " + (index - 1) + " were committed; the retry starts at item " + index + ")";
        return StageResult.retryFrom(index, results, error, cause);
    }
}
