package dev.baton.pipeline.aws.lambda;

import java.time.Duration;

/**
 * What a Lambda handler waits for before it answers: every trigger fired during the invocation has
 * left the process (sent to the network or to SQS). Lambda freezes the execution environment once the
 * answer is written, so a hand-off still in flight then would wait, frozen, until the next invocation
 * of that environment, or for ever. {@code HttpTrigger::awaitIdle} and {@code SqsTrigger::awaitIdle}
 * are hand-offs; {@link #NONE} is one for a trigger that hands off synchronously.
 */
@FunctionalInterface
public interface HandOff {
    /** For a trigger whose {@code fire} has handed off before it returns: nothing to wait for. */
    HandOff NONE = timeout -> true;

    /**
     * @param timeout the longest wait
     * @return {@code true} when everything fired so far has left, {@code false} when the timeout passed first
     *     (what is still in flight is then left to the stall sweeper)
     * @throws InterruptedException if interrupted while waiting
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException;
}
