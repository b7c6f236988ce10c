package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.StageStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code baton} component of {@code /actuator/health}: UP with the number of batches in each state; DOWN when
 * the store cannot read its tables (the database is unreachable, or Baton's tables or columns are missing: the
 * detail says which and how to migrate) or when this process's sweeper has not completed a pass for three
 * intervals.
 */
public class BatonHealthIndicator implements HealthIndicator {
    private final StageStore store;
    private final BatonSweeper sweeper;
    private final Clock clock;

    /**
     * @param store the store to read
     * @param sweeper this process's sweeper, or {@code null} when it runs none
     * @param clock the clock the sweeper's passes are judged by
     */
    public BatonHealthIndicator(StageStore store, BatonSweeper sweeper, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.sweeper = sweeper;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Health health() {
        Map<BatchState, Long> counts;
        try {
            counts = store.countByState();
        } catch (RuntimeException e) {
            return Health.down()
                    .withDetail("error", String.valueOf(e.getMessage()))
                    .build();
        }
        Map<String, Long> batches = new TreeMap<>();
        counts.forEach((state, n) -> batches.put(state.name().toLowerCase(java.util.Locale.ROOT), n));
        Health.Builder health = Health.up().withDetail("batches", batches);
        if (sweeper != null) {
            sweeper.lastCompletedPass().ifPresent(at -> health.withDetail("lastSweep", at.toString()));
            Instant now = clock.instant();
            if (sweeper.isStuck(now)) {
                health.down()
                        .withDetail(
                                "error",
                                "the sweeper has not completed a pass for " + BatonSweeper.STUCK_AFTER_INTERVALS
                                        + " intervals of " + sweeper.interval()
                                        + sweeper.lastFailure()
                                                .map(f -> "; the last one failed: " + f)
                                                .orElse(""));
            }
        }
        return health.build();
    }
}
