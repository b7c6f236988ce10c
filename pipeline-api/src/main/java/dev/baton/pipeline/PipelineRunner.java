package dev.baton.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.internal.DefaultStageContext;
import dev.baton.pipeline.internal.Firing;
import dev.baton.pipeline.internal.Json;
import dev.baton.pipeline.internal.Listeners;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs stages: claim → load → execute within the budget → commit output and advance in one
 * transaction → trigger the next stage (docs/architecture.md, "Lifecycle"). The worker side of Baton;
 * {@link #client()} starts and steers batches, {@link #sweeper()} builds the sweeper of lost work.
 *
 * <p>Building a runner starts no thread; {@link #start()} starts the trigger's, {@link #close()} stops them.
 *
 * <p>Thread-safe: any number of threads may call {@link #runStage} at once, for the same batch or
 * different ones; the store's compare-and-set guarantees that at most one execution of a
 * (batch, stage) commits. Close it to stop heartbeats and the trigger.
 */
public final class PipelineRunner implements StageHandler, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);
    private static final int HEARTBEAT_THREADS = 4;

    private final Pipeline pipeline;
    private final StageStore store;
    private final Trigger trigger;
    private final Listeners listeners;
    private final StageInterceptor interceptor;
    private final Clock clock;
    private final String owner;
    private final Json json;
    private final ScheduledExecutorService heartbeats;
    private final BatchClient client;
    private final ShardRunner shards;
    private boolean started;
    private boolean closed;

    private PipelineRunner(Builder b) {
        this.pipeline = b.pipeline;
        this.store = b.store;
        this.trigger = b.trigger;
        this.listeners = new Listeners(b.listeners);
        this.interceptor = b.interceptor;
        this.clock = b.clock;
        this.owner = b.owner;
        this.json = new Json(b.objectMapper);
        // a few threads: a renewal that waits out the network timeout on a dead connection delays only the ones behind
        // it
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(HEARTBEAT_THREADS, r -> {
            Thread t = new Thread(r, "baton-heartbeat-" + owner);
            t.setDaemon(true);
            return t;
        });
        // every invocation schedules a heartbeat and cancels it when done: without this, cancelled ones
        // would pile up in the queue for a third of the lease each (thousands at a few thousand stages/s)
        timer.setRemoveOnCancelPolicy(true);
        this.heartbeats = timer;
        this.shards = new ShardRunner(pipeline, store, b.trigger, listeners, clock, owner, json, timer, b.interceptor);
        this.client = BatchClient.builder(pipeline, store)
                .trigger(trigger)
                .interceptor(interceptor)
                .build(json, owner, pipeline.lease());
        trigger.bind(this);
    }

    /**
     * @param pipeline the stages
     * @param store where batches live
     * @return a builder
     */
    public static Builder builder(Pipeline pipeline, StageStore store) {
        return new Builder(pipeline, store);
    }

    /** @return the pipeline this runner runs */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** @return the client of this runner's pipeline, store and trigger: start, status, retry, restart, cancel, lists */
    public BatchClient client() {
        return client;
    }

    /**
     * A sweeper of this runner's batches, which finds lost work and sets it going again through this
     * runner's trigger and listeners.
     *
     * @return a builder of the sweeper
     */
    public StallSweeper.Builder sweeper() {
        return new StallSweeper.Builder(pipeline, store, trigger, listeners);
    }

    /**
     * Starts the trigger's threads: an in-process pool, or the HTTP trigger's delivery thread and client.
     * A trigger refuses work before it, so call it once per process, a serverless handler included
     * (whose stages run on the caller's thread, through {@link #runStage}). Heartbeat threads are made
     * while a stage runs. A second call does nothing.
     *
     * @throws IllegalStateException if the runner was closed
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("this runner was closed; build a new one");
        }
        if (!started) {
            trigger.start();
            started = true;
        }
    }

    /** @return the id this runner claims leases under */
    @Override
    public String owner() {
        return owner;
    }

    /**
     * Runs one invocation of {@code stage} for {@code batchId} on the calling thread, if and only if
     * the batch is pending at that stage and due; otherwise does nothing.
     *
     * @param batchId the batch
     * @param stage the stage
     * @return what happened
     * @throws UnknownStageException if the pipeline has no such stage (nothing is changed)
     */
    @Override
    public StageOutcome runStage(long batchId, String stage) {
        return runStage(batchId, stage, null);
    }

    /**
     * Like {@link #runStage(long, String)}, with a deadline the host sets from outside: a serverless
     * platform's own limit, for one. The stage's {@link StageContext#deadline()} is then the earlier of
     * this and the stage's budget from now, so the stage slices its work to whichever ends first.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param hostDeadline the latest the stage's work may run, or {@code null} for the budget alone
     * @return what happened
     * @throws UnknownStageException if the pipeline has no such stage (nothing is changed)
     */
    public StageOutcome runStage(long batchId, String stage, Instant hostDeadline) {
        Pipeline.StageSpec spec = pipeline.stage(stage);
        Optional<BatchRecord> claimed = store.claim(batchId, stage, owner, pipeline.lease());
        if (claimed.isEmpty()) {
            return notClaimed(batchId, stage);
        }
        return runClaimed(spec, claimed.get(), hostDeadline);
    }

    /**
     * Runs a stage this runner's owner has already claimed (a worker that claims due batches in
     * bulk calls this, and a trigger given the claimed first stage of a start, see
     * {@link Trigger#reserveClaimedStart}), then, when the trigger
     * {@linkplain Trigger#continuesInline(String) continues inline}, the stages after it on the same thread.
     *
     * @param claim a row returned by {@link StageStore#claim} for {@link #owner()}
     * @return what happened to the claimed stage
     * @throws UnknownStageException if the pipeline has no such stage (nothing is changed)
     * @throws IllegalArgumentException if the claim is not held by this runner's owner
     */
    @Override
    public StageOutcome runClaimed(BatchRecord claim) {
        if (claim.state() != BatchState.IN_PROGRESS || !owner.equals(claim.leaseOwner())) {
            throw new IllegalArgumentException("batch " + claim.batchId() + " stage " + claim.stage()
                    + " is not claimed by this runner (" + owner + "); claim it with StageStore.claim first");
        }
        return runClaimed(pipeline.stage(claim.stage()), claim, null);
    }

    /**
     * Runs one invocation of a shard of a fanned-out stage ({@link FanOut}) on the calling thread, if and only if
     * the shard is pending and due and the batch is fanned out at the stage; otherwise does nothing (a duplicate or
     * late shard trigger). The last shard's commit joins the stage's output and advances the batch.
     *
     * @param shard the shard's number, from 0
     * @return what happened
     * @throws UnknownStageException if the pipeline has no such stage (nothing is changed)
     * @throws IllegalArgumentException if {@code shard} is negative
     */
    @Override
    public StageOutcome runShard(long batchId, String stage, int shard) {
        return shards.run(batchId, stage, shard, null);
    }

    /**
     * Like {@link #runShard(long, String, int)}, with a deadline the host sets from outside, as
     * {@link #runStage(long, String, Instant)} has.
     *
     * @param shard the shard's number, from 0
     * @param hostDeadline the latest the shard's work may run, or {@code null} for the budget alone
     * @return what happened
     * @throws UnknownStageException if the pipeline has no such stage (nothing is changed)
     */
    public StageOutcome runShard(long batchId, String stage, int shard, Instant hostDeadline) {
        return shards.run(batchId, stage, shard, hostDeadline);
    }

    /**
     * Runs a shard this runner's owner has already claimed (a queue worker that claims due shards in bulk calls
     * this).
     *
     * @param claim a shard returned by {@link StageStore#claimShard} (or a worker's bulk claim) for {@link #owner()}
     * @return what happened
     * @throws IllegalArgumentException if the claim is not held by this runner's owner
     */
    public StageOutcome runClaimedShard(ShardRecord claim) {
        if (claim.state() != ShardState.IN_PROGRESS || !owner.equals(claim.leaseOwner())) {
            throw new IllegalArgumentException(claim.describe() + " is not claimed by this runner (" + owner
                    + "); claim it with StageStore.claimShard first");
        }
        return shards.runClaimed(pipeline.stage(claim.stage()), claim, null);
    }

    private StageOutcome runClaimed(Pipeline.StageSpec spec, BatchRecord claim, Instant hostDeadline) {
        Step first = executeWithMdc(spec, claim, hostDeadline);
        Step step = first;
        while (step.next() != null) {
            step = executeWithMdc(pipeline.stage(step.next().stage()), step.next(), hostDeadline);
        }
        return first.outcome();
    }

    private record Step(StageOutcome outcome, BatchRecord next) {
        Step(StageOutcome outcome) {
            this(outcome, null);
        }
    }

    private Step executeWithMdc(Pipeline.StageSpec spec, BatchRecord claim, Instant hostDeadline) {
        MDC.put("batchId", Long.toString(claim.batchId()));
        MDC.put("stage", spec.name());
        MDC.put("attempt", Integer.toString(claim.attempt()));
        try {
            return intercepted(spec, claim, hostDeadline);
        } finally {
            MDC.remove("batchId");
            MDC.remove("stage");
            MDC.remove("attempt");
        }
    }

    /** Runs {@link #execute} inside the interceptor, which must call it once and return its outcome. */
    private Step intercepted(Pipeline.StageSpec spec, BatchRecord claim, Instant hostDeadline) {
        if (interceptor == StageInterceptor.NONE) {
            return execute(spec, claim, hostDeadline);
        }
        Step[] ran = new Step[1];
        StageInterceptor.Invocation invocation =
                new StageInterceptor.Invocation(claim.batchId(), spec.name(), claim.attempt(), claim.traceContext());
        StageOutcome outcome = interceptor.aroundStage(invocation, () -> {
            if (ran[0] != null) {
                throw new IllegalStateException("batch " + claim.batchId() + " stage " + spec.name()
                        + ": the interceptor ran the invocation twice");
            }
            ran[0] = execute(spec, claim, hostDeadline);
            return ran[0].outcome();
        });
        if (ran[0] == null || outcome != ran[0].outcome()) {
            throw new IllegalStateException("batch " + claim.batchId() + " stage " + spec.name() + ": interceptor "
                    + interceptor.getClass().getName() + " must run the invocation once and return its outcome");
        }
        return ran[0];
    }

    private Step execute(Pipeline.StageSpec spec, BatchRecord claim, Instant hostDeadline) {
        long batchId = claim.batchId();
        String stage = spec.name();
        int attempt = claim.attempt();
        listeners.stageStarted(batchId, stage, attempt);
        Instant started = clock.instant();
        Instant budgetEnd = started.plus(spec.budget());
        Instant deadline = hostDeadline != null && hostDeadline.isBefore(budgetEnd) ? hostDeadline : budgetEnd;
        DefaultStageContext context = new DefaultStageContext(pipeline, store, json, claim, deadline, clock);
        // the lease is kept until the commit ends: a lazily produced output may take longer than the lease to write
        ScheduledFuture<?> heartbeat = scheduleHeartbeat(claim);
        try {
            StageResult result;
            Throwable failure = null;
            ShardPlan fanOut = null;
            try {
                FanOut<?> fan = spec.fanOut();
                if (fan != null) {
                    // a stage already sliced unsharded (its cursor) finishes unsharded
                    List<?> items = fan.items(context);
                    ShardPlan plan = fan.plan(items.size());
                    if (plan.shards() > 1 && claim.cursor() == null) {
                        fanOut = plan;
                    }
                    result = fanOut != null ? null : fan.runItems(context, items);
                } else {
                    result = spec.stage().execute(context);
                }
                if (fanOut == null) {
                    Objects.requireNonNull(
                            result, "stage '" + stage + "' returned null; return StageResult.done(output) instead");
                }
            } catch (Exception | LinkageError | AssertionError e) {
                result = null;
                failure = e;
            }
            Instant finished = clock.instant();
            Duration took = Duration.between(started, finished);
            if (finished.isAfter(deadline)) {
                LOG.warn(
                        "batch {} stage {} attempt {} ran {} ms, past its budget of {} ms; slice the work with "
                                + "StageResult.progress",
                        batchId,
                        stage,
                        attempt,
                        took.toMillis(),
                        Duration.between(started, deadline).toMillis());
            }
            Attempt run = new Attempt(spec, claim, claim.statsOf(stage), started, took);
            if (failure != null) {
                return new Step(failed(run, describe(failure), true, failure));
            }
            if (fanOut != null) {
                StageOutcome fanned = shards.fanOut(claim, fanOut, run.stats(null));
                return new Step(fanned != null ? fanned : lost(claim, stage));
            }
            if (result instanceof StageResult.Fail fail) {
                return new Step(failed(run, fail.reason(), false, null));
            }
            if (result instanceof StageResult.Progress cont) {
                return new Step(commitProgress(run, cont));
            }
            if (result instanceof StageResult.RetryFrom retry) {
                return new Step(retryFrom(run, retry));
            }
            return commitOutput(run, ((StageResult.Done) result).output(), finished);
        } finally {
            heartbeat.cancel(false);
        }
    }

    /** One invocation of a claimed stage, as far as its commit needs to know. */
    private record Attempt(
            Pipeline.StageSpec spec, BatchRecord claim, StageStats before, Instant started, Duration took) {
        long batchId() {
            return claim.batchId();
        }

        String stage() {
            return spec.name();
        }

        int attempt() {
            return claim.attempt();
        }

        StageStats stats(Instant finished) {
            return before.plusInvocation(claim.attempt(), started, took.toMillis(), finished);
        }
    }

    private StageOutcome commitProgress(Attempt run, StageResult.Progress cont) {
        long batchId = run.batchId();
        String stage = run.stage();
        String cursor;
        try {
            cursor = json.write(cont.cursor(), batchId, stage, "cursor");
        } catch (StageValueException e) {
            return failed(run, e.getMessage(), false, e);
        }
        boolean saved;
        try {
            saved = saveProgress(run.claim(), cursor, json.source(cont.partialOutput()), run.stats(null));
        } catch (UnstorableValueException e) {
            return unwritable(run, cont.partialOutput(), "partial output", e);
        } catch (RuntimeException e) {
            return commitFailed(run, "partial output", e);
        }
        if (!saved) {
            return lost(run.claim(), stage);
        }
        listeners.stageProgressed(batchId, stage, run.attempt(), run.took());
        fire(run.claim(), stage);
        return new StageOutcome(StageOutcome.Kind.PROGRESSED, batchId, stage, run.attempt(), stage);
    }

    private Step commitOutput(Attempt run, Object output, Instant finished) {
        long batchId = run.batchId();
        String stage = run.stage();
        JsonSource written = json.source(output);
        String next = pipeline.next(stage);
        StageStats stats = run.stats(finished);
        StageOutcome advanced = new StageOutcome(StageOutcome.Kind.ADVANCED, batchId, stage, run.attempt(), next);
        BatchRecord nextClaim = null;
        try {
            if (!Pipeline.COMPLETED.equals(next) && trigger.continuesInline(next)) {
                Optional<BatchRecord> after =
                        store.advanceAndClaim(run.claim(), written, next, stats, pipeline.lease());
                if (after.isEmpty()) {
                    return new Step(lost(run.claim(), stage));
                }
                BatchRecord r = after.get();
                if (r.state() == BatchState.IN_PROGRESS && owner.equals(r.leaseOwner()) && next.equals(r.stage())) {
                    nextClaim = r;
                }
            } else if (!store.advance(run.claim(), written, next, stats)) {
                return new Step(lost(run.claim(), stage));
            }
        } catch (UnstorableValueException e) {
            return new Step(unwritable(run, output, "output", e));
        } catch (RuntimeException e) {
            StageOutcome failed = commitFailed(run, "output", e);
            Optional<BatchRecord> after =
                    failed.kind() == StageOutcome.Kind.LOST ? committedAfterAll(run.claim(), next) : Optional.empty();
            if (after.isEmpty()) {
                return new Step(failed);
            }
            LOG.warn(
                    "batch {} stage {} attempt {}: the reply of the commit was lost, but the commit happened; going on",
                    batchId,
                    stage,
                    run.attempt());
            BatchRecord r = after.get();
            if (r.state() == BatchState.IN_PROGRESS && owner.equals(r.leaseOwner())) {
                nextClaim = r;
            }
        }
        listeners.stageSucceeded(batchId, stage, run.attempt(), run.took());
        if (Pipeline.COMPLETED.equals(next)) {
            LOG.info("batch {} completed after stage {}", batchId, stage);
            listeners.batchCompleted(batchId);
            return new Step(
                    new StageOutcome(StageOutcome.Kind.COMPLETED, batchId, stage, run.attempt(), Pipeline.COMPLETED));
        }
        if (nextClaim != null) {
            return new Step(advanced, nextClaim);
        }
        fire(run.claim(), next);
        return new Step(advanced);
    }

    /** The store refused {@code value} as it is: the batch fails at once, since a retry would write the same. */
    private StageOutcome unwritable(Attempt run, Object value, String what, UnstorableValueException refused) {
        StageValueException why = json.writeFailure(value, run.batchId(), run.stage(), what, refused);
        return failed(run, why.getMessage(), false, why);
    }

    /**
     * The store threw while committing (the database refused the text, a connection failed): the
     * attempt fails at once with the store's own message and is retried under the stage's policy,
     * instead of waiting under a live lease for the sweeper. If the commit did happen after all (its
     * reply was lost), the retry's compare-and-set finds the row moved on and nothing more is written.
     */
    private StageOutcome commitFailed(Attempt run, String what, RuntimeException e) {
        String error = "the store could not commit the " + what + ": " + describeRoot(e);
        try {
            return failed(run, error, true, e);
        } catch (RuntimeException again) {
            if (again != e) {
                again.addSuppressed(e);
            }
            throw again;
        }
    }

    /**
     * After a commit that threw and a retry that found the claim gone: the row as this commit left it,
     * when the commit did happen (its reply was lost): at {@code next}, one version on, or claimed by
     * this runner there. Empty when someone else moved the row, or it cannot be read.
     */
    private Optional<BatchRecord> committedAfterAll(BatchRecord claim, String next) {
        try {
            return store.find(claim.batchId())
                    .filter(r -> r.stage().equals(next)
                            && (r.version() == claim.version() + 1
                                    || r.state() == BatchState.IN_PROGRESS && owner.equals(r.leaseOwner())));
        } catch (RuntimeException e) {
            LOG.warn(
                    "batch {} stage {}: cannot read the row after a failed commit ({}); the sweeper will find it",
                    claim.batchId(),
                    claim.stage(),
                    e.toString());
            return Optional.empty();
        }
    }

    private StageOutcome failed(Attempt run, String error, boolean retryable, Throwable cause) {
        Pipeline.StageSpec spec = run.spec();
        BatchRecord claim = run.claim();
        long batchId = claim.batchId();
        String stage = spec.name();
        int attempt = claim.attempt();
        RetryPolicy retry = spec.retry();
        boolean again = retryable && retry.allowsRetryAfter(attempt);
        if (again) {
            LOG.warn(
                    "batch {} stage {} attempt {} of {} failed: {}",
                    batchId,
                    stage,
                    attempt,
                    retry.maxAttempts(),
                    error,
                    cause);
            Duration backoff = retry.backoffAfter(attempt);
            if (!store.scheduleRetry(claim, error, backoff, run.stats(null))) {
                return lost(claim, stage);
            }
            listeners.stageFailed(batchId, stage, attempt, error);
            listeners.stageRetried(batchId, stage, attempt + 1, backoff);
            fireAfter(claim, stage, backoff);
            return new StageOutcome(StageOutcome.Kind.RETRYING, batchId, stage, attempt, error);
        }
        String stored =
                retryable && retry.maxAttempts() > 1 ? error + " (gave up after " + attempt + " attempts)" : error;
        LOG.error("batch {} failed at stage {} attempt {}: {}", batchId, stage, attempt, stored, cause);
        if (!store.fail(claim, stored, run.stats(clock.instant()))) {
            return lost(claim, stage);
        }
        listeners.stageFailed(batchId, stage, attempt, stored);
        listeners.batchFailed(batchId, stage, stored);
        return new StageOutcome(StageOutcome.Kind.FAILED, batchId, stage, attempt, stored);
    }

    /**
     * Commits the progress of a {@link StageResult.RetryFrom} and schedules its retry in one transaction.
     * The invocation moved the cursor, so the count of tries starts again there: the failed invocation
     * is try 1 at the new cursor and the retry is attempt 2. A cursor that did not move is an ordinary
     * failure (attempt + 1), which keeps a stage that always fails from retrying for ever.
     */
    private StageOutcome retryFrom(Attempt run, StageResult.RetryFrom retry) {
        BatchRecord claim = run.claim();
        long batchId = run.batchId();
        String stage = run.stage();
        String cursor;
        try {
            cursor = json.write(retry.cursor(), batchId, stage, "cursor");
        } catch (StageValueException e) {
            return failed(run, e.getMessage(), false, e);
        }
        RetryPolicy policy = run.spec().retry();
        if (!policy.allowsRetryAfter(1) || sameCursor(claim, cursor)) {
            return failed(run, retry.error(), true, retry.cause());
        }
        Duration backoff = policy.backoffAfter(1);
        LOG.warn(
                "batch {} stage {} attempt {} committed its progress up to cursor {}, then failed: {}; trying again "
                        + "from there in {} ms",
                batchId,
                stage,
                run.attempt(),
                cursor,
                retry.error(),
                backoff.toMillis(),
                retry.cause());
        boolean saved;
        try {
            saved = store.saveProgressAndRetry(
                    claim, cursor, json.source(retry.partialOutput()), 2, retry.error(), backoff, run.stats(null));
        } catch (UnstorableValueException e) {
            return unwritable(run, retry.partialOutput(), "partial output", e);
        } catch (RuntimeException e) {
            return commitFailed(run, "partial output", e);
        }
        if (!saved) {
            return lost(claim, stage);
        }
        listeners.stageFailed(batchId, stage, run.attempt(), retry.error());
        listeners.stageRetried(batchId, stage, 2, backoff);
        fireAfter(claim, stage, backoff);
        return new StageOutcome(StageOutcome.Kind.RETRYING, batchId, stage, run.attempt(), retry.error());
    }

    /**
     * Commits a continuation. One that moved the cursor after a failed try (attempt above 1) also
     * starts the count of tries again, at attempt 1, as {@link #retryFrom} does: the retry policy
     * limits the tries a stage may spend without progress, so a long sliced stage with a few flaky
     * steps is not failed by failures that were each overcome.
     */
    private boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats) {
        if (claim.attempt() > 1 && !sameCursor(claim, cursor)) {
            return store.saveProgressAndRetry(claim, cursor, partialOutput, 1, claim.error(), Duration.ZERO, stats);
        }
        return store.saveProgress(claim, cursor, partialOutput, stats);
    }

    /**
     * @return whether {@code cursor} is the cursor the claim started from (as JSON values: the store may reformat it)
     */
    private boolean sameCursor(BatchRecord claim, String cursor) {
        if (claim.cursor() == null) {
            return false;
        }
        JsonNode was = json.read(claim.cursor(), JsonNode.class, claim.batchId(), claim.stage(), "cursor");
        return was.equals(json.read(cursor, JsonNode.class, claim.batchId(), claim.stage(), "cursor"));
    }

    private StageOutcome lost(BatchRecord claim, String stage) {
        LOG.warn(
                "batch {} stage {} attempt {}: the claim was taken over (lease rescued, cancelled or restarted); its "
                        + "result was discarded",
                claim.batchId(),
                stage,
                claim.attempt());
        return new StageOutcome(
                StageOutcome.Kind.LOST,
                claim.batchId(),
                stage,
                claim.attempt(),
                "claim lost before commit; nothing was written");
    }

    private StageOutcome notClaimed(long batchId, String stage) {
        Optional<BatchRecord> row = store.find(batchId);
        if (row.isEmpty()) {
            return new StageOutcome(
                    StageOutcome.Kind.NOT_FOUND, batchId, stage, 0, "batch " + batchId + " has no pipeline run");
        }
        BatchRecord r = row.get();
        String why;
        if (!r.stage().equals(stage)) {
            why = "batch " + batchId + " is at stage '" + r.stage() + "' ("
                    + r.state().dbValue() + "), not '" + stage + "'";
        } else if (r.state() == BatchState.IN_PROGRESS) {
            why = "batch " + batchId + " stage '" + stage + "' is already running (lease held by " + r.leaseOwner()
                    + ")";
        } else if (r.state() == BatchState.PENDING) {
            why = "batch " + batchId + " stage '" + stage + "' is not due before " + r.runAfter();
        } else {
            why = "batch " + batchId + " is " + r.state().dbValue() + " at stage '" + stage + "'";
        }
        LOG.debug("not claimed: {}", why);
        return new StageOutcome(StageOutcome.Kind.NOT_CLAIMED, batchId, stage, 0, why);
    }

    private ScheduledFuture<?> scheduleHeartbeat(BatchRecord claim) {
        long every = Math.max(10, pipeline.lease().toMillis() / 3);
        Heartbeat beat = new Heartbeat(claim);
        beat.future = heartbeats.scheduleWithFixedDelay(beat, every, every, TimeUnit.MILLISECONDS);
        return beat.future;
    }

    /**
     * Renews one claim's lease until cancelled or lost. A pass that fails or throws is logged and the
     * next one runs: an exception escaping a scheduled task would silently stop its later runs.
     */
    private final class Heartbeat implements Runnable {
        private final BatchRecord claim;
        private volatile ScheduledFuture<?> future;

        Heartbeat(BatchRecord claim) {
            this.claim = claim;
        }

        @Override
        public void run() {
            long started = System.nanoTime();
            try {
                if (!store.heartbeat(claim, pipeline.lease())) {
                    LOG.warn(
                            "batch {} stage {} attempt {}: lease lost while running; the result will be discarded",
                            claim.batchId(),
                            claim.stage(),
                            claim.attempt());
                    ScheduledFuture<?> self = future;
                    if (self != null) {
                        self.cancel(false);
                    }
                }
            } catch (Exception | LinkageError | AssertionError e) {
                LOG.warn(
                        "batch {} stage {}: heartbeat failed, will try again: {}",
                        claim.batchId(),
                        claim.stage(),
                        e.toString());
            }
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (tookMillis > pipeline.lease().toMillis() / 3) {
                // a few timer threads renew every lease of this runner: a slow renewal delays the others
                LOG.warn(
                        "batch {} stage {}: heartbeat took {} ms, longer than its interval of {} ms (a slow or "
                                + "unreachable store)",
                        claim.batchId(),
                        claim.stage(),
                        tookMillis,
                        pipeline.lease().toMillis() / 3);
            }
        }
    }

    private void fire(BatchRecord claim, String stage) {
        Firing.fire(LOG, trigger, claim.batchId(), stage, claim.traceContext());
    }

    private void fireAfter(BatchRecord claim, String stage, Duration delay) {
        Firing.fireAfter(LOG, trigger, claim.batchId(), stage, delay, claim.traceContext());
    }

    /**
     * The innermost cause's first line, at most 500 characters: a store's exception wraps the driver's,
     * which says what the database refused, and may quote the statement and the row (the output) below it.
     */
    private static String describeRoot(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = describe(root);
        int line = text.indexOf('\n');
        text = line < 0 ? text : text.substring(0, line);
        return text.length() <= 500 ? text : text.substring(0, 500) + "…";
    }

    /** @return the exception's class and message, for errors and logs (the shard runner's too) */
    static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank()
                ? t.getClass().getName()
                : t.getClass().getName() + ": " + message;
    }

    /**
     * Records the trigger's delivery error on the batch (see {@link StageStore#recordTriggerError}), so
     * that its status shows why it is stuck. A failure to record it is logged and swallowed.
     *
     * @param batchId the batch
     * @param stage the stage that was not delivered
     * @param error what went wrong
     */
    @Override
    public void undelivered(long batchId, String stage, String error) {
        try {
            store.recordTriggerError(batchId, stage, error);
        } catch (RuntimeException e) {
            LOG.warn(
                    "batch {} stage {}: could not record the trigger's delivery error ({}) on the batch: {}",
                    batchId,
                    stage,
                    error,
                    e.toString());
        }
    }

    /**
     * Closes the trigger (an in-process one waits for its running invocations) and stops heartbeats.
     * Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        trigger.close();
        heartbeats.shutdownNow();
    }

    /** Builds a {@link PipelineRunner}. Not thread-safe. */
    public static final class Builder {
        private final Pipeline pipeline;
        private final StageStore store;
        private Trigger trigger;
        private final List<PipelineListener> listeners = new ArrayList<>();
        private StageInterceptor interceptor = StageInterceptor.NONE;
        private Clock clock = Clock.systemUTC();
        private String owner = defaultOwner();
        private ObjectMapper objectMapper = Json.defaultMapper();

        private Builder(Pipeline pipeline, StageStore store) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * @param trigger how the next stage is started; required
         * @return this
         */
        public Builder trigger(Trigger trigger) {
            this.trigger = Objects.requireNonNull(trigger, "trigger");
            return this;
        }

        /**
         * @param listener hears stage and batch events; may be called several times
         * @return this
         */
        public Builder listener(PipelineListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * @param interceptor wraps every stage invocation and chooses each new batch's trace context (for
         *     tracing: {@code OpenTelemetryStageInterceptor}); also used by {@link PipelineRunner#client()}; default
         *     {@link StageInterceptor#NONE}
         * @return this
         */
        public Builder interceptor(StageInterceptor interceptor) {
            this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
            return this;
        }

        /**
         * @param clock the clock for budgets and stage timings (leases use the store's clock)
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param owner the id leases are claimed under; unique per process; default {@code pid@host:random}
         * @return this
         * @throws IllegalArgumentException if blank
         */
        public Builder owner(String owner) {
            if (owner == null || owner.isBlank()) {
                throw new IllegalArgumentException("owner must not be blank");
            }
            this.owner = owner;
            return this;
        }

        /**
         * @param objectMapper the Jackson mapper for outputs and cursors
         * @return this
         */
        public Builder objectMapper(ObjectMapper objectMapper) {
            this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
            return this;
        }

        /**
         * @return the runner, bound to its trigger
         * @throws IllegalStateException when no trigger was set
         */
        public PipelineRunner build() {
            if (trigger == null) {
                throw new IllegalStateException(
                        "set a trigger: trigger(new InProcessTrigger(...)) or an HTTP or queue trigger");
            }
            return new PipelineRunner(this);
        }

        private static String defaultOwner() {
            return ManagementFactory.getRuntimeMXBean().getName() + ":"
                    + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
