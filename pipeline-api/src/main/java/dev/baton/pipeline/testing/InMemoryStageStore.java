package dev.baton.pipeline.testing;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
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
 * database's. Nothing survives the JVM. Thread-safe (every method is atomic).
 */
public final class InMemoryStageStore implements StageStore {
    private final Clock clock;
    private final Map<Long, BatchRecord> rows = new HashMap<>();
    private final Map<Long, Map<String, String>> outputs = new HashMap<>();
    private final Map<Long, String> inputs = new HashMap<>();
    private final Map<Long, String> traceContexts = new HashMap<>();

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
            return r.leaseUntil().isBefore(now);
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
