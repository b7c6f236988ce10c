package dev.baton.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.pipeline.internal.DefaultStageContext;
import dev.baton.pipeline.internal.Json;
import dev.baton.pipeline.internal.Listeners;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.StageStore.ShardCommit;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The fan-out half of {@link PipelineRunner} (docs/architecture.md, "Fan-out"): splits a claimed {@link FanOut}
 * stage into shards, and runs one shard invocation: claim, execute over its items within the budget, commit (the
 * last shard's commit joins the stage and advances the batch), trigger what comes next. Thread-safe.
 */
final class ShardRunner {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);

    private final Pipeline pipeline;
    private final StageStore store;
    private final Trigger trigger;
    private final Listeners listeners;
    private final Clock clock;
    private final String owner;
    private final Json json;
    private final ScheduledExecutorService heartbeats;
    private final StageInterceptor interceptor;

    ShardRunner(
            Pipeline pipeline,
            StageStore store,
            Trigger trigger,
            Listeners listeners,
            Clock clock,
            String owner,
            Json json,
            ScheduledExecutorService heartbeats,
            StageInterceptor interceptor) {
        this.interceptor = interceptor;
        this.pipeline = pipeline;
        this.store = store;
        this.trigger = trigger;
        this.listeners = listeners;
        this.clock = clock;
        this.owner = owner;
        this.json = json;
        this.heartbeats = heartbeats;
    }

    /**
     * Commits the fan-out of a claimed stage and triggers its first shards.
     *
     * @return the outcome, or null when the claim was lost (the caller reports it)
     */
    StageOutcome fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        Optional<List<ShardRecord>> pending = store.fanOut(claim, plan, stats);
        if (pending.isEmpty()) {
            return null;
        }
        LOG.info(
                "batch {} stage {}: fanned out {} items into {} shards, {} at once",
                claim.batchId(),
                claim.stage(),
                plan.items(),
                plan.shards(),
                plan.parallelism());
        for (ShardRecord shard : pending.get()) {
            fire(shard, Duration.ZERO);
        }
        return new StageOutcome(
                StageOutcome.Kind.FANNED_OUT,
                claim.batchId(),
                claim.stage(),
                claim.attempt(),
                plan.shards() + " shards of " + plan.items() + " items");
    }

    StageOutcome run(long batchId, String stage, int shard, Instant hostDeadline) {
        Pipeline.StageSpec spec = pipeline.stage(stage);
        if (shard < 0) {
            throw new IllegalArgumentException(
                    "batch " + batchId + " stage " + stage + ": shard must be 0 or more, got " + shard);
        }
        Optional<ShardRecord> claimed = store.claimShard(batchId, stage, shard, owner, pipeline.lease());
        if (claimed.isEmpty()) {
            String why = "batch " + batchId + " stage " + stage + " shard " + shard
                    + " is not claimable (not pending and due, already running or finished, or the batch is not"
                    + " fanned out at that stage)";
            LOG.debug("not claimed: {}", why);
            return new StageOutcome(StageOutcome.Kind.NOT_CLAIMED, batchId, stage, 0, why);
        }
        return runClaimed(spec, claimed.get(), hostDeadline);
    }

    StageOutcome runClaimed(Pipeline.StageSpec spec, ShardRecord claim, Instant hostDeadline) {
        MDC.put("batchId", Long.toString(claim.batchId()));
        MDC.put("stage", spec.name());
        MDC.put("shard", Integer.toString(claim.shard()));
        MDC.put("attempt", Integer.toString(claim.attempt()));
        try {
            return intercepted(spec, claim, hostDeadline);
        } finally {
            MDC.remove("batchId");
            MDC.remove("stage");
            MDC.remove("shard");
            MDC.remove("attempt");
        }
    }

    /** Runs {@link #execute} inside the interceptor (a span per shard invocation), which must call it once. */
    private StageOutcome intercepted(Pipeline.StageSpec spec, ShardRecord claim, Instant hostDeadline) {
        if (interceptor == StageInterceptor.NONE) {
            return execute(spec, claim, hostDeadline);
        }
        StageOutcome[] ran = new StageOutcome[1];
        StageInterceptor.Invocation invocation =
                new StageInterceptor.Invocation(claim.batchId(), spec.name(), claim.attempt(), claim.traceContext());
        StageOutcome outcome = interceptor.aroundStage(invocation, () -> {
            if (ran[0] != null) {
                throw new IllegalStateException(claim.describe() + ": the interceptor ran the invocation twice");
            }
            ran[0] = execute(spec, claim, hostDeadline);
            return ran[0];
        });
        if (ran[0] == null || outcome != ran[0]) {
            throw new IllegalStateException(claim.describe() + ": interceptor "
                    + interceptor.getClass().getName() + " must run the invocation once and return its outcome");
        }
        return outcome;
    }

    private StageOutcome execute(Pipeline.StageSpec spec, ShardRecord claim, Instant hostDeadline) {
        FanOut<?> fan = spec.fanOut();
        if (fan == null) {
            return failed(
                    spec,
                    claim,
                    "stage '" + spec.name() + "' no longer fans out in this pipeline, but the batch"
                            + " was fanned out there; restart the batch from '" + spec.name() + "'",
                    false,
                    null);
        }
        listeners.stageStarted(claim.batchId(), spec.name(), claim.attempt());
        Instant started = clock.instant();
        Instant budgetEnd = started.plus(spec.budget());
        Instant deadline = hostDeadline != null && hostDeadline.isBefore(budgetEnd) ? hostDeadline : budgetEnd;
        DefaultStageContext context =
                new DefaultStageContext(pipeline, store, json, asClaim(claim), deadline, clock, claim.dataKey());
        ScheduledFuture<?> heartbeat = scheduleHeartbeat(claim);
        try {
            StageResult result;
            try {
                List<?> items = fan.items(context);
                if (items.size() != claim.items()) {
                    return failed(
                            spec,
                            claim,
                            "the item source returned " + items.size() + " items, but the stage was fanned out over "
                                    + claim.items() + "; it must return the same list on every call: restart the"
                                    + " batch from '" + spec.name() + "'",
                            false,
                            null);
                }
                result = Objects.requireNonNull(
                        fan.runItems(context, items.subList(claim.fromItem(), claim.toItem())),
                        "stage '" + spec.name() + "' returned null for a shard; return StageResult.done(list)");
            } catch (Exception | LinkageError | AssertionError e) {
                return failed(spec, claim, PipelineRunner.describe(e), true, e);
            }
            if (result instanceof StageResult.Fail fail) {
                return failed(spec, claim, fail.reason(), false, null);
            }
            if (result instanceof StageResult.Progress cont) {
                return reschedule(spec, claim, cont.cursor(), cont.partialOutput(), null, Duration.ZERO);
            }
            if (result instanceof StageResult.RetryFrom retry) {
                return retryFrom(spec, claim, retry);
            }
            return complete(spec, claim, ((StageResult.Done) result).output(), started);
        } finally {
            heartbeat.cancel(false);
        }
    }

    /** A shard's claim as a batch's, for its context: the shard's attempt and cursor, the batch's input. */
    private static BatchRecord asClaim(ShardRecord s) {
        return new BatchRecord(
                s.batchId(),
                s.stage(),
                BatchState.IN_PROGRESS,
                s.attempt(),
                s.error(),
                s.version(),
                s.leaseOwner(),
                s.leaseUntil(),
                s.runAfter(),
                s.cursor(),
                Map.of(),
                null,
                null,
                s.hasInput(),
                s.traceContext());
    }

    private StageOutcome complete(Pipeline.StageSpec spec, ShardRecord claim, Object output, Instant started) {
        String next = pipeline.next(spec.name());
        ShardCommit commit;
        try {
            commit = store.completeShard(claim, json.source(output), next);
        } catch (UnstorableValueException e) {
            StageValueException why = json.writeFailure(output, claim.batchId(), spec.name(), "output", e);
            return failed(spec, claim, why.getMessage(), false, why);
        } catch (RuntimeException e) {
            return failed(spec, claim, "the store could not commit the output: " + PipelineRunner.describe(e), true, e);
        }
        if (!commit.committed()) {
            return lost(claim);
        }
        for (ShardRecord released : commit.released()) {
            fire(released, Duration.ZERO);
        }
        Duration took = Duration.between(started, clock.instant());
        if (!commit.joined()) {
            return new StageOutcome(
                    StageOutcome.Kind.SHARD_DONE,
                    claim.batchId(),
                    spec.name(),
                    claim.attempt(),
                    "shard " + claim.shard() + " of " + claim.shards() + " committed");
        }
        LOG.info(
                "batch {} stage {}: the last of {} shards joined the stage",
                claim.batchId(),
                spec.name(),
                claim.shards());
        listeners.stageSucceeded(claim.batchId(), spec.name(), claim.attempt(), took);
        if (Pipeline.COMPLETED.equals(next)) {
            listeners.batchCompleted(claim.batchId());
            return new StageOutcome(
                    StageOutcome.Kind.COMPLETED, claim.batchId(), spec.name(), claim.attempt(), Pipeline.COMPLETED);
        }
        try {
            trigger.fire(claim.batchId(), next, claim.traceContext());
        } catch (RuntimeException e) {
            LOG.warn(
                    "batch {} stage {}: trigger failed ({}); the sweeper will fire it again",
                    claim.batchId(),
                    next,
                    e.toString());
        }
        return new StageOutcome(StageOutcome.Kind.ADVANCED, claim.batchId(), spec.name(), claim.attempt(), next);
    }

    /**
     * Commits a shard's continuation (error null) or its progress before a retry, then triggers it again. One that
     * moved the cursor starts its count of tries again, as a sliced stage does.
     */
    private StageOutcome reschedule(
            Pipeline.StageSpec spec,
            ShardRecord claim,
            Object cursorValue,
            Object partial,
            String error,
            Duration backoff) {
        String cursor;
        try {
            cursor = json.write(cursorValue, claim.batchId(), spec.name(), "cursor");
        } catch (StageValueException e) {
            return failed(spec, claim, e.getMessage(), false, e);
        }
        boolean moved = !sameCursor(claim, cursor);
        int attempt = error != null ? 2 : (moved ? 1 : claim.attempt());
        if (error != null && !moved) {
            return failed(spec, claim, error, true, null);
        }
        boolean saved;
        try {
            saved = store.saveShardProgress(claim, cursor, json.source(partial), attempt, error, backoff);
        } catch (UnstorableValueException e) {
            StageValueException why = json.writeFailure(partial, claim.batchId(), spec.name(), "partial output", e);
            return failed(spec, claim, why.getMessage(), false, why);
        } catch (RuntimeException e) {
            return failed(
                    spec,
                    claim,
                    "the store could not commit the partial output: " + PipelineRunner.describe(e),
                    true,
                    e);
        }
        if (!saved) {
            return lost(claim);
        }
        fire(claim, backoff);
        return new StageOutcome(
                error == null ? StageOutcome.Kind.PROGRESSED : StageOutcome.Kind.RETRYING,
                claim.batchId(),
                spec.name(),
                claim.attempt(),
                error == null ? "shard " + claim.shard() + " continues" : error);
    }

    private StageOutcome retryFrom(Pipeline.StageSpec spec, ShardRecord claim, StageResult.RetryFrom retry) {
        RetryPolicy policy = spec.retry();
        if (!policy.allowsRetryAfter(1)) {
            return failed(spec, claim, retry.error(), true, retry.cause());
        }
        listeners.stageFailed(claim.batchId(), spec.name(), claim.attempt(), retry.error());
        return reschedule(spec, claim, retry.cursor(), retry.partialOutput(), retry.error(), policy.backoffAfter(1));
    }

    private boolean sameCursor(ShardRecord claim, String cursor) {
        if (claim.cursor() == null) {
            return false;
        }
        JsonNode was = json.read(claim.cursor(), JsonNode.class, claim.batchId(), claim.stage(), "cursor");
        return was.equals(json.read(cursor, JsonNode.class, claim.batchId(), claim.stage(), "cursor"));
    }

    /** A failed shard invocation: retried alone under the stage's policy, or the batch fails with it. */
    private StageOutcome failed(
            Pipeline.StageSpec spec, ShardRecord claim, String error, boolean retryable, Throwable cause) {
        long batchId = claim.batchId();
        String stage = spec.name();
        int attempt = claim.attempt();
        RetryPolicy retry = spec.retry();
        String shardError = "shard " + claim.shard() + " of " + claim.shards() + ": " + error;
        try {
            if (retryable && retry.allowsRetryAfter(attempt)) {
                LOG.warn(
                        "{} attempt {} of {} failed: {}", claim.describe(), attempt, retry.maxAttempts(), error, cause);
                Duration backoff = retry.backoffAfter(attempt);
                if (!store.retryShard(claim, shardError, backoff)) {
                    return lost(claim);
                }
                listeners.stageFailed(batchId, stage, attempt, shardError);
                listeners.stageRetried(batchId, stage, attempt + 1, backoff);
                fire(claim, backoff);
                return new StageOutcome(StageOutcome.Kind.RETRYING, batchId, stage, attempt, shardError);
            }
            String stored = retryable && retry.maxAttempts() > 1
                    ? shardError + " (gave up after " + attempt + " attempts)"
                    : shardError;
            LOG.error("batch {} failed at stage {}: {}", batchId, stage, stored, cause);
            if (!store.failShard(claim, stored)) {
                return lost(claim);
            }
            listeners.stageFailed(batchId, stage, attempt, stored);
            listeners.batchFailed(batchId, stage, stored);
            return new StageOutcome(StageOutcome.Kind.FAILED, batchId, stage, attempt, stored);
        } catch (RuntimeException e) {
            if (cause != null && e != cause) {
                e.addSuppressed(cause);
            }
            throw e;
        }
    }

    private StageOutcome lost(ShardRecord claim) {
        LOG.warn(
                "{} attempt {}: the claim was taken over (lease rescued, batch cancelled, failed by another shard or"
                        + " restarted); its result was discarded",
                claim.describe(),
                claim.attempt());
        return new StageOutcome(
                StageOutcome.Kind.LOST,
                claim.batchId(),
                claim.stage(),
                claim.attempt(),
                "shard " + claim.shard() + ": claim lost before commit; nothing was written");
    }

    void fire(ShardRecord shard, Duration delay) {
        try {
            trigger.fireShard(shard.batchId(), shard.stage(), shard.shard(), delay, shard.traceContext());
        } catch (RuntimeException e) {
            LOG.warn("{}: trigger failed ({}); the sweeper will fire it again", shard.describe(), e.toString());
        }
    }

    private ScheduledFuture<?> scheduleHeartbeat(ShardRecord claim) {
        long every = Math.max(10, pipeline.lease().toMillis() / 3);
        ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        Runnable beat = () -> {
            try {
                if (!store.heartbeatShard(claim, pipeline.lease())) {
                    LOG.warn("{}: lease lost while running; the result will be discarded", claim.describe());
                    if (self[0] != null) {
                        self[0].cancel(false);
                    }
                }
            } catch (Exception | LinkageError | AssertionError e) {
                LOG.warn("{}: heartbeat failed, will try again: {}", claim.describe(), e.toString());
            }
        };
        self[0] = heartbeats.scheduleWithFixedDelay(beat, every, every, TimeUnit.MILLISECONDS);
        return self[0];
    }
}
