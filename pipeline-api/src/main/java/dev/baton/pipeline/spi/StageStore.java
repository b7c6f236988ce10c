package dev.baton.pipeline.spi;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where batches and stage outputs live. The PostgreSQL implementation is {@code JdbcStageStore}
 * (module {@code pipeline-jdbc}); {@link dev.baton.pipeline.testing.InMemoryStageStore} is one in memory. Both pass the
 * testkit's {@code StageStoreContract}.
 *
 * <p>Every method that changes a claimed batch takes the {@link BatchRecord} returned by
 * {@link #claim} and is a compare-and-set on its {@link BatchRecord#version() version} and
 * {@link BatchRecord#leaseOwner() owner}: when the row has moved on (the lease was rescued, the
 * batch cancelled or restarted), the method changes nothing and returns {@code false}. Times that
 * decide across processes ({@code lease_until}, {@code run_after}) come from the store's clock
 * (the database's, for PostgreSQL).
 *
 * <p>Outputs and cursors are JSON text; outputs are written from a {@link JsonSource} and read
 * through a {@link Reader}, so that a store can stream them. Implementations are thread-safe.
 *
 * <p>Failures are typed: a store that cannot do what was asked (the database refused a statement, a
 * connection broke) throws {@link StoreException} wrapping its own exception; a value it cannot store
 * faithfully is refused with {@link UnstorableValueException} and nothing written; a start that
 * conflicts with an existing run throws {@link BatchConflictException}. A lost claim is not an
 * exception: the methods that need one return {@code false} or empty.
 */
public interface StageStore {

    /**
     * Starts a run of {@code batchId}: the queue row at {@code firstStage}, {@code pending}, attempt 1,
     * due after {@code startAfter}, and {@code input} stored beside it (streamed and chunked like an
     * output), in one transaction.
     *
     * <p>Idempotent: when the batch already has a run that was started with the same input (the same
     * JSON text, or both without one), that run is returned as it is and nothing changes, so a caller
     * that lost the reply of a start may simply start again.
     *
     * @param batchId the batch
     * @param firstStage the first stage of the pipeline
     * @param input the batch's JSON input, or {@code null} for none
     * @param startAfter how long the first stage waits; zero to start at once
     * @return the row, and whether this call created it
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws UnstorableValueException if {@code input} is not one JSON value, holds what the store cannot
     *     store, or fails to write itself; nothing is written
     * @throws StoreException if the store fails
     */
    default Created create(long batchId, String firstStage, JsonSource input, Duration startAfter) {
        return create(batchId, firstStage, input, startAfter, null);
    }

    /**
     * {@link #create(long, String, JsonSource, Duration)}, keeping {@code traceContext} with the new run
     * ({@link BatchRecord#traceContext()}) for as long as the run lasts, through retries, rescues and
     * restarts. A start that finds the run keeps the run's own trace context.
     *
     * @param batchId the batch
     * @param firstStage the first stage of the pipeline
     * @param input the batch's JSON input, or {@code null} for none
     * @param startAfter how long the first stage waits; zero to start at once
     * @param traceContext the batch's trace context (a W3C {@code traceparent}), or {@code null} for none
     * @return the row, and whether this call created it
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws UnstorableValueException if {@code input} cannot be stored as it is; nothing is written
     * @throws StoreException if the store fails
     */
    Created create(long batchId, String firstStage, JsonSource input, Duration startAfter, String traceContext);

    /**
     * Starts a run due now whose first stage is already claimed for {@code owner}: what {@link #create(long,
     * String, JsonSource, Duration, String)} followed by {@link #claim} leave, in one step. The new row is
     * {@code in_progress} at {@code firstStage}, attempt 1, with {@code lease_owner = owner}, {@code lease_until
     * = now + lease} and the version a claim leaves, and {@code input} is stored beside it as {@code create} stores
     * it. A starter that hands the claim to a worker of its own process right away
     * ({@link Trigger#reserveClaimedStart}) calls this, and saves the claim's round trip and commit.
     *
     * <p>A start that finds the batch's run keeps the contract of {@code create}: an equal input returns the run as
     * it is, with {@link Created#isNew()} {@code false}, and claims nothing; another input is a conflict. The
     * caller owns the claim only when the result is new, {@code in_progress} and leased to {@code owner}; anything
     * else (a row the claim missed) it starts as an ordinary pending run.
     *
     * <p>The default creates the run and then claims it, for stores written before this method: two commits, with
     * the same outcome. A claim of the default that fails after the create committed returns the new run unclaimed
     * (pending), so that the caller fires it as an ordinary start; if that claim did commit although its reply was
     * lost, its lease expires and the stall sweeper rescues the batch. Stores override it with one statement.
     *
     * @param batchId the batch
     * @param firstStage the first stage of the pipeline
     * @param input the batch's JSON input, or {@code null} for none
     * @param traceContext the batch's trace context (a W3C {@code traceparent}), or {@code null} for none
     * @param owner who claims the first stage (the runner's owner id)
     * @param lease how long the claim holds without a heartbeat
     * @return the row (the claim, when this call created the run), and whether this call created it
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws UnstorableValueException if {@code input} cannot be stored as it is; nothing is written
     * @throws StoreException if the store fails
     */
    default Created createClaimed(
            long batchId, String firstStage, JsonSource input, String traceContext, String owner, Duration lease) {
        Created created = create(batchId, firstStage, input, Duration.ZERO, traceContext);
        if (!created.isNew()) {
            return created;
        }
        try {
            return claim(batchId, firstStage, owner, lease)
                    .map(claim -> new Created(claim, true))
                    .orElse(created);
        } catch (RuntimeException e) {
            // the run exists: the caller fires it as an ordinary start, and a claim that committed unseen expires
            return created;
        }
    }

    /**
     * {@link #create(long, String, JsonSource, Duration)} without an input, due now.
     *
     * @param batchId the batch
     * @param firstStage the first stage of the pipeline
     * @return the row
     * @throws BatchConflictException if the batch already has a run with an input
     */
    default BatchRecord create(long batchId, String firstStage) {
        return create(batchId, firstStage, null, Duration.ZERO).batch();
    }

    /**
     * What {@link #create(long, String, JsonSource, Duration)} found or made.
     *
     * @param batch the row
     * @param isNew {@code true} when this call created the run; {@code false} when it existed with the
     *     same input
     */
    record Created(BatchRecord batch, boolean isNew) {}

    /**
     * Reads the batch's input as a stream, as {@link #readOutput(long, String, JsonReader)} reads an output.
     *
     * @param batchId the batch
     * @param reader reads the text
     * @param <T> what the reader makes of it
     * @return what {@code reader} returned; empty when the batch has no run or no input
     * @throws UncheckedIOException wrapping the reader's {@link IOException}
     */
    <T> Optional<T> readInput(long batchId, JsonReader<T> reader);

    /**
     * @param batchId the batch
     * @return its row, or empty
     */
    Optional<BatchRecord> find(long batchId);

    /**
     * Claims a stage: only when the batch is {@code pending} at exactly {@code stage} and due
     * ({@code run_after} passed), it becomes {@code in_progress} with a lease for {@code owner}.
     *
     * @param batchId the batch
     * @param stage the stage the caller means to run
     * @param owner who claims (worker id)
     * @param lease how long the claim holds without a heartbeat
     * @return the claimed row, or empty when the batch is not claimable for that stage
     */
    Optional<BatchRecord> claim(long batchId, String stage, String owner, Duration lease);

    /**
     * Renews a claim's lease.
     *
     * @param claim the row returned by {@link #claim}
     * @param lease the new lease, from now
     * @return {@code false} when the claim has been lost
     */
    boolean heartbeat(BatchRecord claim, Duration lease);

    /**
     * Reads an output as a stream: {@code reader} gets the committed JSON text of that stage (the
     * partial output for the stage in progress of a sliced run) as a {@link Reader}, valid only during
     * the call, so a chunked output is never assembled into one string.
     *
     * @param batchId the batch
     * @param stage a stage
     * @param reader reads the text (for example Jackson's {@code ObjectMapper.readValue(Reader, Class)})
     * @param <T> what the reader makes of it
     * @return what {@code reader} returned; empty when the stage has no output or the reader returned
     *     null (wrap the result in an {@code Optional} to tell the two apart)
     * @throws UncheckedIOException wrapping the reader's {@link IOException}
     */
    <T> Optional<T> readOutput(long batchId, String stage, JsonReader<T> reader);

    /**
     * @param batchId the batch
     * @param stage a stage
     * @return the JSON output committed for that stage (the partial output for the stage in
     *     progress of a sliced run) as one string, or empty
     */
    default Optional<String> readOutput(long batchId, String stage) {
        return readOutput(batchId, stage, in -> {
            StringWriter text = new StringWriter();
            in.transferTo(text);
            return text.toString();
        });
    }

    /**
     * Reads the JSON text of an output or an input.
     *
     * @param <T> what it makes of the text
     */
    @FunctionalInterface
    interface JsonReader<T> {
        /**
         * @param json the text; valid only during this call
         * @return what was read
         * @throws IOException if the text cannot be read
         */
        T read(Reader json) throws IOException;
    }

    /**
     * In one transaction: stores {@code output} for the claimed stage (replacing a partial one) and
     * moves the batch to {@code nextStage} as {@code pending}, attempt 1, due now, or to
     * {@code completed} when {@code nextStage} is {@link Pipeline#COMPLETED}.
     *
     * @param claim the claimed row
     * @param output JSON output of the stage
     * @param nextStage the next stage or {@link Pipeline#COMPLETED}
     * @param stats the stage's updated stats
     * @return {@code false} (and nothing written) when the claim was lost
     * @throws UnstorableValueException if {@code output} is text that is not one JSON value, or fails
     *     to write itself (the source's exception is the cause); nothing is written and the claim still
     *     holds
     */
    boolean advance(BatchRecord claim, JsonSource output, String nextStage, StageStats stats);

    /**
     * {@link #advance(BatchRecord, JsonSource, String, StageStats)} with an output held as text.
     *
     * @param claim the claimed row
     * @param output JSON output of the stage
     * @param nextStage the next stage or {@link Pipeline#COMPLETED}
     * @param stats the stage's updated stats
     * @return {@code false} (and nothing written) when the claim was lost
     */
    default boolean advance(BatchRecord claim, String output, String nextStage, StageStats stats) {
        return advance(claim, JsonSource.ofText(output), nextStage, stats);
    }

    /**
     * Like {@link #advance}, and in the same transaction claims {@code nextStage} for the claim's
     * owner, so that a worker which runs the next stage itself commits once per transition instead
     * of twice. The default calls {@link #advance} then {@link #claim}; stores override it with one
     * transaction.
     *
     * @param claim the claimed row
     * @param output JSON output of the stage
     * @param nextStage the next stage, not {@link Pipeline#COMPLETED}
     * @param stats the stage's updated stats
     * @param lease the lease of the new claim
     * @return empty if and only if the advance did not happen (the claim was lost; nothing was written);
     *     else the row after it: {@code in_progress} at {@code nextStage} for the claim's owner when the
     *     claim of the next stage succeeded, otherwise the row as the store then found it
     * @throws UnstorableValueException as {@link #advance(BatchRecord, JsonSource, String, StageStats)}
     */
    default Optional<BatchRecord> advanceAndClaim(
            BatchRecord claim, JsonSource output, String nextStage, StageStats stats, Duration lease) {
        if (!advance(claim, output, nextStage, stats)) {
            return Optional.empty();
        }
        return claim(claim.batchId(), nextStage, claim.leaseOwner(), lease).or(() -> find(claim.batchId()));
    }

    /**
     * {@link #advanceAndClaim(BatchRecord, JsonSource, String, StageStats, Duration)} with an output
     * held as text.
     *
     * @param claim the claimed row
     * @param output JSON output of the stage
     * @param nextStage the next stage, not {@link Pipeline#COMPLETED}
     * @param stats the stage's updated stats
     * @param lease the lease of the new claim
     * @return as {@link #advanceAndClaim(BatchRecord, JsonSource, String, StageStats, Duration)}
     */
    default Optional<BatchRecord> advanceAndClaim(
            BatchRecord claim, String output, String nextStage, StageStats stats, Duration lease) {
        return advanceAndClaim(claim, JsonSource.ofText(output), nextStage, stats, lease);
    }

    /**
     * In one transaction: stores the partial output and cursor of a sliced stage and makes the
     * batch {@code pending} at the same stage and attempt, due now.
     *
     * @param claim the claimed row
     * @param cursor JSON cursor
     * @param partialOutput JSON partial output
     * @param stats the stage's updated stats
     * @return {@code false} (and nothing written) when the claim was lost
     * @throws UnstorableValueException if {@code cursor} is not valid JSON text, or {@code partialOutput}
     *     is not or fails to write itself; nothing is written and the claim still holds
     */
    boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats);

    /**
     * {@link #saveProgress(BatchRecord, String, JsonSource, StageStats)} with a partial output held as text.
     *
     * @param claim the claimed row
     * @param cursor JSON cursor
     * @param partialOutput JSON partial output
     * @param stats the stage's updated stats
     * @return {@code false} (and nothing written) when the claim was lost
     */
    default boolean saveProgress(BatchRecord claim, String cursor, String partialOutput, StageStats stats) {
        return saveProgress(claim, cursor, JsonSource.ofText(partialOutput), stats);
    }

    /**
     * Records a failed try: the batch becomes {@code pending} at the same stage with attempt + 1,
     * due after {@code backoff}; {@code error_message} holds {@code error}.
     *
     * @param claim the claimed row
     * @param error what went wrong
     * @param backoff wait before the next try
     * @param stats the stage's updated stats
     * @return {@code false} when the claim was lost
     */
    boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats);

    /**
     * In one transaction: stores the partial output and cursor of a sliced stage, as
     * {@link #saveProgress(BatchRecord, String, JsonSource, StageStats)} does, and records a failed
     * try: the batch becomes {@code pending} at the same stage with attempt {@code nextAttempt}, due
     * after {@code backoff}; {@code error_message} holds {@code error}. For a stage that committed
     * part of its work before it failed, so that the retry resumes after that work.
     *
     * @param claim the claimed row
     * @param cursor JSON cursor
     * @param partialOutput JSON partial output
     * @param nextAttempt the attempt of the retry, at least 1
     * @param error what went wrong
     * @param backoff wait before the next try
     * @param stats the stage's updated stats
     * @return {@code false} (and nothing written) when the claim was lost
     * @throws UnstorableValueException if {@code cursor} is not valid JSON text, {@code partialOutput} is
     *     not or fails to write itself, or {@code nextAttempt} is below 1; nothing is written and the claim
     *     still holds
     */
    boolean saveProgressAndRetry(
            BatchRecord claim,
            String cursor,
            JsonSource partialOutput,
            int nextAttempt,
            String error,
            Duration backoff,
            StageStats stats);

    /**
     * Fails the batch for good at the claimed stage.
     *
     * @param claim the claimed row
     * @param error what went wrong
     * @param stats the stage's updated stats
     * @return {@code false} when the claim was lost
     */
    boolean fail(BatchRecord claim, String error, StageStats stats);

    /**
     * Finds batches that need the sweeper: {@code in_progress} with an expired lease, and
     * {@code pending} ones that were due more than {@code pendingGrace} ago and unchanged for as long
     * (a trigger that was lost, or a retry whose time has come).
     *
     * @param pendingGrace how long a due pending batch may wait for its trigger
     * @param limit at most this many rows
     * @return the rows, oldest first
     */
    List<BatchRecord> findStalled(Duration pendingGrace, int limit);

    /**
     * {@link #findStalled(Duration, int)} restricted to batches at one of {@code stages}, so that rows at
     * stages a sweeper cannot run (a stage the pipeline no longer has) never fill its page and hide the
     * ones it can.
     *
     * @param pendingGrace how long a due pending batch may wait for its trigger
     * @param limit at most this many rows
     * @param stages the stages wanted
     * @return the rows, oldest first
     */
    List<BatchRecord> findStalled(Duration pendingGrace, int limit, Set<String> stages);

    /**
     * Counts the batches that have not ended ({@code pending} or {@code in_progress}) at stages other
     * than {@code stages}: work no sweeper of this pipeline will ever run (a stage that was renamed or
     * removed while batches were at it).
     *
     * @param stages the pipeline's stages
     * @return the count per stage name, only names with at least one batch
     */
    Map<String, Long> countActiveOutside(Set<String> stages);

    /**
     * Rescues a stalled batch found by {@link #findStalled}, if it has not changed since: an expired
     * {@code in_progress} row becomes {@code pending} with attempt + 1 and {@code error_message}
     * {@code error} (or {@code failed} when {@code exhausted}); a {@code pending} row is only touched
     * (its version and {@code updated_at} move) so that one sweeper alone re-triggers it.
     *
     * @param stalled the row as found
     * @param error why the batch is being rescued
     * @param exhausted {@code true} when the stage has no attempts left: fail the batch instead
     * @return the new row, or empty when another sweeper or the owner got there first
     */
    Optional<BatchRecord> rescue(BatchRecord stalled, String error, boolean exhausted);

    /**
     * Cancels a batch that has not ended, and deletes the shards of its fanned-out stages with their outputs.
     * A running invocation (or shard) commits nothing afterwards.
     *
     * @param batchId the batch
     * @return the new row, or empty when the batch has no run or has already ended
     */
    Optional<BatchRecord> cancel(long batchId);

    /**
     * Moves a batch, whatever its state, to {@code stage}, {@code pending}, attempt 1, due now, no
     * cursor and no error, and deletes the outputs and the shards of {@code stage} and of {@code laterStages}, in
     * one transaction. A running invocation (or shard) commits nothing afterwards.
     *
     * @param batchId the batch
     * @param stage the stage to run again
     * @param laterStages the stages after it
     * @param expectedVersion the version the caller saw, or {@code -1} for any
     * @return the new row, or empty when the batch has no run or changed meanwhile
     */
    Optional<BatchRecord> reset(long batchId, String stage, List<String> laterStages, long expectedVersion);

    /**
     * Deletes one page of finished batches (retention): up to {@code limit} batches in {@code states} whose
     * last change ({@code updated_at}, which for a finished batch is when it finished) is more than
     * {@code olderThan} ago by the store's clock, and whose batch id is above {@code afterBatchId}, lowest
     * ids first; with each one, its queue row, its outputs and partial outputs, and its input, in one short
     * transaction. A batch that is locked at that moment (an operator's retry or restart of it is committing)
     * is skipped, not waited for; the page waits for nothing and holds the rows it deletes only until it
     * commits, so it never blocks the commit of a batch that is running (a running batch is never finished)
     * and blocks an operation on one of the batches it deletes for at most one page.
     *
     * <p>A purged batch is forgotten: {@link #find} returns empty and a later {@link #create} of the same id
     * starts a new run. A caller pages on with the last id of the page until a page is not full (as
     * {@code BatchClient.purge} does). The default throws {@link UnsupportedOperationException}, for stores
     * written before retention existed.
     *
     * @param olderThan how long ago a batch must have finished, zero or more
     * @param states which finished states to delete; only {@code completed}, {@code failed} and
     *     {@code cancelled}
     * @param afterBatchId only batches with a greater id ({@code 0} for all)
     * @param limit at most this many batches, at least 1
     * @return the ids of the batches deleted, ascending, and how many rows of outputs and inputs went with them
     * @throws IllegalArgumentException if {@code states} is empty or names a state that is not final, or
     *     {@code olderThan} is negative, or {@code limit} below 1
     * @throws StoreException if the store fails (the page's transaction is rolled back)
     */
    default Purged purgeFinished(Duration olderThan, Set<BatchState> states, long afterBatchId, int limit) {
        throw new UnsupportedOperationException(getClass().getName()
                + " does not implement purgeFinished (retention); delete finished batches with your own job");
    }

    /**
     * One page of {@link #purgeFinished}.
     *
     * @param batchIds the batches deleted, ascending
     * @param dataRows rows of outputs, partial outputs and inputs deleted with them
     */
    record Purged(List<Long> batchIds, long dataRows) {
        /** Copies the list. */
        public Purged {
            batchIds = List.copyOf(batchIds);
        }

        /**
         * Checks the arguments of {@link #purgeFinished}, for stores.
         *
         * @param olderThan how long ago a batch must have finished
         * @param states the finished states to delete
         * @param limit the page size
         * @throws IllegalArgumentException as {@link #purgeFinished} says
         */
        public static void check(Duration olderThan, Set<BatchState> states, int limit) {
            if (olderThan == null || olderThan.isNegative()) {
                throw new IllegalArgumentException("olderThan must be zero or more, got " + olderThan);
            }
            if (states == null || states.isEmpty()) {
                throw new IllegalArgumentException(
                        "name the finished states to purge: completed, cancelled and/or failed");
            }
            for (BatchState s : states) {
                if (!s.isFinal()) {
                    throw new IllegalArgumentException("only finished batches can be purged (completed, cancelled,"
                            + " failed), not " + s.dbValue() + " ones: cancel them first");
                }
            }
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1, got " + limit);
            }
        }
    }

    /**
     * Lists batches, oldest change first.
     *
     * @param states the states to list; empty for all
     * @param offset rows to skip
     * @param limit at most this many
     * @return the page
     */
    List<BatchRecord> list(Set<BatchState> states, int offset, int limit);

    /**
     * Searches the batches an operator asks for (the dashboard's list view), most recently changed
     * first (then by the newest row), so that a failure of a minute ago is on the first page.
     *
     * @param query the conditions, all of which must hold
     * @param offset rows to skip
     * @param limit at most this many
     * @return the page
     */
    List<BatchRecord> search(BatchQuery query, int offset, int limit);

    /** @return the number of batches per state, every state present */
    Map<BatchState, Long> countByState();

    /**
     * Notes why a stage's trigger could not be delivered: sets {@code error_message} to {@code error}
     * when, and only when, the batch is {@code pending} at {@code stage}, and changes nothing else (not
     * the version, not {@code updated_at}, so the sweeper still finds the batch overdue and a claim in
     * flight is not disturbed). Advancing past the stage clears it as usual.
     *
     * @param batchId the batch
     * @param stage the stage whose trigger was not delivered
     * @param error what went wrong
     */
    void recordTriggerError(long batchId, String stage, String error);
    /**
     * The {@link BatchRecord#leaseOwner() lease owner} of a batch whose stage is fanned out: the row stays
     * {@code in_progress} at the stage, without a lease (the shards hold leases of their own), until the
     * last shard joins the stage or a shard fails the batch. No runner can have this owner.
     */
    String SHARDS_OWNER = ":shards";

    /**
     * Fans the claimed stage out: in one transaction, writes the shards of {@code plan} (the first
     * {@code plan.parallelism()} {@link ShardState#PENDING pending} and due now, the rest
     * {@link ShardState#WAITING waiting}), records {@code stats} for the stage, and leaves the batch
     * {@code in_progress} with {@link #SHARDS_OWNER} as its owner and no lease. Shards the stage still has
     * (a store's reset that kept them) are replaced. The default throws {@link UnsupportedOperationException}.
     *
     * @param claim the batch's claim of the stage
     * @param plan the shards
     * @param stats the stage's statistics so far (its start)
     * @return the shards to trigger now, or empty when the claim was lost (nothing was written)
     */
    default Optional<List<ShardRecord>> fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        throw noFanOut();
    }

    /**
     * Claims one shard: {@code pending} and due becomes {@code in_progress} under {@code owner}'s lease,
     * attempt unchanged, only while the batch is fanned out at {@code stage} ({@link #SHARDS_OWNER}).
     *
     * @return the claimed shard, or empty when it is not claimable (unknown, not due, running, finished,
     *     or the batch is not fanned out at the stage)
     */
    default Optional<ShardRecord> claimShard(long batchId, String stage, int shard, String owner, Duration lease) {
        throw noFanOut();
    }

    /**
     * Renews a shard's lease, like {@link #heartbeat}.
     *
     * @return whether the claim is still held
     */
    default boolean heartbeatShard(ShardRecord claim, Duration lease) {
        throw noFanOut();
    }

    /**
     * Commits a shard's continuation: its cursor and partial output (stored under its
     * {@linkplain ShardRecord#dataKey() data key}), {@code pending} again at {@code attempt}, due after
     * {@code backoff}, with {@code error} (null for none). A compare-and-set on the claim.
     *
     * @return whether it was committed ({@code false}: the claim was lost, nothing written)
     * @throws UnstorableValueException if the partial output cannot be stored faithfully; nothing is written
     */
    default boolean saveShardProgress(
            ShardRecord claim, String cursor, JsonSource partialOutput, int attempt, String error, Duration backoff) {
        throw noFanOut();
    }

    /**
     * Schedules a shard's retry: {@code pending}, attempt + 1, due after {@code backoff}, with {@code error};
     * its cursor and partial output stay. A compare-and-set on the claim.
     *
     * @return whether it was committed
     */
    default boolean retryShard(ShardRecord claim, String error, Duration backoff) {
        throw noFanOut();
    }

    /**
     * Commits a shard's output (a JSON array) and, in the same transaction: releases the next
     * {@linkplain ShardState#WAITING waiting} shard, and, when this was the stage's last shard, joins the
     * shards' outputs in shard order into the stage's output (one JSON array: the elements of shard 0's,
     * then shard 1's, …, streamed), deletes the shards' own outputs and advances the batch to
     * {@code nextStage} ({@code pending} at attempt 1, or {@code completed} when it is
     * {@link dev.baton.pipeline.Pipeline#COMPLETED}) as {@link #advance} does. Shard commits of one batch's
     * stage serialise on the batch's row, so exactly one of them joins, however many finish at once. A
     * compare-and-set on the shard's claim and on the batch being fanned out at the stage.
     *
     * @return what was committed ({@link ShardCommit#LOST} when the claim was lost: nothing written)
     * @throws UnstorableValueException if the output, or the joined output, cannot be stored faithfully (or is
     *     not a JSON array); nothing is written
     */
    default ShardCommit completeShard(ShardRecord claim, JsonSource output, String nextStage) {
        throw noFanOut();
    }

    /**
     * Fails a shard that has no tries left and, in the same transaction, the batch, with {@code error}
     * (as {@link #fail} does, at the stage); the stage's other shards that have not finished become
     * {@link ShardState#CANCELLED cancelled}, so none of them is scheduled again and a running one commits
     * nothing. A compare-and-set on the claim.
     *
     * @return whether it was committed
     */
    default boolean failShard(ShardRecord claim, String error) {
        throw noFanOut();
    }

    /**
     * @return the shards of a batch's stage, in shard order; empty when it has none
     */
    default List<ShardRecord> shards(long batchId, String stage) {
        throw noFanOut();
    }

    /**
     * Shards the sweeper must look at, oldest first: {@code in_progress} with an expired lease, and
     * {@code pending} due more than {@code pendingGrace} ago (a lost trigger), of batches still fanned
     * out. The default returns none, for stores without fan-out.
     */
    default List<ShardRecord> findStalledShards(Duration pendingGrace, int limit) {
        return List.of();
    }

    /**
     * Rescues a stalled shard as {@link #rescue} does a batch: an expired one becomes {@code pending}, due
     * now, attempt + 1, with {@code error}, or, when {@code exhausted}, fails with the batch as
     * {@link #failShard}; a {@code pending} one is only touched (version) so that one sweeper alone
     * re-triggers it.
     *
     * @return the new shard, or empty when someone else got there first
     */
    default Optional<ShardRecord> rescueShard(ShardRecord stalled, String error, boolean exhausted) {
        throw noFanOut();
    }

    private UnsupportedOperationException noFanOut() {
        return new UnsupportedOperationException(getClass().getName()
                + " does not support fan-out (FanOut stages with more than one shard); use JdbcStageStore, or"
                + " run the stage with shards(1)");
    }

    /**
     * What {@link #completeShard} committed.
     *
     * @param committed whether the shard's output was committed ({@code false}: the claim was lost)
     * @param joined whether this shard was the last one: the stage's output is joined and the batch advanced
     * @param released waiting shards this commit scheduled, to trigger now
     */
    record ShardCommit(boolean committed, boolean joined, List<ShardRecord> released) {
        /** Nothing committed: the claim was lost. */
        public static final ShardCommit LOST = new ShardCommit(false, false, List.of());

        /** Copies {@code released}. */
        public ShardCommit {
            released = List.copyOf(released);
        }
    }
}
