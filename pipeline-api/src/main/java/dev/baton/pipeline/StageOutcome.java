package dev.baton.pipeline;

/**
 * What one call of {@link PipelineRunner#runStage(long, String)} (or of {@link PipelineRunner#runShard}) did.
 * A shard's outcome names its stage; {@code detail} names the shard.
 *
 * @param kind what happened
 * @param batchId the batch
 * @param stage the stage asked for
 * @param attempt the attempt that ran, or 0 when nothing ran
 * @param detail the next stage, the error, or why nothing ran
 */
public record StageOutcome(Kind kind, long batchId, String stage, int attempt, String detail) {

    /** What happened to a stage invocation. */
    public enum Kind {
        /** The stage succeeded and the batch moved on to the next stage ({@code detail}). */
        ADVANCED,
        /** The last stage succeeded; the batch is completed. */
        COMPLETED,
        /** The stage committed a continuation and runs again. */
        PROGRESSED,
        /** The stage was split into shards ({@code detail} says how many); each now runs on its own. */
        FANNED_OUT,
        /** A shard committed its output; other shards of the stage are still to finish. */
        SHARD_DONE,
        /** The stage failed and a retry is scheduled; {@code detail} is the error. */
        RETRYING,
        /** The stage failed for good; the batch is failed; {@code detail} is the error. */
        FAILED,
        /** The stage ran but its claim was lost meanwhile (rescued, cancelled): nothing was committed. */
        LOST,
        /** The batch was not claimable for this stage; nothing ran and nothing changed. */
        NOT_CLAIMED,
        /** The batch has no run. */
        NOT_FOUND
    }

    /** @return {@code true} when the stage ran and committed its result */
    public boolean committed() {
        return kind == Kind.ADVANCED
                || kind == Kind.COMPLETED
                || kind == Kind.PROGRESSED
                || kind == Kind.FANNED_OUT
                || kind == Kind.SHARD_DONE
                || kind == Kind.RETRYING
                || kind == Kind.FAILED;
    }
}
