package dev.baton.pipeline.testkit;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;

class InMemoryStageStoreTest extends StageStoreContract {
    private final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    private InMemoryStageStore memory;

    @Override
    protected StageStore newStore() {
        memory = new InMemoryStageStore(clock);
        return memory;
    }

    @Override
    protected void expireLease(long batchId) {
        memory.rewrite(
                batchId,
                r -> new BatchRecord(
                        r.batchId(),
                        r.stage(),
                        r.state(),
                        r.attempt(),
                        r.error(),
                        r.version(),
                        r.leaseOwner(),
                        clock.instant().minusSeconds(1),
                        r.runAfter(),
                        r.cursor(),
                        r.stageStats(),
                        r.createdAt(),
                        r.updatedAt(),
                        r.hasInput()));
    }

    @Override
    protected void makeDue(long batchId) {
        memory.rewrite(
                batchId,
                r -> new BatchRecord(
                        r.batchId(),
                        r.stage(),
                        r.state(),
                        r.attempt(),
                        r.error(),
                        r.version(),
                        r.leaseOwner(),
                        r.leaseUntil(),
                        clock.instant(),
                        r.cursor(),
                        r.stageStats(),
                        r.createdAt(),
                        r.updatedAt(),
                        r.hasInput()));
    }

    @Override
    protected void ageBy(long batchId, Duration age) {
        memory.rewrite(
                batchId,
                r -> new BatchRecord(
                        r.batchId(),
                        r.stage(),
                        r.state(),
                        r.attempt(),
                        r.error(),
                        r.version(),
                        r.leaseOwner(),
                        r.leaseUntil(),
                        r.runAfter().minus(age),
                        r.cursor(),
                        r.stageStats(),
                        r.createdAt(),
                        r.updatedAt().minus(age),
                        r.hasInput()));
    }

    @Override
    protected void letTimePass(Duration step) {
        clock.advance(step);
    }
}
