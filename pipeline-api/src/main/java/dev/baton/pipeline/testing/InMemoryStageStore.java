package dev.baton.pipeline.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link StageStore} in memory, for fast tests of stages and hosts. It follows the same contract
 * as the PostgreSQL store (the testkit's {@code StageStoreContract}), with the given clock standing in for the
 * database's, fan-out included (shard outputs are kept under their {@linkplain ShardRecord#dataKey() data keys}
 * beside the stages' outputs, and joined in memory). Nothing survives the JVM. Thread-safe (every method is atomic).
 */
public final class InMemoryStageStore implements StageStore {
    private static final JsonFactory JSON = new JsonFactory();

    private final Clock clock;
    private final Map<Long, BatchRecord> rows = new HashMap<>();
    private final Map<Long, Map<String, String>> outputs = new HashMap<>();
    private final Map<Long, String> inputs = new HashMap<>();
    private final Map<Long, String> traceContexts = new HashMap<>();
    /** The shards of each batch's fanned-out stages, by batch then stage. */
    private final Map<Long, Map<String, Fan>> fans = new HashMap<>();
    /** The last version given to a shard: shard versions grow across the store, so no new shard reuses one. */
    private long shardVersions;

    /** @param clock the clock that decides leases and due times */
    public InMemoryStageStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A store on the system clock. */
    public InMemoryStageStore() {
        this(Clock.systemUTC());
    }

    @Override
    public synchronized Created create(
            long batchId, String firstStage, JsonSource input, Duration startAfter, String traceContext) {
        String text = input == null ? null : text("the input of batch " + batchId, input);
        BatchRecord existing = rows.get(batchId);
        if (existing != null) {
            if (Objects.equals(text, inputs.get(batchId))) {
                return new Created(existing, false);
            }
            throw new BatchConflictException(
                    batchId,
                    "batch " + batchId + " already has a run ("
                            + existing.state().dbValue()
                            + " at stage '" + existing.stage() + "') that was started with "
                            + (!existing.hasInput() ? "no input" : text == null ? "an input" : "another input")
                            + "; give the new work its own batch id, or retry or restart the existing run");
        }
        Instant now = clock.instant();
        BatchRecord r = new BatchRecord(
                batchId,
                firstStage,
                BatchState.PENDING,
                1,
                null,
                0,
                null,
                null,
                now.plus(startAfter),
                null,
                Map.of(),
                now,
                now,
                text != null);
        if (text != null) {
            inputs.put(batchId, text);
        }
        if (traceContext != null) {
            traceContexts.put(batchId, traceContext);
        }
        return new Created(put(r), true);
    }

    /** {@inheritDoc} Atomic here: the create and the claim happen under the store's lock, as one step. */
    @Override
    public synchronized Created createClaimed(
            long batchId, String firstStage, JsonSource input, String traceContext, String owner, Duration lease) {
        Objects.requireNonNull(owner, "owner");
        Created created = create(batchId, firstStage, input, Duration.ZERO, traceContext);
        if (!created.isNew()) {
            return created;
        }
        BatchRecord claim = claim(batchId, firstStage, owner, lease)
                .orElseThrow(() -> new IllegalStateException(
                        "batch " + batchId + " stage '" + firstStage + "': a run created due now was not claimable"));
        return new Created(claim, true);
    }

    @Override
    public <T> Optional<T> readInput(long batchId, JsonReader<T> reader) {
        String text;
        synchronized (this) {
            text = inputs.get(batchId);
        }
        return read(text, reader);
    }

    @Override
    public synchronized Optional<BatchRecord> find(long batchId) {
        return Optional.ofNullable(rows.get(batchId));
    }

    @Override
    public synchronized Optional<BatchRecord> claim(long batchId, String stage, String owner, Duration lease) {
        BatchRecord r = rows.get(batchId);
        Instant now = clock.instant();
        if (r == null
                || r.state() != BatchState.PENDING
                || !r.stage().equals(stage)
                || r.runAfter().isAfter(now)) {
            return Optional.empty();
        }
        return Optional.of(put(new BatchRecord(
                batchId,
                stage,
                BatchState.IN_PROGRESS,
                r.attempt(),
                r.error(),
                r.version() + 1,
                owner,
                now.plus(lease),
                r.runAfter(),
                r.cursor(),
                r.stageStats(),
                r.createdAt(),
                now,
                r.hasInput())));
    }

    private boolean holds(BatchRecord claim) {
        BatchRecord r = rows.get(claim.batchId());
        return r != null
                && r.state() == BatchState.IN_PROGRESS
                && r.version() == claim.version()
                && Objects.equals(r.leaseOwner(), claim.leaseOwner());
    }

    @Override
    public synchronized boolean heartbeat(BatchRecord claim, Duration lease) {
        if (!holds(claim)) {
            return false;
        }
        BatchRecord r = rows.get(claim.batchId());
        put(new BatchRecord(
                r.batchId(),
                r.stage(),
                r.state(),
                r.attempt(),
                r.error(),
                r.version(),
                r.leaseOwner(),
                clock.instant().plus(lease),
                r.runAfter(),
                r.cursor(),
                r.stageStats(),
                r.createdAt(),
                r.updatedAt(),
                r.hasInput()));
        return true;
    }

    @Override
    public <T> Optional<T> readOutput(long batchId, String stage, JsonReader<T> reader) {
        String text;
        synchronized (this) {
            text = outputs.getOrDefault(batchId, Map.of()).get(stage);
        }
        return read(text, reader);
    }

    private static <T> Optional<T> read(String text, JsonReader<T> reader) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(reader.read(new StringReader(text)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The source's text; like the PostgreSQL store, null text and a source that fails are refused. */
    private static String text(BatchRecord claim, JsonSource source, String what) {
        return text("the " + what + " of stage '" + claim.stage() + "' of batch " + claim.batchId(), source);
    }

    private static String text(String where, JsonSource source) {
        if (source.isText() && source.text().isEmpty()) {
            throw new UnstorableValueException(where + " is null; store the JSON text \"null\" instead");
        }
        StringWriter out = new StringWriter();
        try {
            source.writeTo(out);
        } catch (IOException | RuntimeException e) {
            throw new UnstorableValueException(where + " could not be written: " + e.getMessage(), e);
        }
        return out.toString();
    }

    @Override
    public boolean advance(BatchRecord claim, JsonSource output, String nextStage, StageStats stats) {
        String text = text(claim, output, "output");
        synchronized (this) {
            return advanceHeld(claim, text, nextStage, stats);
        }
    }

    private boolean advanceHeld(BatchRecord claim, String output, String nextStage, StageStats stats) {
        if (!holds(claim)) {
            return false;
        }
        outputs.computeIfAbsent(claim.batchId(), b -> new HashMap<>()).put(claim.stage(), output);
        boolean done = Pipeline.COMPLETED.equals(nextStage);
        BatchRecord r = rows.get(claim.batchId());
        Instant now = clock.instant();
        put(new BatchRecord(
                r.batchId(),
                nextStage,
                done ? BatchState.COMPLETED : BatchState.PENDING,
                1,
                null,
                r.version() + 1,
                null,
                null,
                now,
                null,
                withStats(r, stats),
                r.createdAt(),
                now,
                r.hasInput()));
        return true;
    }

    @Override
    public boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats) {
        String text = text(claim, partialOutput, "partial output");
        synchronized (this) {
            return saveHeld(claim, cursor, text, stats);
        }
    }

    private boolean saveHeld(BatchRecord claim, String cursor, String partialOutput, StageStats stats) {
        if (!holds(claim)) {
            return false;
        }
        outputs.computeIfAbsent(claim.batchId(), b -> new HashMap<>()).put(claim.stage(), partialOutput);
        BatchRecord r = rows.get(claim.batchId());
        Instant now = clock.instant();
        put(new BatchRecord(
                r.batchId(),
                r.stage(),
                BatchState.PENDING,
                r.attempt(),
                r.error(),
                r.version() + 1,
                null,
                null,
                now,
                cursor,
                withStats(r, stats),
                r.createdAt(),
                now,
                r.hasInput()));
        return true;
    }

    @Override
    public synchronized boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats) {
        if (!holds(claim)) {
            return false;
        }
        BatchRecord r = rows.get(claim.batchId());
        Instant now = clock.instant();
        put(new BatchRecord(
                r.batchId(),
                r.stage(),
                BatchState.PENDING,
                r.attempt() + 1,
                error,
                r.version() + 1,
                null,
                null,
                now.plus(backoff),
                r.cursor(),
                withStats(r, stats),
                r.createdAt(),
                now,
                r.hasInput()));
        return true;
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
        if (nextAttempt < 1) {
            throw new UnstorableValueException("batch " + claim.batchId() + " stage '" + claim.stage()
                    + "': the next attempt must be at least 1, got " + nextAttempt);
        }
        String text = text(claim, partialOutput, "partial output");
        synchronized (this) {
            if (!holds(claim)) {
                return false;
            }
            outputs.computeIfAbsent(claim.batchId(), b -> new HashMap<>()).put(claim.stage(), text);
            BatchRecord r = rows.get(claim.batchId());
            Instant now = clock.instant();
            put(new BatchRecord(
                    r.batchId(),
                    r.stage(),
                    BatchState.PENDING,
                    nextAttempt,
                    error,
                    r.version() + 1,
                    null,
                    null,
                    now.plus(backoff),
                    cursor,
                    withStats(r, stats),
                    r.createdAt(),
                    now,
                    r.hasInput()));
            return true;
        }
    }

    @Override
    public synchronized boolean fail(BatchRecord claim, String error, StageStats stats) {
        if (!holds(claim)) {
            return false;
        }
        BatchRecord r = rows.get(claim.batchId());
        Instant now = clock.instant();
        put(new BatchRecord(
                r.batchId(),
                r.stage(),
                BatchState.FAILED,
                r.attempt(),
                error,
                r.version() + 1,
                null,
                null,
                r.runAfter(),
                r.cursor(),
                withStats(r, stats),
                r.createdAt(),
                now,
                r.hasInput()));
        return true;
    }

    @Override
    public synchronized List<BatchRecord> findStalled(Duration pendingGrace, int limit) {
        return stalled(pendingGrace, limit, stage -> true);
    }

    @Override
    public synchronized List<BatchRecord> findStalled(Duration pendingGrace, int limit, Set<String> stages) {
        return stalled(pendingGrace, limit, stages::contains);
    }

    @Override
    public synchronized Map<String, Long> countActiveOutside(Set<String> stages) {
        Map<String, Long> counts = new TreeMap<>();
        rows.values().stream()
                .filter(r -> !r.state().isFinal() && !stages.contains(r.stage()))
                .forEach(r -> counts.merge(r.stage(), 1L, Long::sum));
        return counts;
    }

    private List<BatchRecord> stalled(Duration pendingGrace, int limit, java.util.function.Predicate<String> atStage) {
        Instant now = clock.instant();
        return rows.values().stream()
                .filter(r -> atStage.test(r.stage()) && isStalled(r, now, pendingGrace))
                .sorted(Comparator.comparing(BatchRecord::updatedAt).thenComparing(BatchRecord::batchId))
                .limit(limit)
                .toList();
    }

    private static boolean isStalled(BatchRecord r, Instant now, Duration grace) {
        if (r.state() == BatchState.IN_PROGRESS) {
            return r.leaseUntil() != null && r.leaseUntil().isBefore(now);
        }
        return r.state() == BatchState.PENDING
                && !r.runAfter().plus(grace).isAfter(now)
                && !r.updatedAt().plus(grace).isAfter(now);
    }

    @Override
    public synchronized Optional<BatchRecord> rescue(BatchRecord stalled, String error, boolean exhausted) {
        BatchRecord r = rows.get(stalled.batchId());
        if (r == null || r.version() != stalled.version() || r.state() != stalled.state()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (r.state() == BatchState.PENDING) {
            return Optional.of(put(new BatchRecord(
                    r.batchId(),
                    r.stage(),
                    r.state(),
                    r.attempt(),
                    r.error(),
                    r.version() + 1,
                    null,
                    null,
                    r.runAfter(),
                    r.cursor(),
                    r.stageStats(),
                    r.createdAt(),
                    now,
                    r.hasInput())));
        }
        if (r.state() != BatchState.IN_PROGRESS) {
            return Optional.empty();
        }
        return Optional.of(put(
                exhausted
                        ? new BatchRecord(
                                r.batchId(),
                                r.stage(),
                                BatchState.FAILED,
                                r.attempt(),
                                error,
                                r.version() + 1,
                                null,
                                null,
                                r.runAfter(),
                                r.cursor(),
                                r.stageStats(),
                                r.createdAt(),
                                now,
                                r.hasInput())
                        : new BatchRecord(
                                r.batchId(),
                                r.stage(),
                                BatchState.PENDING,
                                r.attempt() + 1,
                                error,
                                r.version() + 1,
                                null,
                                null,
                                now,
                                r.cursor(),
                                r.stageStats(),
                                r.createdAt(),
                                now,
                                r.hasInput())));
    }

    @Override
    public synchronized Optional<BatchRecord> cancel(long batchId) {
        BatchRecord r = rows.get(batchId);
        if (r == null || r.state().isFinal()) {
            return Optional.empty();
        }
        Map<String, Fan> fanned = fans.remove(batchId);
        if (fanned != null) {
            fanned.forEach((stage, fan) -> deleteShardOutputs(batchId, stage, fan));
        }
        return Optional.of(put(new BatchRecord(
                r.batchId(),
                r.stage(),
                BatchState.CANCELLED,
                r.attempt(),
                r.error(),
                r.version() + 1,
                null,
                null,
                r.runAfter(),
                r.cursor(),
                r.stageStats(),
                r.createdAt(),
                clock.instant(),
                r.hasInput())));
    }

    @Override
    public synchronized Optional<BatchRecord> reset(
            long batchId, String stage, List<String> laterStages, long expectedVersion) {
        BatchRecord r = rows.get(batchId);
        if (r == null || (expectedVersion >= 0 && r.version() != expectedVersion)) {
            return Optional.empty();
        }
        Map<String, String> out = outputs.getOrDefault(batchId, new HashMap<>());
        out.remove(stage);
        laterStages.forEach(out::remove);
        deleteShards(batchId, stage);
        laterStages.forEach(later -> deleteShards(batchId, later));
        Map<String, StageStats> stats = new HashMap<>(r.stageStats());
        stats.remove(stage);
        laterStages.forEach(stats::remove);
        Instant now = clock.instant();
        return Optional.of(put(new BatchRecord(
                batchId,
                stage,
                BatchState.PENDING,
                1,
                null,
                r.version() + 1,
                null,
                null,
                now,
                null,
                stats,
                r.createdAt(),
                now,
                r.hasInput())));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Atomic, like every method here; one output or input counts as one row, whatever its size.
     */
    @Override
    public synchronized Purged purgeFinished(Duration olderThan, Set<BatchState> states, long afterBatchId, int limit) {
        Purged.check(olderThan, states, limit);
        Instant cutoff = clock.instant().minus(olderThan);
        List<Long> doomed = rows.values().stream()
                .filter(r -> r.batchId() > afterBatchId
                        && states.contains(r.state())
                        && r.updatedAt().isBefore(cutoff))
                .map(BatchRecord::batchId)
                .sorted()
                .limit(limit)
                .toList();
        long dataRows = 0;
        for (long id : doomed) {
            rows.remove(id);
            fans.remove(id);
            Map<String, String> out = outputs.remove(id);
            dataRows += (out == null ? 0 : out.size()) + (inputs.remove(id) == null ? 0 : 1);
        }
        return new Purged(doomed, dataRows);
    }

    @Override
    public synchronized List<BatchRecord> list(Set<BatchState> states, int offset, int limit) {
        return rows.values().stream()
                .filter(r -> states.isEmpty() || states.contains(r.state()))
                .sorted(Comparator.comparing(BatchRecord::updatedAt).thenComparing(BatchRecord::batchId))
                .skip(offset)
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized List<BatchRecord> search(BatchQuery query, int offset, int limit) {
        return rows.values().stream()
                .filter(query::matches)
                .sorted(Comparator.comparing(BatchRecord::updatedAt)
                        .thenComparing(BatchRecord::batchId)
                        .reversed())
                .skip(offset)
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized Map<BatchState, Long> countByState() {
        Map<BatchState, Long> counts = new EnumMap<>(BatchState.class);
        for (BatchState s : BatchState.values()) {
            counts.put(s, 0L);
        }
        rows.values().forEach(r -> counts.merge(r.state(), 1L, Long::sum));
        return counts;
    }

    @Override
    public synchronized void recordTriggerError(long batchId, String stage, String error) {
        rows.computeIfPresent(
                batchId,
                (id, r) -> r.state() != BatchState.PENDING || !r.stage().equals(stage)
                        ? r
                        : new BatchRecord(
                                r.batchId(),
                                r.stage(),
                                r.state(),
                                r.attempt(),
                                error,
                                r.version(),
                                r.leaseOwner(),
                                r.leaseUntil(),
                                r.runAfter(),
                                r.cursor(),
                                r.stageStats(),
                                r.createdAt(),
                                r.updatedAt(),
                                r.hasInput()));
    }

    // ---- fan-out ----

    /** The shards of one fanned-out stage of one batch, with the plan they were made from. */
    private static final class Fan {
        final ShardPlan plan;
        final ShardRecord[] shards;
        /** When each shard last changed (the sweeper's grace counts from it, as a batch's from updated_at). */
        final Instant[] updatedAt;

        Fan(ShardPlan plan) {
            this.plan = plan;
            this.shards = new ShardRecord[plan.shards()];
            this.updatedAt = new Instant[plan.shards()];
        }

        boolean allCompletedBut(int shard) {
            for (ShardRecord s : shards) {
                if (s.shard() != shard && s.state() != ShardState.COMPLETED) {
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public synchronized Optional<List<ShardRecord>> fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        Objects.requireNonNull(plan, "plan");
        if (!holds(claim)) {
            return Optional.empty();
        }
        long batchId = claim.batchId();
        BatchRecord r = rows.get(batchId);
        Instant now = clock.instant();
        Fan old = fans.getOrDefault(batchId, Map.of()).get(r.stage());
        if (old != null) {
            deleteShardOutputs(batchId, r.stage(), old);
        }
        Fan fan = new Fan(plan);
        List<ShardRecord> due = new ArrayList<>();
        for (int k = 0; k < plan.shards(); k++) {
            ShardState state = due.size() < plan.parallelism() ? ShardState.PENDING : ShardState.WAITING;
            fan.shards[k] = new ShardRecord(
                    batchId,
                    r.stage(),
                    k,
                    plan.shards(),
                    state,
                    1,
                    null,
                    ++shardVersions,
                    null,
                    null,
                    now,
                    null,
                    plan.from(k),
                    plan.to(k),
                    plan.items(),
                    null,
                    null,
                    r.hasInput(),
                    traceContexts.get(batchId));
            fan.updatedAt[k] = now;
            if (state == ShardState.PENDING) {
                due.add(fan.shards[k]);
            }
        }
        fans.computeIfAbsent(batchId, b -> new HashMap<>()).put(r.stage(), fan);
        put(new BatchRecord(
                batchId,
                r.stage(),
                BatchState.IN_PROGRESS,
                r.attempt(),
                r.error(),
                r.version() + 1,
                SHARDS_OWNER,
                null,
                r.runAfter(),
                r.cursor(),
                withStats(r, stats),
                r.createdAt(),
                now,
                r.hasInput()));
        return Optional.of(List.copyOf(due));
    }

    /** @return the shards of the stage when the batch is fanned out at it, else null */
    private Fan fanned(long batchId, String stage) {
        BatchRecord r = rows.get(batchId);
        if (r == null
                || r.state() != BatchState.IN_PROGRESS
                || !r.stage().equals(stage)
                || !SHARDS_OWNER.equals(r.leaseOwner())) {
            return null;
        }
        return fans.getOrDefault(batchId, Map.of()).get(stage);
    }

    /** @return the shards of the claim's stage when the claim still holds its shard, else null */
    private Fan holdsShard(ShardRecord claim) {
        Fan fan = fanned(claim.batchId(), claim.stage());
        if (fan == null || claim.shard() < 0 || claim.shard() >= fan.shards.length) {
            return null;
        }
        ShardRecord s = fan.shards[claim.shard()];
        return s.state() == ShardState.IN_PROGRESS
                        && s.version() == claim.version()
                        && Objects.equals(s.leaseOwner(), claim.leaseOwner())
                ? fan
                : null;
    }

    private static ShardRecord with(
            ShardRecord s,
            ShardState state,
            int attempt,
            String error,
            long version,
            String leaseOwner,
            Instant leaseUntil,
            Instant runAfter,
            String cursor,
            Instant startedAt,
            Instant finishedAt) {
        return new ShardRecord(
                s.batchId(),
                s.stage(),
                s.shard(),
                s.shards(),
                state,
                attempt,
                error,
                version,
                leaseOwner,
                leaseUntil,
                runAfter,
                cursor,
                s.fromItem(),
                s.toItem(),
                s.items(),
                startedAt,
                finishedAt,
                s.hasInput(),
                s.traceContext());
    }

    /** Stores a changed shard, which moves its {@code updatedAt}; returns it. */
    private ShardRecord set(Fan fan, ShardRecord s, Instant now) {
        fan.shards[s.shard()] = s;
        fan.updatedAt[s.shard()] = now;
        return s;
    }

    @Override
    public synchronized Optional<ShardRecord> claimShard(
            long batchId, String stage, int shard, String owner, Duration lease) {
        Fan fan = fanned(batchId, stage);
        if (fan == null || shard < 0 || shard >= fan.shards.length) {
            return Optional.empty();
        }
        ShardRecord s = fan.shards[shard];
        Instant now = clock.instant();
        if (s.state() != ShardState.PENDING || s.runAfter().isAfter(now)) {
            return Optional.empty();
        }
        return Optional.of(set(
                fan,
                with(
                        s,
                        ShardState.IN_PROGRESS,
                        s.attempt(),
                        s.error(),
                        ++shardVersions,
                        owner,
                        now.plus(lease),
                        s.runAfter(),
                        s.cursor(),
                        s.startedAt() != null ? s.startedAt() : now,
                        null),
                now));
    }

    @Override
    public synchronized boolean heartbeatShard(ShardRecord claim, Duration lease) {
        Fan fan = holdsShard(claim);
        if (fan == null) {
            return false;
        }
        ShardRecord s = fan.shards[claim.shard()];
        fan.shards[claim.shard()] = with(
                s,
                s.state(),
                s.attempt(),
                s.error(),
                s.version(),
                s.leaseOwner(),
                clock.instant().plus(lease),
                s.runAfter(),
                s.cursor(),
                s.startedAt(),
                s.finishedAt());
        return true;
    }

    @Override
    public boolean saveShardProgress(
            ShardRecord claim, String cursor, JsonSource partialOutput, int attempt, String error, Duration backoff) {
        if (attempt < 1) {
            throw new UnstorableValueException(
                    claim.describe() + ": the next attempt must be at least 1, got " + attempt);
        }
        String text = text("the partial output of " + claim.describe(), partialOutput);
        synchronized (this) {
            Fan fan = holdsShard(claim);
            if (fan == null) {
                return false;
            }
            outputs.computeIfAbsent(claim.batchId(), b -> new HashMap<>()).put(claim.dataKey(), text);
            ShardRecord s = fan.shards[claim.shard()];
            Instant now = clock.instant();
            set(
                    fan,
                    with(
                            s,
                            ShardState.PENDING,
                            attempt,
                            error,
                            ++shardVersions,
                            null,
                            null,
                            now.plus(backoff),
                            cursor,
                            s.startedAt(),
                            null),
                    now);
            return true;
        }
    }

    @Override
    public synchronized boolean retryShard(ShardRecord claim, String error, Duration backoff) {
        Fan fan = holdsShard(claim);
        if (fan == null) {
            return false;
        }
        ShardRecord s = fan.shards[claim.shard()];
        Instant now = clock.instant();
        set(
                fan,
                with(
                        s,
                        ShardState.PENDING,
                        s.attempt() + 1,
                        error,
                        ++shardVersions,
                        null,
                        null,
                        now.plus(backoff),
                        s.cursor(),
                        s.startedAt(),
                        null),
                now);
        return true;
    }

    @Override
    public ShardCommit completeShard(ShardRecord claim, JsonSource output, String nextStage) {
        String where = "the output of " + claim.describe();
        String text = text(where, output);
        String elements = arrayElements(where, text);
        synchronized (this) {
            Fan fan = holdsShard(claim);
            if (fan == null) {
                return ShardCommit.LOST;
            }
            long batchId = claim.batchId();
            Map<String, String> out = outputs.computeIfAbsent(batchId, b -> new HashMap<>());
            Instant now = clock.instant();
            if (fan.allCompletedBut(claim.shard())) {
                String joined = join(claim, fan, out, elements);
                ShardRecord s = fan.shards[claim.shard()];
                set(fan, completed(s, now), now);
                deleteShardOutputs(batchId, claim.stage(), fan);
                out.put(claim.stage(), joined);
                BatchRecord r = rows.get(batchId);
                StageStats st = r.statsOf(r.stage());
                boolean done = Pipeline.COMPLETED.equals(nextStage);
                put(new BatchRecord(
                        batchId,
                        nextStage,
                        done ? BatchState.COMPLETED : BatchState.PENDING,
                        1,
                        null,
                        r.version() + 1,
                        null,
                        null,
                        now,
                        null,
                        withStats(
                                r,
                                new StageStats(
                                        st.attempts(), st.invocations(), st.maxInvocationMs(), st.startedAt(), now)),
                        r.createdAt(),
                        now,
                        r.hasInput()));
                return new ShardCommit(true, true, List.of());
            }
            out.put(claim.dataKey(), text);
            set(fan, completed(fan.shards[claim.shard()], now), now);
            List<ShardRecord> released = new ArrayList<>();
            for (ShardRecord w : fan.shards) {
                if (w.state() == ShardState.WAITING) {
                    released.add(set(
                            fan,
                            with(
                                    w,
                                    ShardState.PENDING,
                                    w.attempt(),
                                    w.error(),
                                    ++shardVersions,
                                    null,
                                    null,
                                    now,
                                    w.cursor(),
                                    w.startedAt(),
                                    null),
                            now));
                    break;
                }
            }
            return new ShardCommit(true, false, released);
        }
    }

    private ShardRecord completed(ShardRecord s, Instant now) {
        return with(
                s,
                ShardState.COMPLETED,
                s.attempt(),
                null,
                ++shardVersions,
                null,
                null,
                s.runAfter(),
                s.cursor(),
                s.startedAt(),
                now);
    }

    /**
     * The stage's output: the elements of every shard's array, in shard order, {@code lastElements} standing for
     * the claim's shard. The stored outputs were checked when they were committed.
     */
    private static String join(ShardRecord claim, Fan fan, Map<String, String> out, String lastElements) {
        StringBuilder joined = new StringBuilder("[");
        for (int k = 0; k < fan.shards.length; k++) {
            String elements;
            if (k == claim.shard()) {
                elements = lastElements;
            } else {
                String stored = out.get(ShardRecord.dataKey(claim.stage(), k));
                if (stored == null) {
                    throw new UnstorableValueException("the joined output of batch " + claim.batchId() + " stage '"
                            + claim.stage() + "' lacks the output of its completed shard " + k);
                }
                elements = arrayElements("the output of shard " + k + " of " + claim.describe(), stored);
            }
            if (!elements.isEmpty()) {
                joined.append(joined.length() > 1 ? "," : "").append(elements);
            }
        }
        return joined.append(']').toString();
    }

    /**
     * Checks that {@code text} is one JSON array and returns the text of its elements (empty for none), as
     * written, so that the join keeps every element exactly.
     */
    private static String arrayElements(String where, String text) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new UnstorableValueException(where + " is not a JSON array, which a shard's output must be");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new UnstorableValueException(where + " holds more than one JSON value");
            }
        } catch (IOException e) {
            throw new UnstorableValueException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        String array = text.strip();
        if (array.isEmpty() || array.charAt(0) != '[' || array.charAt(array.length() - 1) != ']') {
            throw new UnstorableValueException(where + " is not a plain JSON array");
        }
        return array.substring(1, array.length() - 1).strip();
    }

    @Override
    public synchronized boolean failShard(ShardRecord claim, String error) {
        Fan fan = holdsShard(claim);
        if (fan == null) {
            return false;
        }
        failFan(fan, claim.batchId(), claim.shard(), error);
        return true;
    }

    /** Fails the shard and the batch with {@code error} and cancels the stage's unfinished shards. */
    private ShardRecord failFan(Fan fan, long batchId, int shard, String error) {
        Instant now = clock.instant();
        ShardRecord failed = null;
        for (ShardRecord s : fan.shards) {
            if (s.shard() == shard) {
                failed = set(
                        fan,
                        with(
                                s,
                                ShardState.FAILED,
                                s.attempt(),
                                error,
                                ++shardVersions,
                                null,
                                null,
                                s.runAfter(),
                                s.cursor(),
                                s.startedAt(),
                                now),
                        now);
            } else if (s.state() != ShardState.COMPLETED
                    && s.state() != ShardState.FAILED
                    && s.state() != ShardState.CANCELLED) {
                set(
                        fan,
                        with(
                                s,
                                ShardState.CANCELLED,
                                s.attempt(),
                                s.error(),
                                ++shardVersions,
                                null,
                                null,
                                s.runAfter(),
                                s.cursor(),
                                s.startedAt(),
                                null),
                        now);
            }
        }
        BatchRecord r = rows.get(batchId);
        StageStats st = r.statsOf(r.stage());
        put(new BatchRecord(
                batchId,
                r.stage(),
                BatchState.FAILED,
                r.attempt(),
                error,
                r.version() + 1,
                null,
                null,
                r.runAfter(),
                r.cursor(),
                withStats(
                        r, new StageStats(st.attempts(), st.invocations(), st.maxInvocationMs(), st.startedAt(), now)),
                r.createdAt(),
                now,
                r.hasInput()));
        return failed;
    }

    @Override
    public synchronized List<ShardRecord> shards(long batchId, String stage) {
        Fan fan = fans.getOrDefault(batchId, Map.of()).get(stage);
        return fan == null ? List.of() : List.of(fan.shards);
    }

    @Override
    public synchronized List<ShardRecord> findStalledShards(Duration pendingGrace, int limit) {
        Instant now = clock.instant();
        record Found(ShardRecord shard, Instant updatedAt) {}
        List<Found> found = new ArrayList<>();
        fans.forEach((batchId, byStage) -> byStage.forEach((stage, fan) -> {
            if (fanned(batchId, stage) != fan) {
                return;
            }
            for (int k = 0; k < fan.shards.length; k++) {
                ShardRecord s = fan.shards[k];
                boolean stalled = s.state() == ShardState.IN_PROGRESS
                        ? s.leaseUntil().isBefore(now)
                        : s.state() == ShardState.PENDING
                                && !s.runAfter().plus(pendingGrace).isAfter(now)
                                && !fan.updatedAt[k].plus(pendingGrace).isAfter(now);
                if (stalled) {
                    found.add(new Found(s, fan.updatedAt[k]));
                }
            }
        }));
        return found.stream()
                .sorted(Comparator.comparing(Found::updatedAt)
                        .thenComparing(f -> f.shard().batchId())
                        .thenComparing(f -> f.shard().stage())
                        .thenComparing(f -> f.shard().shard()))
                .limit(limit)
                .map(Found::shard)
                .toList();
    }

    @Override
    public synchronized Optional<ShardRecord> rescueShard(ShardRecord stalled, String error, boolean exhausted) {
        Fan fan = fanned(stalled.batchId(), stalled.stage());
        if (fan == null || stalled.shard() < 0 || stalled.shard() >= fan.shards.length) {
            return Optional.empty();
        }
        ShardRecord s = fan.shards[stalled.shard()];
        if (s.version() != stalled.version() || s.state() != stalled.state()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (s.state() == ShardState.PENDING) {
            return Optional.of(set(
                    fan,
                    with(
                            s,
                            s.state(),
                            s.attempt(),
                            s.error(),
                            ++shardVersions,
                            null,
                            null,
                            s.runAfter(),
                            s.cursor(),
                            s.startedAt(),
                            null),
                    now));
        }
        if (s.state() != ShardState.IN_PROGRESS) {
            return Optional.empty();
        }
        if (exhausted) {
            return Optional.of(failFan(fan, s.batchId(), s.shard(), error));
        }
        return Optional.of(set(
                fan,
                with(
                        s,
                        ShardState.PENDING,
                        s.attempt() + 1,
                        error,
                        ++shardVersions,
                        null,
                        null,
                        now,
                        s.cursor(),
                        s.startedAt(),
                        null),
                now));
    }

    /** Deletes the shards of one stage of a batch, with their outputs and partial outputs. */
    private void deleteShards(long batchId, String stage) {
        Map<String, Fan> byStage = fans.get(batchId);
        Fan fan = byStage == null ? null : byStage.remove(stage);
        if (fan != null) {
            deleteShardOutputs(batchId, stage, fan);
        }
    }

    private void deleteShardOutputs(long batchId, String stage, Fan fan) {
        Map<String, String> out = outputs.get(batchId);
        if (out != null) {
            for (int k = 0; k < fan.shards.length; k++) {
                out.remove(ShardRecord.dataKey(stage, k));
            }
        }
    }

    /** Stores {@code r} with the batch's trace context, which no change after the start alters. */
    private BatchRecord put(BatchRecord r) {
        BatchRecord kept = new BatchRecord(
                r.batchId(),
                r.stage(),
                r.state(),
                r.attempt(),
                r.error(),
                r.version(),
                r.leaseOwner(),
                r.leaseUntil(),
                r.runAfter(),
                r.cursor(),
                r.stageStats(),
                r.createdAt(),
                r.updatedAt(),
                r.hasInput(),
                traceContexts.get(r.batchId()));
        rows.put(r.batchId(), kept);
        return kept;
    }

    private static Map<String, StageStats> withStats(BatchRecord r, StageStats stats) {
        Map<String, StageStats> m = new HashMap<>(r.stageStats());
        m.put(r.stage(), stats);
        return m;
    }

    /**
     * Rewrites one row, as a test rewrites timestamps in SQL (to expire a lease, or make a batch due).
     *
     * @param batchId the batch
     * @param change makes the new row from the old
     */
    public synchronized void rewrite(long batchId, java.util.function.UnaryOperator<BatchRecord> change) {
        rows.computeIfPresent(batchId, (id, r) -> change.apply(r));
    }

    /** @return every stored output row count, for tests that check nothing extra was written */
    public synchronized int outputCount() {
        return outputs.values().stream().mapToInt(Map::size).sum();
    }

    /** @return a copy of the rows, for tests */
    public synchronized List<BatchRecord> rows() {
        return new ArrayList<>(rows.values());
    }
}
