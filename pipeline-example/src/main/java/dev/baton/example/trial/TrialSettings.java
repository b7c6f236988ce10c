package dev.baton.example.trial;

import dev.baton.example.stages.StageNames;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The knobs of a trial run, from the command line's {@code --stage-delay}, {@code --item-delay},
 * {@code --fail-rate}, {@code --fail-always}, {@code --budget}, {@code --max-attempts},
 * {@code --lease} and {@code --screenshots}. Immutable; every value is checked when it is built.
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
        long faultSeed) {

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

    /**
     * @throws IllegalArgumentException naming the setting and the accepted values, on any bad value
     */
    public TrialSettings {
        stageDelays = Map.copyOf(stageDelays);
        itemDelays = Map.copyOf(itemDelays);
        failRates = Map.copyOf(failRates);
        failAlways = Set.copyOf(failAlways);
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
                0L);
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

    private static void checkStage(String flag, String stage) {
        if (!StageNames.ALL.contains(stage)) {
            throw new IllegalArgumentException(
                    flag + ": unknown stage '" + stage + "'; the stages are " + StageNames.ALL);
        }
    }
}
