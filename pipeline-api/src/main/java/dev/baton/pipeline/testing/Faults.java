package dev.baton.pipeline.testing;

import dev.baton.pipeline.Stage;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for pipeline tests: stages that fail or wait, and a store that dies between a
 * stage's execution and its commit.
 */
public final class Faults {
    private Faults() {}

    /**
     * A stage that throws {@link InjectedFailure} on its first {@code times} invocations for each
     * batch, then delegates.
     *
     * @param stage the real stage
     * @param times failures per batch before it succeeds
     * @return the faulty stage
     */
    public static Stage failTimes(Stage stage, int times) {
        Map<Long, AtomicInteger> seen = new ConcurrentHashMap<>();
        return context -> {
            int n = seen.computeIfAbsent(context.batchId(), b -> new AtomicInteger())
                    .incrementAndGet();
            if (n <= times) {
                throw new InjectedFailure("injected failure " + n + " of " + times + " in stage " + context.stage());
            }
            return stage.execute(context);
        };
    }

    /**
     * A stage that always throws {@link InjectedFailure}.
     *
     * @param message the failure's message
     * @return the failing stage
     */
    public static Stage failAlways(String message) {
        return context -> {
            throw new InjectedFailure(message);
        };
    }

    /**
     * A stage that waits before delegating.
     *
     * @param stage the real stage
     * @param delay how long to wait
     * @return the slow stage
     */
    public static Stage delay(Stage stage, Duration delay) {
        return context -> {
            Thread.sleep(delay.toMillis());
            return stage.execute(context);
        };
    }

    /**
     * A store that throws {@link SimulatedCrash} instead of committing the first {@code times}
     * successful invocations of {@code stage}: the process "died" after the stage ran but before
     * its output and advance were committed. The claim stays held until its lease expires: like a
     * dead process, the store writes nothing more for that claim (a retry, a failure or a heartbeat
     * of it throws the same crash). For a fanned-out stage the commits that crash are its shards'
     * ({@code completeShard} and {@code saveShardProgress}), each of which counts as one; a dead
     * shard claim likewise writes nothing more, and a dead claim of the stage fans nothing out.
     *
     * @param store the real store
     * @param stage the stage whose commits crash
     * @param times how many commits crash
     * @return the crashing store
     */
    public static StageStore crashBeforeCommit(StageStore store, String stage, int times) {
        return new CrashingStageStore(store, stage, times);
    }

    /** Thrown by {@link #crashBeforeCommit}; stands for the process dying. */
    public static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param message where it crashed */
        public SimulatedCrash(String message) {
            super(message);
        }
    }
}
