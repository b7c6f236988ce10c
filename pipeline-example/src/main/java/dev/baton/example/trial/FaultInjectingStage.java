package dev.baton.example.trial;

import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;

/**
 * Wraps a stage with the faults of a trial: a fixed delay per invocation ({@code --stage-delay}),
 * then a transient failure with probability P ({@code --fail-rate}) or always
 * ({@code --fail-always}), and only then the real stage. Whether an invocation fails is drawn
 * from the seed, the batch, the stage and the attempt, so the same trial fails the same attempts
 * every time it is run. A stage that fans out gets the same faults around each shard instead
 * ({@link #aroundShards}), so that a shard fails and is retried alone. Thread-safe.
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
        return injects(name, trial) ? of(name, stage, trial) : stage;
    }

    /**
     * The trial's faults of a fanned-out stage, around the work of each of its shards: every shard invocation is
     * delayed, and fails, as an invocation of an unsharded stage does. Whether a shard's attempt fails is drawn from
     * the seed, the batch, the stage, the attempt and the shard's first item, so shards fail independently and the
     * same trial fails the same shard attempts every time.
     *
     * @param name a stage
     * @param trial the trial's settings
     * @param key a stable number of an item, e.g. its position in the batch
     * @param <I> the item type
     * @return the shard work itself when the trial injects nothing into the stage, else the work with the faults
     */
    public static <I> UnaryOperator<FanOut.ShardWork<I>> aroundShards(
            String name, TrialSettings trial, ToLongFunction<I> key) {
        Objects.requireNonNull(key, "key");
        if (!injects(name, trial)) {
            return UnaryOperator.identity();
        }
        FaultInjectingStage faults = of(
                name,
                context -> {
                    throw new IllegalStateException("the faults of stage " + name + " wrap its shards, not a stage");
                },
                trial);
        return work -> (context, items) -> {
            faults.inject(context, items.isEmpty() ? 0L : key.applyAsLong(items.get(0)));
            return work.run(context, items);
        };
    }

    private static boolean injects(String name, TrialSettings trial) {
        return !trial.stageDelays().getOrDefault(name, Duration.ZERO).isZero()
                || trial.failRates().getOrDefault(name, 0.0) != 0.0
                || trial.failAlways().contains(name);
    }

    private static FaultInjectingStage of(String name, Stage stage, TrialSettings trial) {
        return new FaultInjectingStage(
                name,
                stage,
                trial.stageDelays().getOrDefault(name, Duration.ZERO),
                trial.failRates().getOrDefault(name, 0.0),
                trial.failAlways().contains(name),
                trial.faultSeed());
    }

    @Override
    public StageResult execute(StageContext context) throws Exception {
        inject(context, null);
        return delegate.execute(context);
    }

    /** @param shardKey the first item of the shard, {@code null} for an unsharded stage */
    private void inject(StageContext context, Long shardKey) throws InterruptedException {
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
        String where = shardKey == null ? "" : " (the shard from item " + shardKey + ")";
        if (failAlways) {
            throw new InjectedFault("injected failure in stage " + name + where + " (--fail-always " + name
                    + "), attempt " + context.attempt());
        }
        if (failRate > 0.0 && draw(context.batchId(), context.attempt(), shardKey == null ? 0 : shardKey) < failRate) {
            throw new InjectedFault("injected transient failure in stage " + name + where + " (--fail-rate " + name
                    + "=" + failRate + "), attempt " + context.attempt());
        }
    }

    double draw(long batchId, int attempt) {
        return draw(batchId, attempt, 0);
    }

    double draw(long batchId, int attempt, long shardKey) {
        long mixed = seed
                ^ (batchId * 0x9E3779B97F4A7C15L)
                ^ ((long) name.hashCode() << 32)
                ^ (attempt * 0xC2B2AE3D27D4EB4FL)
                ^ (shardKey * 0x94D049BB133111EBL);
        return new SplittableRandom(mixed).nextDouble();
    }
}
