package dev.baton.example.trial;

import dev.baton.example.stages.StageNames;
import dev.baton.pipeline.FanOut;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The knobs of a trial run, from the command line's {@code --stage-delay}, {@code --item-delay},
 * {@code --fail-rate}, {@code --fail-always}, {@code --budget}, {@code --max-attempts},
 * {@code --lease}, {@code --screenshots} and {@code --fan-out}. Immutable; every value is checked when it is built.
 *
 * @param stageDelays extra time per invocation of a stage
 * @param itemDelays extra time per screenshot in a stage
 * @param failRates probability that an invocation of a stage fails (transient)
 * @param failAlways stages whose every invocation fails
 * @param budget time budget of one invocation
 * @param maxAttempts tries of a stage, the first one included
 * @param lease how long a claim holds without a heartbeat
 * @param screenshotsPerBatch screenshots created for a new batch
 * @param faultSeed seeds the draws of {@code --fail-rate}, so a trial can be repeated
 * @param fanOut shards of a stage that fans out ({@code --fan-out}); a stage not in it, or at 1, runs unsharded
 */
public record TrialSettings(
        Map<String, Duration> stageDelays,
        Map<String, Duration> itemDelays,
        Map<String, Double> failRates,
        Set<String> failAlways,
        Duration budget,
        int maxAttempts,
        Duration lease,
        int screenshotsPerBatch,
        long faultSeed,
        Map<String, Integer> fanOut) {

    /** Default {@code --budget}: under a 60 s serverless limit with room to commit. */
    public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(50);
    /** Default {@code --max-attempts}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** Default {@code --lease}. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** Default {@code --screenshots}. */
    public static final int DEFAULT_SCREENSHOTS = 10;
    /** Most screenshots per batch. */
    public static final int MAX_SCREENSHOTS = 1000;
    /** Most shards of one stage ({@code --fan-out}). */
    public static final int MAX_SHARDS = FanOut.MAX_SHARDS;

    /**
     * @throws IllegalArgumentException naming the setting and the accepted values, on any bad value
     */
    public TrialSettings {
        stageDelays = Map.copyOf(stageDelays);
        itemDelays = Map.copyOf(itemDelays);
        failRates = Map.copyOf(failRates);
        failAlways = Set.copyOf(failAlways);
        fanOut = Map.copyOf(fanOut);
        stageDelays.forEach((stage, d) -> checkDelay("--stage-delay", stage, d));
        itemDelays.forEach((stage, d) -> checkDelay("--item-delay", stage, d));
        failRates.forEach((stage, p) -> {
            checkStage("--fail-rate", stage);
            if (p == null || !(p >= 0.0 && p <= 1.0)) {
                throw new IllegalArgumentException(
                        "--fail-rate " + stage + "=" + p + ": the probability must be between 0 and 1");
            }
        });
        failAlways.forEach(stage -> checkStage("--fail-always", stage));
        fanOut.forEach(TrialSettings::checkFanOut);
        Objects.requireNonNull(budget, "budget");
        if (budget.toMillis() < 1) {
            throw new IllegalArgumentException("--budget must be positive, got " + budget);
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("--max-attempts must be 1..100, got " + maxAttempts);
        }
        Objects.requireNonNull(lease, "lease");
        if (lease.toMillis() < 100) {
            throw new IllegalArgumentException(
                    "--lease must be at least 100ms (heartbeats renew it every third), got " + lease);
        }
        if (screenshotsPerBatch < 1 || screenshotsPerBatch > MAX_SCREENSHOTS) {
            throw new IllegalArgumentException(
                    "--screenshots must be 1.." + MAX_SCREENSHOTS + ", got " + screenshotsPerBatch);
        }
    }

    /**
     * Settings without fan-out.
     *
     * @param stageDelays extra time per invocation of a stage
     * @param itemDelays extra time per screenshot in a stage
     * @param failRates probability that an invocation of a stage fails (transient)
     * @param failAlways stages whose every invocation fails
     * @param budget time budget of one invocation
     * @param maxAttempts tries of a stage, the first one included
     * @param lease how long a claim holds without a heartbeat
     * @param screenshotsPerBatch screenshots created for a new batch
     * @param faultSeed seeds the draws of {@code --fail-rate}
     */
    public TrialSettings(
            Map<String, Duration> stageDelays,
            Map<String, Duration> itemDelays,
            Map<String, Double> failRates,
            Set<String> failAlways,
            Duration budget,
            int maxAttempts,
            Duration lease,
            int screenshotsPerBatch,
            long faultSeed) {
        this(
                stageDelays,
                itemDelays,
                failRates,
                failAlways,
                budget,
                maxAttempts,
                lease,
                screenshotsPerBatch,
                faultSeed,
                Map.of());
    }

    /** @return the defaults: no faults, no delays, 50 s budget, 5 attempts, 30 s lease, 10 screenshots */
    public static TrialSettings defaults() {
        return new TrialSettings(
                Map.of(),
                Map.of(),
                Map.of(),
                Set.of(),
                DEFAULT_BUDGET,
                DEFAULT_MAX_ATTEMPTS,
                DEFAULT_LEASE,
                DEFAULT_SCREENSHOTS,
                0L,
                Map.of());
    }

    /**
     * @param shards the shards per stage, as {@code --fan-out} gives them
     * @return a copy with that fan-out
     * @throws IllegalArgumentException naming the flag on a stage that cannot fan out or a count out of range
     */
    public TrialSettings withFanOut(Map<String, Integer> shards) {
        return new TrialSettings(
                stageDelays,
                itemDelays,
                failRates,
                failAlways,
                budget,
                maxAttempts,
                lease,
                screenshotsPerBatch,
                faultSeed,
                shards);
    }

    /**
     * @param stage a stage
     * @return how many shards it fans out into; 1 (unsharded) when {@code --fan-out} does not name it
     */
    public int shards(String stage) {
        return fanOut.getOrDefault(stage, 1);
    }

    /**
     * @param stage a stage
     * @return the extra time per screenshot in that stage, zero when none
     */
    public Duration itemDelay(String stage) {
        return itemDelays.getOrDefault(stage, Duration.ZERO);
    }

    /** @return {@code true} when any fault or delay is configured */
    public boolean injectsFaults() {
        return !stageDelays.isEmpty() || !failRates.isEmpty() || !failAlways.isEmpty();
    }

    private static void checkDelay(String flag, String stage, Duration d) {
        checkStage(flag, stage);
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(flag + " " + stage + "=" + d + ": the duration must not be negative");
        }
    }

    private static void checkFanOut(String stage, Integer shards) {
        checkStage("--fan-out", stage);
        if (!StageNames.FAN_OUT.contains(stage)) {
            throw new IllegalArgumentException("--fan-out " + stage + "=" + shards + ": " + cannotFanOut(stage));
        }
        if (shards == null || shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("--fan-out " + stage + "=" + shards + ": the shard count must be 1.."
                    + MAX_SHARDS + " (1 runs the stage unsharded)");
        }
    }

    /**
     * @param stage a stage that is not in {@link StageNames#FAN_OUT}
     * @return why it cannot fan out and which stages can
     */
    public static String cannotFanOut(String stage) {
        return "stage " + stage + " cannot fan out (it works on the batch as a whole); the stages that can are "
                + String.join(", ", StageNames.FAN_OUT);
    }

    private static void checkStage(String flag, String stage) {
        if (!StageNames.ALL.contains(stage)) {
            throw new IllegalArgumentException(
                    flag + ": unknown stage '" + stage + "'; the stages are " + StageNames.ALL);
        }
    }
}
