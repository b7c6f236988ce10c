package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import dev.baton.pipeline.StallSweeper;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scheduled invocation (an EventBridge rule every minute) that sweeps once: one
 * {@link StallSweeper#sweepOnce()} pass, started only when more than the margin of the invocation is
 * left, then the hand-off of the triggers it fired, bounded by what remains. The lost-work bound is then
 * the lease (or, for a lost trigger, the pending grace) plus the schedule's interval. Thread-safe.
 */
public final class LambdaSweepHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LambdaSweepHandler.class);

    private final StallSweeper sweeper;
    private final HandOff handOff;
    private final Duration margin;
    private final Clock clock;

    /**
     * @param sweeper built from the environment's runner ({@code runner.sweeper().pendingGrace(...).build()});
     *     not started: this handler calls {@code sweepOnce}
     * @param handOff waits until the triggers the sweep fired have left the process
     * @param margin the sweep starts only with more than this left of the invocation, and this much is kept for
     *     the hand-off
     */
    public LambdaSweepHandler(StallSweeper sweeper, HandOff handOff, Duration margin) {
        this(sweeper, handOff, margin, Clock.systemUTC());
    }

    LambdaSweepHandler(StallSweeper sweeper, HandOff handOff, Duration margin, Clock clock) {
        this.sweeper = Objects.requireNonNull(sweeper, "sweeper");
        this.handOff = Objects.requireNonNull(handOff, "handOff");
        this.margin = LambdaHttpHandler.Builder.range("margin", margin);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param context the invocation
     * @return how many batches the sweep rescued or fired again; 0 when too little time was left to sweep
     */
    public int handle(Context context) {
        InvocationBudget budget = InvocationBudget.of(context, margin, clock);
        if (!clock.instant().isBefore(budget.stageDeadline())) {
            LOG.warn(
                    "sweep skipped: {} ms left of the invocation, the margin is {} ms",
                    budget.left().toMillis(),
                    margin.toMillis());
            return 0;
        }
        int rescued = sweeper.sweepOnce();
        if (rescued > 0) {
            LOG.info("sweep: {} batches rescued or fired again", rescued);
        }
        LambdaHttpHandler.awaitHandOff(handOff, budget, margin, "sweep");
        return rescued;
    }
}
