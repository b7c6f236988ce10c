package dev.baton.example.stages;

import java.time.Duration;
import java.util.Objects;

/**
 * How a per-screenshot stage divides its work.
 *
 * @param concurrency screenshots processed at once, 1 to 256
 * @param budget the stage's time budget per invocation
 * @param itemDelay extra time per screenshot ({@code --item-delay}), zero for none
 */
public record StageTuning(int concurrency, Duration budget, Duration itemDelay) {

    /** @throws IllegalArgumentException on a value out of range */
    public StageTuning {
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("concurrency must be 1..256, got " + concurrency);
        }
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(itemDelay, "itemDelay");
        if (itemDelay.isNegative()) {
            throw new IllegalArgumentException("itemDelay must not be negative, got " + itemDelay);
        }
    }

    /** @return one screenshot at a time, a 50 s budget, no delay */
    public static StageTuning sequential() {
        return new StageTuning(1, Duration.ofSeconds(50), Duration.ZERO);
    }
}
