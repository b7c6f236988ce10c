package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The time of one invocation as the platform gives it: it ends {@code context.getRemainingTimeInMillis()}
 * from now, the stage must end its work {@code margin} before that (for the commit and the hand-off),
 * and the hand-off may use what is left but a small reserve for writing the answer.
 */
record InvocationBudget(Instant end, Instant stageDeadline, Clock clock) {
    /** Kept back from the hand-off wait, for the answer to be written before the platform's deadline. */
    static final Duration ANSWER_RESERVE = Duration.ofMillis(200);

    static InvocationBudget of(Context context, Duration margin, Clock clock) {
        Instant now = clock.instant();
        long remaining = context == null ? Long.MAX_VALUE / 4 : context.getRemainingTimeInMillis();
        Instant end = now.plusMillis(Math.max(0, remaining));
        return new InvocationBudget(end, end.minus(margin), clock);
    }

    /** @return how long a hand-off may still be waited for: at most {@code cap}, never past the answer reserve */
    Duration handOffWait(Duration cap) {
        Duration left = Duration.between(clock.instant(), end).minus(ANSWER_RESERVE);
        if (left.isNegative()) {
            return Duration.ZERO;
        }
        return left.compareTo(cap) < 0 ? left : cap;
    }

    /** @return the time left before the platform's deadline */
    Duration left() {
        return Duration.between(clock.instant(), end);
    }
}
