package dev.baton.pipeline;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Inspecting and steering batches: status, retry, restart, cancel, and lists of failed, stalled
 * and running batches. Obtained from {@link PipelineRunner#operations()}. Thread-safe.
 */
public final class BatchClient {
    private final Pipeline pipeline;
    private final StageStore store;
    private final Trigger trigger;

    BatchClient(Pipeline pipeline, StageStore store, Trigger trigger) {
        this.pipeline = pipeline;
        this.store = store;
        this.trigger = trigger;
    }

    /**
     * @param batchId the batch
     * @return its status, or empty when it has no run
     */
    public Optional<BatchStatus> status(long batchId) {
        return store.find(batchId).map(r -> BatchStatus.of(pipeline, r));
    }

    /**
     * Retries a failed (or cancelled) batch from the stage it stopped at, with fresh attempts.
     *
     * @param batchId the batch
     * @return the new status
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch has not failed or been cancelled
     */
    public BatchStatus retry(long batchId) {
        BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        if (r.state() != BatchState.FAILED && r.state() != BatchState.CANCELLED) {
            throw new BatchConflictException(batchId, "batch " + batchId + " is " + r.state().dbValue() + " at stage '"
                    + r.stage() + "'; only a failed or cancelled batch can be retried (use restart to run a stage again)");
        }
        return reset(r, r.stage());
    }

    /**
     * Runs a batch again from {@code stage}: the outputs of that stage and every later one are
     * deleted and the batch becomes pending there. A running invocation commits nothing afterwards.
     *
     * @param batchId the batch
     * @param stage the stage to start from
     * @return the new status
     * @throws UnknownStageException if the pipeline has no such stage
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch changed while restarting; try again
     */
    public BatchStatus restart(long batchId, String stage) {
        pipeline.stage(stage);
        BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        return reset(r, stage);
    }

    private BatchStatus reset(BatchRecord r, String stage) {
        List<String> names = pipeline.stageNames();
        List<String> later = names.subList(pipeline.indexOf(stage) + 1, names.size());
        BatchRecord moved = store.reset(r.batchId(), stage, later, r.version())
                .orElseThrow(() -> new BatchConflictException(r.batchId(), "batch " + r.batchId()
                        + " changed while it was being reset to '" + stage + "'; read its status and try again"));
        trigger.fire(moved.batchId(), stage);
        return BatchStatus.of(pipeline, moved);
    }

    /**
     * Cancels a batch that has not ended: a running invocation finishes, commits nothing, and no
     * further stage runs.
     *
     * @param batchId the batch
     * @return the new status
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch has already completed, failed or been cancelled
     */
    public BatchStatus cancel(long batchId) {
        return store.cancel(batchId).map(r -> BatchStatus.of(pipeline, r)).orElseThrow(() -> {
            BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
            return new BatchConflictException(batchId, "batch " + batchId + " is already " + r.state().dbValue()
                    + "; only a pending or running batch can be cancelled");
        });
    }

    /**
     * @param states the states to list, empty for all
     * @param offset rows to skip, at least 0
     * @param limit page size, 1 to 1000
     * @return one page, oldest change first
     * @throws IllegalArgumentException on a bad page
     */
    public List<BatchStatus> list(Set<BatchState> states, int offset, int limit) {
        if (offset < 0 || limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("offset must be >= 0 and limit in 1..1000, got offset=" + offset + " limit=" + limit);
        }
        return store.list(states, offset, limit).stream().map(r -> BatchStatus.of(pipeline, r)).toList();
    }

    /**
     * @param pendingGrace how long a due pending batch may wait for its trigger before it counts as stalled
     * @param limit at most this many, 1 to 1000
     * @return batches with an expired lease or a lost trigger
     * @throws IllegalArgumentException on a bad limit
     */
    public List<BatchStatus> stalled(Duration pendingGrace, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
        }
        return store.findStalled(pendingGrace, limit).stream().map(r -> BatchStatus.of(pipeline, r)).toList();
    }

    /**
     * @return unfinished batches ({@code pending} or {@code in_progress}) per stage name that this
     *     pipeline does not have: no runner or sweeper of this pipeline will run them; restart them from
     *     one of its stages, cancel them, or deploy the pipeline that has the stage
     */
    public Map<String, Long> atUnknownStages() {
        return store.countActiveOutside(Set.copyOf(pipeline.stageNames()));
    }
}
