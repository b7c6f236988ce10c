package dev.baton.pipeline;

import dev.baton.pipeline.spi.BatchRecord;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which batches an operator is looking for: every condition that is set must hold. Used by
 * {@link BatchClient#search(BatchQuery, int, int)} and {@code StageStore.search}.
 *
 * @param states the states wanted; empty for any state
 * @param stage only batches whose current stage (or the stage they failed at) is this one, or {@code null}
 * @param errorContains only batches whose error holds this text, ignoring case, or {@code null}
 * @param batchId only this batch, or {@code null}
 */
public record BatchQuery(Set<BatchState> states, String stage, String errorContains, Long batchId) {

    /** Every batch. */
    public static final BatchQuery ALL = new BatchQuery(Set.of(), null, null, null);

    /** Copies {@code states}; blank texts mean no condition. */
    public BatchQuery {
        states = Set.copyOf(Objects.requireNonNull(states, "states"));
        stage = stage == null || stage.isBlank() ? null : stage.strip();
        errorContains = errorContains == null || errorContains.isBlank() ? null : errorContains.strip();
    }

    /**
     * @param r a batch
     * @return whether it meets every condition (what a store's query must agree with)
     */
    public boolean matches(BatchRecord r) {
        return (states.isEmpty() || states.contains(r.state()))
                && (stage == null || stage.equals(r.stage()))
                && (batchId == null || batchId == r.batchId())
                && (errorContains == null
                        || (r.error() != null
                                && r.error()
                                        .toLowerCase(Locale.ROOT)
                                        .contains(errorContains.toLowerCase(Locale.ROOT))));
    }
}
