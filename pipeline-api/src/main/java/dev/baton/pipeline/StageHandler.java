package dev.baton.pipeline;

/** Runs one stage invocation in this process: what a {@link Trigger} calls when it delivers. */
@FunctionalInterface
public interface StageHandler {

    /**
     * @param batchId the batch
     * @param stage the stage
     * @return what happened
     */
    StageOutcome run(long batchId, String stage);
}
