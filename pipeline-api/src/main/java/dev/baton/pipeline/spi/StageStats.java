package dev.baton.pipeline.spi;

import java.time.Instant;

/**
 * Counters and timings of one stage of one batch, kept with the batch row.
 *
 * @param attempts tries of the stage, retries and rescues included
 * @param invocations executions of the stage (a sliced stage has several per attempt)
 * @param maxInvocationMs the longest execution, in milliseconds
 * @param startedAt when the stage first started, or {@code null}
 * @param finishedAt when the stage succeeded or failed for good, or {@code null}
 */
public record StageStats(int attempts, int invocations, long maxInvocationMs, Instant startedAt, Instant finishedAt) {

    /** Stats of a stage that never ran. */
    public static final StageStats NONE = new StageStats(0, 0, 0, null, null);

    /**
     * @param attempt the attempt the invocation belonged to
     * @param started when it started
     * @param millis how long it took
     * @param finished when the stage finished for good, or {@code null} while it goes on
     * @return these stats with one more invocation
     */
    public StageStats plusInvocation(int attempt, Instant started, long millis, Instant finished) {
        return new StageStats(
                Math.max(attempts, attempt),
                invocations + 1,
                Math.max(maxInvocationMs, millis),
                startedAt != null ? startedAt : started,
                finished);
    }
}
