package dev.baton.pipeline.testing;

import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** See {@link Faults#crashBeforeCommit}. */
final class CrashingStageStore implements StageStore {
    private final StageStore delegate;
    private final String stage;
    private final AtomicInteger crashesLeft;
    /** Claims whose process "died": it writes nothing more for them, as a dead process would not. */
    private final Set<BatchRecord> dead = ConcurrentHashMap.newKeySet();
    /** Shard claims whose process "died", likewise. */
    private final Set<ShardRecord> deadShards = ConcurrentHashMap.newKeySet();

    CrashingStageStore(StageStore delegate, String stage, int times) {
        this.delegate = delegate;
        this.stage = stage;
        this.crashesLeft = new AtomicInteger(times);
    }

    private void maybeCrash(BatchRecord claim) {
        if (claim.stage().equals(stage) && crashesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            dead.add(claim);
            throw crashed(claim);
        }
    }

    private void requireAlive(BatchRecord claim) {
        if (dead.contains(claim)) {
            throw crashed(claim);
        }
    }

    /** A shard's commit of its work is a commit of its stage: the crashes count shards' commits too. */
    private void maybeCrash(ShardRecord claim) {
        if (claim.stage().equals(stage) && crashesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            deadShards.add(claim);
            throw crashed(claim);
        }
    }

    private void requireAlive(ShardRecord claim) {
        if (deadShards.contains(claim)) {
            throw crashed(claim);
        }
    }

    private Faults.SimulatedCrash crashed(ShardRecord claim) {
        return new Faults.SimulatedCrash("simulated crash of " + claim.describe() + " before commit");
    }

    private Faults.SimulatedCrash crashed(BatchRecord claim) {
        return new Faults.SimulatedCrash(
                "simulated crash of batch " + claim.batchId() + " stage " + stage + " before commit");
    }

    @Override
    public boolean advance(BatchRecord claim, JsonSource output, String nextStage, StageStats stats) {
        maybeCrash(claim);
        return delegate.advance(claim, output, nextStage, stats);
    }

    @Override
    public boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats) {
        maybeCrash(claim);
        return delegate.saveProgress(claim, cursor, partialOutput, stats);
    }

    @Override
    public boolean saveProgressAndRetry(
            BatchRecord claim,
            String cursor,
            JsonSource partialOutput,
            int nextAttempt,
            String error,
            Duration backoff,
            StageStats stats) {
        maybeCrash(claim);
        return delegate.saveProgressAndRetry(claim, cursor, partialOutput, nextAttempt, error, backoff, stats);
    }

    @Override
    public Created create(long batchId, String firstStage, JsonSource input, Duration startAfter, String traceContext) {
        return delegate.create(batchId, firstStage, input, startAfter, traceContext);
    }

    @Override
    public Optional<BatchRecord> find(long batchId) {
        return delegate.find(batchId);
    }

    @Override
    public Optional<BatchRecord> claim(long batchId, String stage, String owner, Duration lease) {
        return delegate.claim(batchId, stage, owner, lease);
    }

    @Override
    public boolean heartbeat(BatchRecord claim, Duration lease) {
        requireAlive(claim);
        return delegate.heartbeat(claim, lease);
    }

    @Override
    public <T> Optional<T> readOutput(long batchId, String stage, JsonReader<T> reader) {
        return delegate.readOutput(batchId, stage, reader);
    }

    @Override
    public <T> Optional<T> readInput(long batchId, JsonReader<T> reader) {
        return delegate.readInput(batchId, reader);
    }

    @Override
    public boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats) {
        requireAlive(claim);
        return delegate.scheduleRetry(claim, error, backoff, stats);
    }

    @Override
    public boolean fail(BatchRecord claim, String error, StageStats stats) {
        requireAlive(claim);
        return delegate.fail(claim, error, stats);
    }

    @Override
    public List<BatchRecord> findStalled(Duration pendingGrace, int limit) {
        return delegate.findStalled(pendingGrace, limit);
    }

    @Override
    public List<BatchRecord> findStalled(Duration pendingGrace, int limit, Set<String> stages) {
        return delegate.findStalled(pendingGrace, limit, stages);
    }

    @Override
    public Map<String, Long> countActiveOutside(Set<String> stages) {
        return delegate.countActiveOutside(stages);
    }

    @Override
    public Optional<BatchRecord> rescue(BatchRecord stalled, String error, boolean exhausted) {
        return delegate.rescue(stalled, error, exhausted);
    }

    @Override
    public Optional<BatchRecord> cancel(long batchId) {
        return delegate.cancel(batchId);
    }

    @Override
    public Optional<BatchRecord> reset(long batchId, String stage, List<String> laterStages, long expectedVersion) {
        return delegate.reset(batchId, stage, laterStages, expectedVersion);
    }

    @Override
    public Purged purgeFinished(Duration olderThan, Set<BatchState> states, long afterBatchId, int limit) {
        return delegate.purgeFinished(olderThan, states, afterBatchId, limit);
    }

    @Override
    public List<BatchRecord> list(Set<BatchState> states, int offset, int limit) {
        return delegate.list(states, offset, limit);
    }

    @Override
    public List<BatchRecord> search(BatchQuery query, int offset, int limit) {
        return delegate.search(query, offset, limit);
    }

    @Override
    public Map<BatchState, Long> countByState() {
        return delegate.countByState();
    }

    @Override
    public void recordTriggerError(long batchId, String stage, String error) {
        delegate.recordTriggerError(batchId, stage, error);
    }

    @Override
    public Optional<List<ShardRecord>> fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        requireAlive(claim);
        return delegate.fanOut(claim, plan, stats);
    }

    @Override
    public Optional<ShardRecord> claimShard(long batchId, String stage, int shard, String owner, Duration lease) {
        return delegate.claimShard(batchId, stage, shard, owner, lease);
    }

    @Override
    public boolean heartbeatShard(ShardRecord claim, Duration lease) {
        requireAlive(claim);
        return delegate.heartbeatShard(claim, lease);
    }

    @Override
    public boolean saveShardProgress(
            ShardRecord claim, String cursor, JsonSource partialOutput, int attempt, String error, Duration backoff) {
        maybeCrash(claim);
        return delegate.saveShardProgress(claim, cursor, partialOutput, attempt, error, backoff);
    }

    @Override
    public boolean retryShard(ShardRecord claim, String error, Duration backoff) {
        requireAlive(claim);
        return delegate.retryShard(claim, error, backoff);
    }

    @Override
    public ShardCommit completeShard(ShardRecord claim, JsonSource output, String nextStage) {
        maybeCrash(claim);
        return delegate.completeShard(claim, output, nextStage);
    }

    @Override
    public boolean failShard(ShardRecord claim, String error) {
        requireAlive(claim);
        return delegate.failShard(claim, error);
    }

    @Override
    public List<ShardRecord> shards(long batchId, String stage) {
        return delegate.shards(batchId, stage);
    }

    @Override
    public List<ShardRecord> findStalledShards(Duration pendingGrace, int limit) {
        return delegate.findStalledShards(pendingGrace, limit);
    }

    @Override
    public Optional<ShardRecord> rescueShard(ShardRecord stalled, String error, boolean exhausted) {
        return delegate.rescueShard(stalled, error, exhausted);
    }
}
