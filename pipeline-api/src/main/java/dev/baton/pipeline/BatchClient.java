package dev.baton.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.internal.Firing;
import dev.baton.pipeline.internal.Json;
import dev.baton.pipeline.internal.Retention;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts batches and reads and steers them: status, retry, restart, cancel, and lists of batches.
 * The caller side of Baton, for a web handler or a job that only starts work: it runs no stage and
 * starts no thread, so it can be built per request. {@link PipelineRunner} is the worker side, and
 * has one at {@link PipelineRunner#client()}.
 *
 * <pre>{@code
 * BatchClient client = BatchClient.builder(pipeline, JdbcStageStore.builder(dataSource).build())
 *         .trigger(trigger)
 *         .build();
 * client.start(42, Map.of("bucket", "screenshots/2026-12"));
 * }</pre>
 *
 * <p>Without a trigger a started batch waits for whatever claims due work: the queue workers, or the
 * runner's sweeper once its pending grace has passed. Thread-safe.
 */
public final class BatchClient {
    private static final Logger LOG = LoggerFactory.getLogger(BatchClient.class);

    /** How many batches {@link #purge} deletes per transaction. */
    public static final int PURGE_PAGE = 500;

    private final Pipeline pipeline;
    private final StageStore store;
    private final Trigger trigger;
    private final Json json;
    private final StageInterceptor interceptor;
    /** The runner's claims when this is its client (it shares the runner's store and trigger), else null. */
    private final Claims claims;

    /** Who claims a first stage in the create, and for how long: the runner's owner id and its pipeline's lease. */
    private record Claims(String owner, Duration lease) {}

    private BatchClient(
            Pipeline pipeline,
            StageStore store,
            Trigger trigger,
            Json json,
            StageInterceptor interceptor,
            Claims claims) {
        this.pipeline = pipeline;
        this.store = store;
        this.trigger = trigger;
        this.json = json;
        this.interceptor = interceptor;
        this.claims = claims;
    }

    /**
     * @param pipeline the stages, whose first one a batch starts at
     * @param store where batches live
     * @return a builder
     */
    public static Builder builder(Pipeline pipeline, StageStore store) {
        return new Builder(pipeline, store);
    }

    /**
     * Starts a run of {@code batchId} without an input, at once.
     *
     * @param batchId the host's batch id, positive
     * @return the run, and whether this call created it
     * @throws IllegalArgumentException if {@code batchId} is not positive
     * @throws BatchConflictException if the batch already has a run that was started with an input
     */
    public Started start(long batchId) {
        return start(batchId, null, Duration.ZERO);
    }

    /**
     * Starts a run of {@code batchId} with {@code input}, at once; see {@link #start(long, Object, Duration)}.
     *
     * @param batchId the host's batch id, positive
     * @param input what the batch works on, anything Jackson can write; {@code null} for no input
     * @return the run, and whether this call created it
     * @throws IllegalArgumentException if {@code batchId} is not positive
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws StageValueException if the input cannot be written as JSON or stored as it is
     */
    public Started start(long batchId, Object input) {
        return start(batchId, input, Duration.ZERO);
    }

    /**
     * Starts a run of {@code batchId} at the first stage, with {@code input} stored beside it (streamed
     * and chunked like an output; stages read it with {@link StageContext#input(Class)}), and triggers
     * the first stage after {@code startAfter}.
     *
     * <p>Idempotent: starting a batch again with an equal input (one that Jackson writes as the same
     * JSON text; or again without one) returns the existing run, whatever its state, and triggers
     * nothing; so a caller that lost the reply of a start may start again. Another input is a conflict:
     * a batch id names one piece of work.
     *
     * <p>The client of a runner ({@link PipelineRunner#client()}) starts a batch due now in one commit fewer when
     * its trigger has a worker of this process free ({@link Trigger#reserveClaimedStart}): the run is created with
     * its first stage already claimed for the runner, the returned status is {@code in_progress}, and that worker
     * runs the claim. Otherwise the run is created pending and its first stage fired.
     *
     * @param batchId the host's batch id, positive
     * @param input what the batch works on, anything Jackson can write; {@code null} for no input
     * @param startAfter how long the first stage waits, zero or more
     * @return the run, and whether this call created it
     * @throws IllegalArgumentException if {@code batchId} is not positive or {@code startAfter} is negative
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws StageValueException if the input cannot be written as JSON or stored as it is
     */
    public Started start(long batchId, Object input, Duration startAfter) {
        return start(batchId, input, startAfter, null);
    }

    /**
     * {@link #start(long, Object, Duration)}, continuing the trace of {@code traceParent}: the client's
     * {@link StageInterceptor} chooses the new batch's trace context from it (by default it is kept as it
     * is), and every stage of the batch joins that trace. An HTTP endpoint passes the start request's
     * {@code traceparent} header here.
     *
     * @param batchId the host's batch id, positive
     * @param input what the batch works on, anything Jackson can write; {@code null} for no input
     * @param startAfter how long the first stage waits, zero or more
     * @param traceParent a W3C {@code traceparent}, or {@code null} for the caller's current trace (if the
     *     interceptor traces); a malformed one is ignored, as the W3C recommendation asks
     * @return the run, and whether this call created it
     * @throws IllegalArgumentException if {@code batchId} is not positive or {@code startAfter} is negative
     * @throws BatchConflictException if the batch already has a run with another input
     * @throws StageValueException if the input cannot be written as JSON or stored as it is
     */
    public Started start(long batchId, Object input, Duration startAfter, String traceParent) {
        if (batchId <= 0) {
            throw new IllegalArgumentException("batchId must be positive, got " + batchId);
        }
        Objects.requireNonNull(startAfter, "startAfter");
        if (startAfter.isNegative()) {
            throw new IllegalArgumentException("startAfter must not be negative, got " + startAfter);
        }
        String first = pipeline.first().name();
        String context = traceContext(batchId, isTraceParent(traceParent) ? traceParent : null);
        Optional<Trigger.ClaimedStart> worker = startAfter.isZero() ? reserveWorker(batchId, first) : Optional.empty();
        if (worker.isPresent()) {
            return startClaimed(batchId, first, input, context, worker.get());
        }
        StageStore.Created created;
        try {
            created = store.create(batchId, first, input == null ? null : json.source(input), startAfter, context);
        } catch (UnstorableValueException e) {
            throw json.writeFailure(input, batchId, first, "input", e);
        }
        if (created.isNew() && trigger != null) {
            Firing.fireAfter(
                    LOG, trigger, batchId, first, startAfter, created.batch().traceContext());
        }
        return new Started(BatchStatus.of(pipeline, created.batch()), created.isNew());
    }

    /**
     * @return a worker of this process held for the claimed start of {@code batchId}, when this is a runner's client
     *     and its trigger has one idle; a trigger that fails to answer holds none
     */
    private Optional<Trigger.ClaimedStart> reserveWorker(long batchId, String first) {
        if (claims == null || trigger == null) {
            return Optional.empty();
        }
        try {
            return trigger.reserveClaimedStart(batchId, first, claims.owner());
        } catch (RuntimeException e) {
            LOG.warn(
                    "batch {} stage {}: the trigger failed to answer whether a worker is free ({}); starting the"
                            + " batch pending and firing it",
                    batchId,
                    first,
                    e.toString());
            return Optional.empty();
        }
    }

    /**
     * Creates the run with its first stage claimed for the runner ({@link StageStore#createClaimed}) and hands the
     * claim to the held worker: one commit fewer than a create and the worker's claim. A start that met the batch's
     * run, or failed, gives the worker back; a new run the store did not claim is fired as an ordinary start.
     */
    private Started startClaimed(
            long batchId, String first, Object input, String context, Trigger.ClaimedStart worker) {
        StageStore.Created created;
        try {
            created = store.createClaimed(
                    batchId, first, input == null ? null : json.source(input), context, claims.owner(), claims.lease());
        } catch (UnstorableValueException e) {
            worker.release();
            throw json.writeFailure(input, batchId, first, "input", e);
        } catch (RuntimeException | Error e) {
            worker.release();
            throw e;
        }
        BatchRecord r = created.batch();
        if (created.isNew()
                && r.state() == BatchState.IN_PROGRESS
                && claims.owner().equals(r.leaseOwner())) {
            worker.run(r);
        } else {
            worker.release();
            if (created.isNew()) {
                Firing.fire(LOG, trigger, batchId, first, r.traceContext());
            }
        }
        return new Started(BatchStatus.of(pipeline, r), created.isNew());
    }

    /** The interceptor's trace context for a new batch; one it fails to give, or a malformed one, is none. */
    private String traceContext(long batchId, String parent) {
        String context;
        try {
            context = interceptor.batchContext(batchId, parent);
        } catch (RuntimeException e) {
            LOG.warn(
                    "batch {}: the interceptor failed to give a trace context ({}); none is kept",
                    batchId,
                    e.toString());
            return null;
        }
        if (context != null && !isTraceParent(context)) {
            LOG.warn("batch {}: the trace context '{}' is not a W3C traceparent; none is kept", batchId, context);
            return null;
        }
        return context;
    }

    /**
     * @return whether {@code text} is a W3C {@code traceparent}: {@code 00-<32 hex>-<16 hex>-<2 hex>} in
     *     lower case, neither id all zeros (a later version's longer form is refused rather than cut)
     */
    static boolean isTraceParent(String text) {
        if (text == null || text.length() != 55 || !text.startsWith("00-")) {
            return false;
        }
        for (int i = 3; i < 55; i++) {
            char c = text.charAt(i);
            boolean dash = i == 35 || i == 52;
            if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return !text.substring(3, 35).matches("0+") && !text.substring(36, 52).matches("0+");
    }

    /**
     * What a start did.
     *
     * @param status the run's status after the start
     * @param created {@code true} when this call created the run; {@code false} when the batch already had
     *     it, with an equal input, and nothing changed
     */
    public record Started(BatchStatus status, boolean created) {}

    /**
     * @param batchId the batch
     * @return its status, or empty when it has no run; a fanned-out stage the batch has reached reports its shards
     */
    public Optional<BatchStatus> status(long batchId) {
        return store.find(batchId).map(r -> BatchStatus.of(pipeline, r, shardsOf(r)));
    }

    /** @return the shards of each fan-out stage the batch has reached, by stage, for those that have any */
    private Map<String, BatchStatus.Shards> shardsOf(BatchRecord r) {
        if (!pipeline.fansOut()) {
            return Map.of();
        }
        int reached = pipeline.contains(r.stage())
                ? pipeline.indexOf(r.stage())
                : pipeline.stages().size();
        Map<String, BatchStatus.Shards> shards = new HashMap<>();
        for (Pipeline.StageSpec spec : pipeline.stages()
                .subList(0, Math.min(reached + 1, pipeline.stages().size()))) {
            if (spec.fanOut() != null) {
                List<ShardRecord> rows = store.shards(r.batchId(), spec.name());
                if (!rows.isEmpty()) {
                    shards.put(spec.name(), BatchStatus.Shards.of(rows));
                }
            }
        }
        return shards;
    }

    /**
     * Reads the input a batch was started with.
     *
     * @param batchId the batch
     * @param type the type to read it as (Jackson)
     * @param <T> the input type
     * @return the input; empty when the batch has no run, no input, or a JSON {@code null} one
     * @throws StageValueException if the stored input cannot be read as {@code type}
     */
    public <T> Optional<T> input(long batchId, Class<T> type) {
        return json.readInput(store, type, batchId, pipeline.first().name()).flatMap(value -> value);
    }

    /**
     * Retries a failed (or cancelled) batch from the stage it stopped at, with fresh attempts.
     *
     * @param batchId the batch
     * @return the new status
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch has not failed or been cancelled
     */
    public BatchStatus retry(long batchId) {
        BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        if (r.state() != BatchState.FAILED && r.state() != BatchState.CANCELLED) {
            throw new BatchConflictException(
                    batchId,
                    "batch " + batchId + " is " + r.state().dbValue() + " at stage '" + r.stage()
                            + "'; only a failed or cancelled batch can be retried (use restart to run a stage again)");
        }
        return reset(r, r.stage());
    }

    /**
     * Runs a batch again from {@code stage}: the outputs of that stage and every later one are
     * deleted and the batch becomes pending there; its input is kept. A running invocation commits
     * nothing afterwards.
     *
     * @param batchId the batch
     * @param stage the stage to start from
     * @return the new status
     * @throws UnknownStageException if the pipeline has no such stage
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch changed while restarting; try again
     */
    public BatchStatus restart(long batchId, String stage) {
        pipeline.stage(stage);
        BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        return reset(r, stage);
    }

    private BatchStatus reset(BatchRecord r, String stage) {
        List<String> names = pipeline.stageNames();
        List<String> later = names.subList(pipeline.indexOf(stage) + 1, names.size());
        BatchRecord moved = store.reset(r.batchId(), stage, later, r.version())
                .orElseThrow(() -> new BatchConflictException(
                        r.batchId(),
                        "batch " + r.batchId() + " changed while it was being reset to '" + stage
                                + "'; read its status and try again"));
        if (trigger != null) {
            Firing.fire(LOG, trigger, moved.batchId(), stage, moved.traceContext());
        }
        return BatchStatus.of(pipeline, moved);
    }

    /**
     * Cancels a batch that has not ended: a running invocation finishes, commits nothing, and no
     * further stage runs.
     *
     * @param batchId the batch
     * @return the new status
     * @throws BatchNotFoundException if the batch has no run
     * @throws BatchConflictException if the batch has already completed, failed or been cancelled
     */
    public BatchStatus cancel(long batchId) {
        return store.cancel(batchId).map(r -> BatchStatus.of(pipeline, r)).orElseThrow(() -> {
            BatchRecord r = store.find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
            return new BatchConflictException(
                    batchId,
                    "batch " + batchId + " is already " + r.state().dbValue()
                            + "; only a pending or running batch can be cancelled");
        });
    }

    /**
     * @param states the states to list, empty for all
     * @param offset rows to skip, at least 0
     * @param limit page size, 1 to 1000
     * @return one page, oldest change first
     * @throws IllegalArgumentException on a bad page
     */
    public List<BatchStatus> list(Set<BatchState> states, int offset, int limit) {
        if (offset < 0 || limit < 1 || limit > 1000) {
            throw new IllegalArgumentException(
                    "offset must be >= 0 and limit in 1..1000, got offset=" + offset + " limit=" + limit);
        }
        return store.list(states, offset, limit).stream()
                .map(r -> BatchStatus.of(pipeline, r))
                .toList();
    }

    /**
     * @param pendingGrace how long a due pending batch may wait for its trigger before it counts as stalled
     * @param limit at most this many, 1 to 1000
     * @return batches with an expired lease or a lost trigger
     * @throws IllegalArgumentException on a bad limit
     */
    public List<BatchStatus> stalled(Duration pendingGrace, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
        }
        return store.findStalled(pendingGrace, limit).stream()
                .map(r -> BatchStatus.of(pipeline, r))
                .toList();
    }

    /**
     * Retention: deletes the batches in {@code states} that finished more than {@code olderThan} ago (by the
     * store's clock, from the time of their last change, which for a finished batch is when it finished),
     * with their outputs, partial outputs and input. It works in pages of {@value #PURGE_PAGE} batches, one
     * short transaction each, and never waits for a row: a batch being changed at that moment is left for the
     * next purge. A running batch is never touched and never waits on a purge; an operation on a batch being
     * purged waits for at most one page. A purged batch is forgotten: its status is empty, and a start of its id
     * is a new run. The host's own tables are left alone.
     *
     * @param olderThan how long ago a batch must have finished; zero purges every finished batch
     * @param states which finished states to purge: {@link BatchState#COMPLETED}, {@link BatchState#CANCELLED}
     *     and/or {@link BatchState#FAILED}
     * @return how many batches were deleted
     * @throws IllegalArgumentException if {@code states} is empty or names {@code pending} or
     *     {@code in_progress}, or {@code olderThan} is negative
     * @throws UnsupportedOperationException if the store does not implement {@link StageStore#purgeFinished}
     */
    public long purge(Duration olderThan, Set<BatchState> states) {
        return Retention.purge(LOG, store, olderThan, states, PURGE_PAGE);
    }

    /**
     * Searches batches by state, stage, error text and id, most recently changed first.
     *
     * @param query the conditions
     * @param offset rows to skip, at least 0
     * @param limit page size, 1 to 1000
     * @return one page
     * @throws IllegalArgumentException on a bad page
     */
    public List<BatchStatus> search(BatchQuery query, int offset, int limit) {
        Objects.requireNonNull(query, "query");
        if (offset < 0 || limit < 1 || limit > 1000) {
            throw new IllegalArgumentException(
                    "offset must be >= 0 and limit in 1..1000, got offset=" + offset + " limit=" + limit);
        }
        return store.search(query, offset, limit).stream()
                .map(r -> BatchStatus.of(pipeline, r))
                .toList();
    }

    /** @return the pipeline's stage names, in order */
    public List<String> stageNames() {
        return pipeline.stageNames();
    }

    /**
     * Reads the beginning of a stage's committed output (the partial output of a sliced stage in
     * progress), streamed: a chunked output is read only as far as {@code maxChars}.
     *
     * @param batchId the batch
     * @param stage a stage of the pipeline
     * @param maxChars most characters returned, 1 to 1,000,000
     * @return the JSON text's first characters and whether there was more; empty when the stage has no output
     * @throws UnknownStageException if the pipeline has no such stage
     * @throws IllegalArgumentException if {@code maxChars} is out of range
     */
    public Optional<OutputPreview> outputPreview(long batchId, String stage, int maxChars) {
        pipeline.stage(stage);
        if (maxChars < 1 || maxChars > 1_000_000) {
            throw new IllegalArgumentException("maxChars must be in 1..1000000, got " + maxChars);
        }
        return store.readOutput(batchId, stage, in -> {
            char[] buffer = new char[maxChars + 1];
            int n = 0;
            int read;
            while (n < buffer.length && (read = in.read(buffer, n, buffer.length - n)) >= 0) {
                n += read;
            }
            if (n <= maxChars) {
                return new OutputPreview(new String(buffer, 0, n), false);
            }
            int cut = Character.isHighSurrogate(buffer[maxChars - 1]) ? maxChars - 1 : maxChars;
            return new OutputPreview(new String(buffer, 0, cut), true);
        });
    }

    /**
     * The first characters of a stage's output.
     *
     * @param text the JSON text, cut after the characters asked for
     * @param truncated {@code true} when the output is longer than {@code text}
     */
    public record OutputPreview(String text, boolean truncated) {}

    /** @return the number of batches per state, every state present */
    public Map<BatchState, Long> countByState() {
        return store.countByState();
    }

    /**
     * @return unfinished batches ({@code pending} or {@code in_progress}) per stage name that this
     *     pipeline does not have: no runner or sweeper of this pipeline will run them; restart them from
     *     one of its stages, cancel them, or deploy the pipeline that has the stage
     */
    public Map<String, Long> atUnknownStages() {
        return store.countActiveOutside(Set.copyOf(pipeline.stageNames()));
    }

    /** Builds a {@link BatchClient}; building starts nothing. Not thread-safe. */
    public static final class Builder {
        private final Pipeline pipeline;
        private final StageStore store;
        private Trigger trigger;
        private ObjectMapper objectMapper = Json.defaultMapper();
        private StageInterceptor interceptor = StageInterceptor.NONE;

        private Builder(Pipeline pipeline, StageStore store) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * @param interceptor chooses the trace context of each batch this client creates; default
         *     {@link StageInterceptor#NONE}, which keeps the one a start is given
         * @return this
         */
        public Builder interceptor(StageInterceptor interceptor) {
            this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
            return this;
        }

        /**
         * @param trigger fires the first stage of a started batch, and the stage a retried or restarted
         *     one resumes at; without one they wait for the queue workers or the sweeper
         * @return this
         */
        public Builder trigger(Trigger trigger) {
            this.trigger = Objects.requireNonNull(trigger, "trigger");
            return this;
        }

        /**
         * @param objectMapper the Jackson mapper for inputs; copied, never changed
         * @return this
         */
        public Builder objectMapper(ObjectMapper objectMapper) {
            this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
            return this;
        }

        /** @return the client */
        public BatchClient build() {
            return new BatchClient(pipeline, store, trigger, new Json(objectMapper), interceptor, null);
        }

        /**
         * The client of a runner, which shares its store and trigger: a start due now claims the first stage for
         * {@code owner} in its create when the trigger has a worker free for it.
         */
        BatchClient build(Json json, String owner, Duration lease) {
            return new BatchClient(pipeline, store, trigger, json, interceptor, new Claims(owner, lease));
        }
    }
}
