package dev.baton.pipeline.spi;

import dev.baton.pipeline.StageOutcome;

/** Runs one stage invocation in this process: what a {@link Trigger} calls when it delivers. */
@FunctionalInterface
public interface StageHandler {

    /**
     * @param batchId the batch
     * @param stage the stage
     * @return what happened
     */
    StageOutcome runStage(long batchId, String stage);

    /**
     * Runs a stage whose claim is already held for {@link #owner()}: the first stage of a run a starter created
     * claimed ({@link Trigger#reserveClaimedStart}), then, when the trigger continues inline, the stages after it.
     * The default refuses, for handlers written before claimed starts; a trigger hands claims only to a handler
     * whose {@link #owner()} is not {@code null}.
     *
     * @param claim an {@code in_progress} row leased to {@link #owner()}
     * @return what happened to the claimed stage
     * @throws UnsupportedOperationException if this handler cannot run claims
     */
    default StageOutcome runClaimed(BatchRecord claim) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot run a claimed stage (batch "
                + claim.batchId() + " stage " + claim.stage() + "); fire the stage instead");
    }

    /**
     * @return the owner id this handler claims leases under and runs claims of ({@link #runClaimed}), or {@code
     *     null} (the default) when it runs no claims handed to it
     */
    default String owner() {
        return null;
    }

    /**
     * Runs one invocation of a shard of a fanned-out stage, if and only if the shard is pending and due and
     * the batch is fanned out at the stage; otherwise does nothing (a duplicate or late shard trigger).
     * The default refuses, for handlers written before fan-out.
     *
     * @return what happened
     */
    default StageOutcome runShard(long batchId, String stage, int shard) {
        throw new UnsupportedOperationException(
                getClass().getName() + " cannot run shards (batch " + batchId + " stage " + stage + ")");
    }

    /**
     * Told by a trigger that delivers elsewhere (HTTP) when it has finally failed to deliver
     * "run {@code stage} of {@code batchId}" (its own retries are spent), so that the batch's status can
     * say why it does not move. The stall sweeper still fires the stage again. Must not throw; the
     * default does nothing.
     *
     * @param batchId the batch
     * @param stage the stage that was not delivered
     * @param error what went wrong and what to check, for an operator
     */
    default void undelivered(long batchId, String stage, String error) {}
}
