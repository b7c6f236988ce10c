package dev.baton.pipeline;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;

/**
 * How often a failing stage is tried and how long to wait between tries: exponential backoff with
 * jitter, computed by resilience4j's {@link IntervalFunction}. Immutable and thread-safe.
 *
 * <p>Attempts and the time of the next try ({@code run_after}) are stored with the batch, so a
 * retry survives a restart of the process.
 */
public final class RetryPolicy {

    /** Default tries of a stage, the first one included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Default wait before the second try. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Default growth of the wait per try. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Default jitter: the wait is drawn from ±50 % of the exponential value. */
    public static final double DEFAULT_JITTER = 0.5;
    /** Default longest wait between two tries. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double multiplier;
    private final double jitter;
    private final Duration maxBackoff;
    private final IntervalFunction intervals;

    private RetryPolicy(
            int maxAttempts, Duration initialBackoff, double multiplier, double jitter, Duration maxBackoff) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1 (the first try), got " + maxAttempts);
        }
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff must not be negative, got " + initialBackoff);
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("multiplier must be at least 1.0, got " + multiplier);
        }
        if (jitter < 0.0 || jitter >= 1.0) {
            throw new IllegalArgumentException("jitter must be in [0, 1), got " + jitter);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff (" + maxBackoff + ") must not be below initialBackoff (" + initialBackoff + ")");
        }
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.maxBackoff = maxBackoff;
        long initialMillis = Math.max(1, initialBackoff.toMillis());
        this.intervals = jitter == 0.0
                ? IntervalFunction.ofExponentialBackoff(
                        initialMillis, multiplier, Math.max(initialMillis, maxBackoff.toMillis()))
                : IntervalFunction.ofExponentialRandomBackoff(
                        initialMillis, multiplier, jitter, Math.max(initialMillis, maxBackoff.toMillis()));
    }

    /** @return the default policy: 3 tries, 1 s doubling with ±50 % jitter, at most 5 min apart */
    public static RetryPolicy defaults() {
        return new RetryPolicy(
                DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF, DEFAULT_MULTIPLIER, DEFAULT_JITTER, DEFAULT_MAX_BACKOFF);
    }

    /** @return a policy that fails the batch on the first error */
    public static RetryPolicy none() {
        return new RetryPolicy(1, DEFAULT_INITIAL_BACKOFF, DEFAULT_MULTIPLIER, DEFAULT_JITTER, DEFAULT_MAX_BACKOFF);
    }

    /**
     * @param maxAttempts tries of a stage, the first one included; at least 1
     * @param initialBackoff wait before the second try; not negative
     * @return an exponential policy with the default multiplier, jitter and cap
     * @throws IllegalArgumentException on a value out of range
     */
    public static RetryPolicy exponential(int maxAttempts, Duration initialBackoff) {
        return new RetryPolicy(
                maxAttempts,
                initialBackoff,
                DEFAULT_MULTIPLIER,
                DEFAULT_JITTER,
                DEFAULT_MAX_BACKOFF.compareTo(initialBackoff) < 0 ? initialBackoff : DEFAULT_MAX_BACKOFF);
    }

    /**
     * @param multiplier growth of the wait per try, at least 1.0
     * @return a copy with that multiplier
     * @throws IllegalArgumentException on a value out of range
     */
    public RetryPolicy withMultiplier(double multiplier) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, jitter, maxBackoff);
    }

    /**
     * @param jitter in [0, 1): the wait is drawn uniformly from {@code value × (1 ± jitter)}
     * @return a copy with that jitter
     * @throws IllegalArgumentException on a value out of range
     */
    public RetryPolicy withJitter(double jitter) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, jitter, maxBackoff);
    }

    /**
     * @param maxBackoff the longest wait, not below the initial backoff
     * @return a copy with that cap
     * @throws IllegalArgumentException on a value out of range
     */
    public RetryPolicy withMaxBackoff(Duration maxBackoff) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, jitter, maxBackoff);
    }

    /** @return tries of a stage, the first one included */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the wait before the second try */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * @param failedAttempt the attempt that just failed, starting at 1
     * @return {@code true} when another try is allowed
     */
    public boolean allowsRetryAfter(int failedAttempt) {
        return failedAttempt < maxAttempts;
    }

    /**
     * @param failedAttempt the attempt that just failed, starting at 1
     * @return how long to wait before the next try
     */
    public Duration backoffAfter(int failedAttempt) {
        if (initialBackoff.isZero()) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(intervals.apply(Math.max(1, failedAttempt)));
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", multiplier="
                + multiplier + ", jitter=" + jitter + ", maxBackoff=" + maxBackoff + "]";
    }
}
