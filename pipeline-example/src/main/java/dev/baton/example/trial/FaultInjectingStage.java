package dev.baton.example.trial;

import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Wraps a stage with the faults of a trial: a fixed delay per invocation ({@code --stage-delay}),
 * then a transient failure with probability P ({@code --fail-rate}) or always
 * ({@code --fail-always}), and only then the real stage. Whether an invocation fails is drawn
 * from the seed, the batch, the stage and the attempt, so the same trial fails the same attempts
 * every time it is run. Thread-safe.
 */
public final class FaultInjectingStage implements Stage {
    private final String name;
    private final Stage delegate;
    private final Duration delay;
    private final double failRate;
    private final boolean failAlways;
    private final long seed;

    /**
     * @param name the stage's name, for messages
     * @param delegate the real stage
     * @param delay extra time per invocation
     * @param failRate probability of a transient failure per attempt, 0 to 1
     * @param failAlways fail every invocation
     * @param seed seeds the draws
     */
    public FaultInjectingStage(
            String name, Stage delegate, Duration delay, double failRate, boolean failAlways, long seed) {
        this.name = Objects.requireNonNull(name, "name");
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.delay = Objects.requireNonNull(delay, "delay");
        if (!(failRate >= 0.0 && failRate <= 1.0)) {
            throw new IllegalArgumentException("failRate must be in [0, 1], got " + failRate);
        }
        this.failRate = failRate;
        this.failAlways = failAlways;
        this.seed = seed;
    }

    /**
     * @param name a stage
     * @param stage its implementation
     * @param trial the trial's settings
     * @return {@code stage} itself when the trial injects nothing into it, else the wrapped stage
     */
    public static Stage wrap(String name, Stage stage, TrialSettings trial) {
        Duration d = trial.stageDelays().getOrDefault(name, Duration.ZERO);
        double rate = trial.failRates().getOrDefault(name, 0.0);
        boolean always = trial.failAlways().contains(name);
        if (d.isZero() && rate == 0.0 && !always) {
            return stage;
        }
        return new FaultInjectingStage(name, stage, d, rate, always, trial.faultSeed());
    }

    @Override
    public StageResult execute(StageContext context) throws Exception {
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
        if (failAlways) {
            throw new InjectedFault("injected failure in stage " + name + " (--fail-always " + name + "), attempt "
                    + context.attempt());
        }
        if (failRate > 0.0 && draw(context.batchId(), context.attempt()) < failRate) {
            throw new InjectedFault("injected transient failure in stage " + name + " (--fail-rate " + name + "="
                    + failRate + "), attempt " + context.attempt());
        }
        return delegate.execute(context);
    }

    double draw(long batchId, int attempt) {
        long mixed = seed
                ^ (batchId * 0x9E3779B97F4A7C15L)
                ^ ((long) name.hashCode() << 32)
                ^ (attempt * 0xC2B2AE3D27D4EB4FL);
        return new SplittableRandom(mixed).nextDouble();
    }
}
