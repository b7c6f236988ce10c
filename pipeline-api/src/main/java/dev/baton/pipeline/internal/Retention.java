package dev.baton.pipeline.internal;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * The purge of finished batches, page after page ({@link StageStore#purgeFinished}), shared by
 * {@code BatchClient.purge} and the sweeper's retention. Stateless.
 */
public final class Retention {
    private Retention() {}

    /**
     * Deletes every batch in {@code states} that finished more than {@code olderThan} ago: one page of
     * {@code page} batches per transaction, each page starting after the last id of the one before, until a
     * page is not full. Batches that finish meanwhile, or that a page skipped because they were locked, are
     * left for the next purge.
     *
     * @param log where the total goes (INFO when anything was deleted)
     * @return how many batches were deleted
     * @throws IllegalArgumentException on a bad argument ({@link StageStore.Purged#check})
     */
    public static long purge(Logger log, StageStore store, Duration olderThan, Set<BatchState> states, int page) {
        StageStore.Purged.check(olderThan, states, page);
        long batches = 0;
        long rows = 0;
        long after = 0;
        while (true) {
            StageStore.Purged purged = store.purgeFinished(olderThan, states, after, page);
            List<Long> ids = purged.batchIds();
            batches += ids.size();
            rows += purged.dataRows();
            if (ids.size() < page) {
                break;
            }
            after = ids.get(ids.size() - 1);
        }
        if (batches > 0) {
            log.info(
                    "purged {} finished batches ({}) older than {}, with {} rows of outputs and inputs",
                    batches,
                    names(states),
                    olderThan,
                    rows);
        }
        return batches;
    }

    private static String names(Set<BatchState> states) {
        TreeSet<String> names = new TreeSet<>();
        states.forEach(s -> names.add(s.dbValue()));
        return String.join(", ", names);
    }
}
