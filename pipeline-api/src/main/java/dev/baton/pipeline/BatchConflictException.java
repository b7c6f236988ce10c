package dev.baton.pipeline;

/**
 * An operation does not fit the batch's current state: starting a batch that already has a run with another input,
 * retrying one that has not failed, and so on. Nothing was changed.
 */
public final class BatchConflictException extends PipelineException {
    private static final long serialVersionUID = 1L;
    private final long batchId;

    /**
     * @param batchId the batch
     * @param message what the state is and what to do instead
     */
    public BatchConflictException(long batchId, String message) {
        super(message);
        this.batchId = batchId;
    }

    /** @return the batch */
    public long batchId() {
        return batchId;
    }
}
