package dev.baton.pipeline;

import java.util.Objects;

/**
 * What one invocation of a {@link Stage} produced.
 *
 * <p>Outputs and cursors are plain Java objects that Jackson can write (records, maps, lists,
 * {@code JsonNode}); the runner serialises them and stores them in PostgreSQL.
 */
public sealed interface StageResult {

    /**
     * The stage finished: its output is stored and the batch advances to the next stage in the
     * same transaction.
     *
     * @param output the stage's output; may be {@code null}, stored as JSON {@code null}
     * @return a finished result
     */
    static StageResult done(Object output) {
        return new Done(output);
    }

    /**
     * The stage is not finished but its budget is nearly spent: the cursor and the partial output
     * are committed and the stage is triggered again at once, in a fresh invocation that sees them
     * through {@link StageContext#cursor(Class)} and {@link StageContext#partialOutput(Class)}.
     *
     * @param cursor where to resume; must not be {@code null}
     * @param partialOutput everything produced so far; may be {@code null}
     * @return a continuation
     * @throws NullPointerException if {@code cursor} is {@code null}
     */
    static StageResult proceed(Object cursor, Object partialOutput) {
        return new Continue(Objects.requireNonNull(cursor, "cursor"), partialOutput);
    }

    /**
     * The stage failed in a way that retrying cannot fix (bad input, say): the batch is marked
     * {@code failed} at once with this reason, without further retries.
     *
     * @param reason what was wrong and what the operator should do; must not be blank
     * @return a permanent failure
     * @throws IllegalArgumentException if {@code reason} is blank
     */
    static StageResult fail(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("fail(reason): give a reason an operator can act on");
        }
        return new Fail(reason);
    }

    /** A finished stage and its output. @param output the output, may be {@code null} */
    record Done(Object output) implements StageResult {}

    /**
     * A stage that needs another invocation.
     *
     * @param cursor where to resume
     * @param partialOutput the output so far
     */
    record Continue(Object cursor, Object partialOutput) implements StageResult {}

    /** A permanent failure. @param reason why */
    record Fail(String reason) implements StageResult {}
}
