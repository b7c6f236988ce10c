package dev.baton.pipeline.http;

import dev.baton.pipeline.spi.StageHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the trigger does with a fire it finally failed to deliver: counts the fires of each
 * (batch, stage) — (batch, stage, shard) for a shard trigger — that failed in a row, so that the
 * {@code errorAfter}-th is logged at ERROR once, and tells the bound {@link StageHandler}, which notes the error
 * on the batch. Holds at most {@code maxTracked} pairs: beyond that the least recently failed pair is forgotten
 * (its count starts again). A delivery clears its pair. Thread-safe.
 */
final class Undelivered {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTrigger.class);
    private static final int MAX_ERROR_CHARS = 1000;

    private record Key(long batchId, String stage, int shard) {}

    private final int errorAfter;
    private final Map<Key, Integer> counts;
    private volatile StageHandler handler;

    Undelivered(int errorAfter, int maxTracked) {
        this.errorAfter = errorAfter;
        this.counts = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
                return size() > maxTracked;
            }
        };
    }

    void bind(StageHandler handler) {
        this.handler = handler;
    }

    /** Forgets the pair: its trigger was delivered. */
    void delivered(long batchId, String stage) {
        delivered(batchId, stage, BatchIdBody.NO_SHARD);
    }

    /** Forgets the shard (or, with {@link BatchIdBody#NO_SHARD}, the pair): its trigger was delivered. */
    void delivered(long batchId, String stage, int shard) {
        synchronized (counts) {
            counts.remove(new Key(batchId, stage, shard));
        }
    }

    /**
     * Counts one more fire of the pair that was not delivered and tells the handler.
     *
     * @param error what went wrong and what to check, stored on the batch (cut to 1,000 characters)
     * @return whether this fire is the {@code errorAfter}-th in a row, the one to log at ERROR
     */
    boolean failed(long batchId, String stage, String error) {
        return failed(batchId, stage, BatchIdBody.NO_SHARD, error);
    }

    /**
     * {@link #failed(long, String, String)} for a shard trigger (or, with {@link BatchIdBody#NO_SHARD}, a stage's):
     * shards are counted apart, and the error told to the handler starts with {@code "shard k: "}.
     */
    boolean failed(long batchId, String stage, int shard, String error) {
        int inARow;
        synchronized (counts) {
            inARow = counts.merge(new Key(batchId, stage, shard), 1, (a, b) -> a == Integer.MAX_VALUE ? a : a + b);
        }
        StageHandler h = handler;
        if (h != null) {
            String told = shard == BatchIdBody.NO_SHARD ? error : "shard " + shard + ": " + error;
            String stored = told.length() <= MAX_ERROR_CHARS ? told : told.substring(0, MAX_ERROR_CHARS - 1) + "…";
            try {
                h.undelivered(batchId, stage, stored);
            } catch (RuntimeException e) {
                LOG.warn(
                        "batch {} stage {}: the handler could not note the delivery error: {}",
                        batchId,
                        stage,
                        e.toString());
            }
        }
        return inARow == errorAfter;
    }

    /** @return the fires in a row after which an undelivered trigger is logged at ERROR */
    int errorAfter() {
        return errorAfter;
    }

    /** @return the pairs tracked now */
    int tracked() {
        synchronized (counts) {
            return counts.size();
        }
    }
}
