package dev.baton.pipeline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the testkit's {@code StageStoreContract} cannot reach through the SPI alone: the in-memory store's fan-out
 * again over existing shards, and the crashing store wrapped around a fan-out.
 */
class FanOutTestStoresTest {
    static final Duration LEASE = Duration.ofMinutes(5);
    static final StageStats STATS = new StageStats(1, 1, 0, Instant.parse("2026-03-01T09:00:00Z"), null);

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore(clock);

    /** Makes the failed batch pending at its stage again without a reset, which would delete its shards. */
    private BatchRecord pendingAgain(long batchId) {
        memory.rewrite(
                batchId,
                r -> new BatchRecord(
                        r.batchId(),
                        r.stage(),
                        BatchState.PENDING,
                        1,
                        null,
                        r.version() + 1,
                        null,
                        null,
                        clock.instant(),
                        r.cursor(),
                        r.stageStats(),
                        r.createdAt(),
                        clock.instant(),
                        r.hasInput()));
        return memory.claim(batchId, "x", "worker", LEASE).orElseThrow();
    }

    private ShardRecord claimShard(StageStore store, int shard) {
        return store.claimShard(1, "x", shard, "shard-worker", LEASE).orElseThrow();
    }

    @Test
    void a_fan_out_again_replaces_the_shards_and_their_outputs() {
        memory.create(1, "x");
        memory.fanOut(memory.claim(1, "x", "worker", LEASE).orElseThrow(), new ShardPlan(8, 4, 4), STATS)
                .orElseThrow();
        memory.completeShard(claimShard(memory, 3), JsonSource.ofText("[3]"), Pipeline.COMPLETED);
        memory.failShard(claimShard(memory, 0), "boom");

        List<ShardRecord> due =
                memory.fanOut(pendingAgain(1), new ShardPlan(8, 2, 2), STATS).orElseThrow();

        assertThat(due).extracting(ShardRecord::shard).containsExactly(0, 1);
        assertThat(memory.shards(1, "x")).hasSize(2).allMatch(s -> s.state() == ShardState.PENDING);
        assertThat(memory.readOutput(1, ShardRecord.dataKey("x", 3))).isEmpty();
        assertThat(memory.outputCount()).isZero();
    }

    @Test
    void a_crashing_store_crashes_a_shard_commit_and_the_dead_shard_claim_writes_nothing_more() {
        StageStore store = Faults.crashBeforeCommit(memory, "x", 1);
        store.create(1, "x");
        store.fanOut(store.claim(1, "x", "worker", Duration.ofSeconds(10)).orElseThrow(), new ShardPlan(2, 2, 2), STATS)
                .orElseThrow();
        ShardRecord dead = store.claimShard(1, "x", 0, "shard-worker", Duration.ofSeconds(10))
                .orElseThrow();

        assertThatThrownBy(() -> store.completeShard(dead, JsonSource.ofText("[0]"), Pipeline.COMPLETED))
                .isInstanceOf(Faults.SimulatedCrash.class)
                .hasMessageContaining("batch 1 stage x shard 0 of 2");
        assertThatThrownBy(() -> store.heartbeatShard(dead, LEASE)).isInstanceOf(Faults.SimulatedCrash.class);
        assertThatThrownBy(() -> store.retryShard(dead, "late", Duration.ZERO))
                .isInstanceOf(Faults.SimulatedCrash.class);
        assertThatThrownBy(() -> store.failShard(dead, "late")).isInstanceOf(Faults.SimulatedCrash.class);
        assertThat(store.readOutput(1, ShardRecord.dataKey("x", 0))).isEmpty();
        assertThat(store.shards(1, "x").get(0).state()).isEqualTo(ShardState.IN_PROGRESS);

        assertThat(store.completeShard(claimShard(store, 1), JsonSource.ofText("[1]"), Pipeline.COMPLETED)
                        .committed())
                .as("the crash was used up")
                .isTrue();
        clock.advance(Duration.ofSeconds(11));
        List<ShardRecord> stalled = store.findStalledShards(Duration.ofMinutes(1), 10);
        assertThat(stalled).extracting(ShardRecord::shard).containsExactly(0);
        assertThat(store.rescueShard(stalled.get(0), "lease expired", false)
                        .orElseThrow()
                        .attempt())
                .isEqualTo(2);
        assertThat(store.completeShard(claimShard(store, 0), JsonSource.ofText("[0]"), Pipeline.COMPLETED)
                        .joined())
                .isTrue();
        assertThat(store.readOutput(1, "x")).contains("[0,1]");
    }
}
