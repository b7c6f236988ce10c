package dev.baton.pipeline;

/** An operation named a batch that has no queue row. */
public final class BatchNotFoundException extends PipelineException {
    private static final long serialVersionUID = 1L;
    private final long batchId;

    /** @param batchId the batch that was asked for */
    public BatchNotFoundException(long batchId) {
        super("batch " + batchId + " has no pipeline run; start it first (PipelineRunner.start)");
        this.batchId = batchId;
    }

    /** @return the batch that was asked for */
    public long batchId() {
        return batchId;
    }
}
