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
    static StageResult progress(Object cursor, Object partialOutput) {
        return new Progress(Objects.requireNonNull(cursor, "cursor"), partialOutput);
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

    /**
     * Part of the work is done and then a retryable failure came: the cursor and the partial output
     * are committed, like {@link #progress}, and in the same transaction the failure is recorded as a
     * try of the stage under its {@link RetryPolicy}, so the retry resumes at {@code cursor} after the
     * policy's backoff instead of redoing the work. Because the invocation made progress, the count of
     * tries starts again at the cursor: the failed invocation counts as the first try there and the
     * retry is attempt 2. Past the policy's limit (a policy of one attempt) the batch fails.
     *
     * <p>The cursor must move forward: a cursor equal to the one this invocation started from is
     * no progress, and the failure counts as an ordinary one (attempt + 1, nothing committed), so a
     * stage that always fails still ends {@code failed}. {@link Slicer} returns this when an item
     * throws after earlier items of the invocation finished.
     *
     * @param cursor where the retry resumes; must not be {@code null}
     * @param partialOutput everything produced before the failure; may be {@code null}
     * @param error what failed, stored as the batch's {@code error_message}; name the item; must not be blank
     * @param cause the exception, for the log; may be {@code null}
     * @return a continuation after a failure
     * @throws NullPointerException if {@code cursor} is {@code null}
     * @throws IllegalArgumentException if {@code error} is blank
     */
    static StageResult retryFrom(Object cursor, Object partialOutput, String error, Throwable cause) {
        Objects.requireNonNull(cursor, "cursor");
        if (error == null || error.isBlank()) {
            throw new IllegalArgumentException(
                    "retryFrom(error): say what failed, naming the item, so an operator can act on it");
        }
        return new RetryFrom(cursor, partialOutput, error, cause);
    }

    /** A finished stage and its output. @param output the output, may be {@code null} */
    record Done(Object output) implements StageResult {}

    /**
     * A stage that needs another invocation.
     *
     * @param cursor where to resume
     * @param partialOutput the output so far
     */
    record Progress(Object cursor, Object partialOutput) implements StageResult {}

    /**
     * Progress followed by a retryable failure; see {@link #retryFrom}.
     *
     * @param cursor where the retry resumes
     * @param partialOutput the output so far
     * @param error what failed
     * @param cause the exception, or {@code null}
     */
    record RetryFrom(Object cursor, Object partialOutput, String error, Throwable cause) implements StageResult {}

    /** A permanent failure. @param reason why */
    record Fail(String reason) implements StageResult {}
}
