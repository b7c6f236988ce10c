package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.array.SqlArrayTypes;
import org.jdbi.v3.core.collector.JdbiCollectors;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * {@link StageStore} on PostgreSQL, with Jdbi over {@code batch_processing_queue} and
 * {@code batch_processing_data} (create them with {@link BatonSchema#migrate}).
 *
 * <pre>{@code
 * BatonSchema.migrate(dataSource);
 * StageStore store = JdbcStageStore.builder(dataSource).build();
 * }</pre>
 *
 * <p><b>Time.</b> Every decision about time ({@code lease_until}, {@code run_after}, stalled rows)
 * uses the database's {@code now()}, so processes with skewed clocks agree.
 *
 * <p><b>Compare-and-set.</b> Every change of a claimed row is one
 * {@code UPDATE … WHERE version = ? AND lease_owner = ? AND status = 'in_progress'}; outputs are
 * written in the same transaction, after that update has locked the row, so a lost claim writes
 * nothing and two writers of one stage never interleave.
 *
 * <p><b>Outputs.</b> An output (or partial output) of at most the {@linkplain Builder#chunkThreshold
 * chunk threshold} characters is one row whose {@code data} is the JSON itself; PostgreSQL normalises
 * it as jsonb (whitespace, key order, duplicate keys), so it reads back as equal JSON, not the same
 * text, and jsonb refuses the escape &#92;u0000 in strings. A longer one is stored as rows
 * {@code chunk = 0..n-1} whose {@code data} are JSON strings holding consecutive slices of the text,
 * and reads back as exactly the same text. Writing replaces every earlier row of that stage. Both
 * directions stream: a {@linkplain JsonSource#streamed streamed} output (what the runner passes) is
 * written a chunk at a time and read through a {@link java.io.Reader} a row at a time, so the store
 * needs memory for one chunk, whatever the output's size; no PostgreSQL limit binds either (each chunk
 * row stays far below its 1 GB per value and 256 MB per jsonb string). What bounds an output is what
 * the stage builds of it in memory, and the one-string forms ({@code readOutput(long, String)},
 * {@link JsonSource#ofText}), which hold it as one Java string (at most about 2^31 Latin-1 or 2^30
 * other characters).
 *
 * <p><b>Schema.</b> {@link Builder#build()} checks that the tables and their columns exist and fails with
 * an {@link IllegalStateException} naming what is missing and how to migrate; a table or column dropped
 * later makes the method that meets it throw an {@link IllegalStateException} with the same message (the
 * database's error as its cause).
 *
 * <p><b>Failures.</b> A failure of the database or of the connection (a restart,
 * {@code pg_terminate_backend}, a network cut) surfaces as an {@link org.jdbi.v3.core.JdbiException}
 * from the method that met it, never as an empty or {@code false} result; a transaction cut short
 * commits nothing. When a commit's reply is lost the outcome is unknown: read the row.
 *
 * <p>Thread-safe; each call takes a connection from the data source (use a pool in production).
 */
public final class JdbcStageStore implements StageStore {
    /** Default chunk threshold: outputs longer than this many characters are split. */
    public static final int DEFAULT_CHUNK_THRESHOLD = 512 * 1024;
    /** Smallest chunk threshold. */
    public static final int MIN_CHUNK_THRESHOLD = 1024;
    /** Largest chunk threshold: keeps one unchunked output's jsonb, whatever its shape, under PostgreSQL's 256 MB. */
    public static final int MAX_CHUNK_THRESHOLD = 16 * 1024 * 1024;
    /**
     * Default {@linkplain Builder#networkTimeout network timeout}: 10 s, a third of {@link Pipeline#DEFAULT_LEASE}
     * (the heartbeat interval). Set it to about a third of your lease.
     */
    public static final Duration DEFAULT_NETWORK_TIMEOUT = Pipeline.DEFAULT_LEASE.dividedBy(3);
    /** Shortest network timeout. */
    public static final Duration MIN_NETWORK_TIMEOUT = Duration.ofMillis(100);
    /** Longest network timeout. */
    public static final Duration MAX_NETWORK_TIMEOUT = Duration.ofMinutes(10);

    private static final BatchRowMapper ROWS = BatchRowMapper.ROWS;
    private static final String MOVE_ON = ", version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL";
    private static final String STATS = ", stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))";
    private static final String HELD = " WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'";

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final TableNames names;
    private final OutputRows outputs;
    private final String q;
    private final DueClaims dueClaims;
    private final Duration networkTimeout;
    private final SchemaCheck schema;

    private JdbcStageStore(Builder b) {
        this.dataSource = b.dataSource;
        this.networkTimeout = b.networkTimeout;
        // every call's connection waits at most the network timeout per round trip, whatever the host's pool sets
        this.jdbi = Jdbi.create(new TimedDataSource(b.dataSource, b.networkTimeout));
        // Jdbi copies its configuration into every handle and statement, but builds afresh (registering
        // every default) any configuration class its root never created: create those once here
        jdbi.getConfig(SqlArrayTypes.class);
        jdbi.getConfig(JdbiCollectors.class);
        this.names = new TableNames(b.schema, b.tablePrefix);
        this.outputs = new OutputRows(jdbi, names, b.chunkThreshold);
        this.q = names.queue();
        this.dueClaims = new DueClaims(jdbi, q);
        this.schema = new SchemaCheck(names);
        jdbi.setHandleCallbackDecorator(schema.translating());
        jdbi.useHandle(schema::require);
    }

    /**
     * @param dataSource the database holding the tables
     * @return a builder with the defaults: the connection's {@code search_path}, no table prefix, chunks of
     *     {@value #DEFAULT_CHUNK_THRESHOLD} characters
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** @return the data source this store uses */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public Created create(long batchId, String firstStage, JsonSource input, Duration startAfter) {
        if (input != null || !startAfter.isZero()) {
            throw new UnsupportedOperationException("TODO(inputs): inputs and startAfter in the PostgreSQL store");
        }
        Optional<BatchRecord> created = jdbi.withHandle(h -> h.createQuery("INSERT INTO " + q
                        + " (batch_id, current_stage, status, created_at, updated_at, attempt, version, run_after)"
                        + " VALUES (:b, :stage, 'pending', now(), now(), 1, 0, now())"
                        + " ON CONFLICT (batch_id) DO NOTHING RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", batchId).bind("stage", firstStage).map(ROWS).findOne());
        if (created.isPresent()) {
            return new Created(created.get(), true);
        }
        BatchRecord r = find(batchId).orElseThrow(() -> new IllegalStateException("batch " + batchId + " vanished during create"));
        if (!r.hasInput()) {
            return new Created(r, false);
        }
        throw new BatchConflictException(batchId, "batch " + batchId + " already has a run (" + r.state().dbValue()
                + " at stage '" + r.stage() + "'); retry or restart it instead of starting it again");
    }

    @Override
    public <T> Optional<T> readInput(long batchId, JsonReader<T> reader) {
        return Optional.empty(); // TODO(inputs)
    }

    @Override
    public Optional<BatchRecord> find(long batchId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + BatchRowMapper.COLUMNS + " FROM " + q + " WHERE batch_id = :b")
                .bind("b", batchId).map(ROWS).findOne());
    }

    @Override
    public Optional<BatchRecord> claim(long batchId, String stage, String owner, Duration lease) {
        return jdbi.withHandle(h -> h.createQuery("UPDATE " + q + " SET status = 'in_progress', lease_owner = :owner,"
                        + " lease_until = now() + :lease * interval '1 millisecond', version = version + 1, updated_at = now()"
                        + " WHERE batch_id = :b AND current_stage = :stage AND status = 'pending' AND run_after <= now()"
                        + " RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", batchId).bind("stage", stage).bind("owner", owner).bind("lease", lease.toMillis())
                .map(ROWS).findOne());
    }

    /** The queue worker's claims of due batches; see {@link DueClaims#claim}. */
    List<BatchRecord> claimDue(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return dueClaims.claim(owner, lease, limit, stageCaps);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Never waits for the row's lock: while the claim's own commit streams a chunked output it holds
     * that lock, and the claim is still held, so a heartbeat that finds the row locked but unchanged
     * reports it held without renewing it (the commit sets the lease it needs).
     */
    @Override
    public boolean heartbeat(BatchRecord claim, Duration lease) {
        return jdbi.withHandle(h -> {
            int renewed = h.createUpdate("UPDATE " + q + " SET lease_until = now() + :lease * interval '1 millisecond'"
                            + " WHERE id = (SELECT id FROM " + q + HELD + " FOR UPDATE SKIP LOCKED)")
                    .bind("lease", lease.toMillis()).bind("b", claim.batchId()).bind("v", claim.version()).bind("owner", claim.leaseOwner())
                    .execute();
            return renewed == 1 || h.createQuery("SELECT count(*) FROM " + q + HELD)
                    .bind("b", claim.batchId()).bind("v", claim.version()).bind("owner", claim.leaseOwner())
                    .mapTo(Integer.class).one() == 1;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>A chunked output reaches {@code reader} one row at a time (in a transaction, through a cursor),
     * so reading needs memory for one chunk plus what the reader builds.
     *
     * @throws IllegalStateException if the stored chunks are not a complete sequence (rows changed
     *     outside Baton)
     */
    @Override
    public <T> Optional<T> readOutput(long batchId, String stage, JsonReader<T> reader) {
        return jdbi.inTransaction(h -> outputs.read(h, batchId, stage, reader));
    }

    private static String describe(BatchRecord claim, String what) {
        return "the " + what + " of stage '" + claim.stage() + "' of batch " + claim.batchId();
    }

    /**
     * Commits a compare-and-set on the claimed row ({@code UPDATE q SET <set> WHERE held}) together with
     * the stage's output. An output that fits one row goes in the same statement as the update (one
     * round trip, one commit: the hot path); a longer one is streamed into chunk rows in a transaction
     * that starts with the update. The source is written once.
     *
     * @param set the SET list of the update; its parameters are bound by {@code binds}
     * @param what what the output is ({@code "output"}, {@code "partial output"}), for messages
     * @return the update's {@code lease_until, updated_at}, empty when the claim was lost
     */
    private Optional<Moved> commitHeldAsIs(BatchRecord claim, String set, Consumer<SqlStatement<?>> binds, JsonSource output,
            String what, StageStats stats) {
        String update = "UPDATE " + q + " SET " + set + STATS + HELD + " RETURNING lease_until, updated_at";
        try (OutputRows.Write<Moved> write = outputs.write(claim.batchId(), claim.stage(), describe(claim, what),
                h -> bindHeld(h.createQuery(update), claim, stats, binds).map(Moved.ROWS).findOne())) {
            write.from(output);
            if (write.lost()) {
                return Optional.empty();
            }
            String fits = write.fitting();
            if (fits == null) {
                return Optional.of(write.commit());
            }
            String sql = "WITH moved AS (" + update + "),"
                    + " stale AS (DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = :stage AND chunk > 0"
                    + "   AND EXISTS (SELECT FROM moved)),"
                    + " written AS (INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                    + "   SELECT :b, :stage, CAST(:output AS jsonb), now(), 0, 1 FROM moved"
                    + "   ON CONFLICT (batch_id, stage, chunk) DO UPDATE SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)"
                    + " SELECT lease_until, updated_at FROM moved";
            return jdbi.withHandle(h -> bindHeld(h.createQuery(sql), claim, stats, binds).bind("output", fits)
                    .map(Moved.ROWS).findOne());
        }
    }

    private static <S extends SqlStatement<S>> S bindHeld(S statement, BatchRecord claim, StageStats stats, Consumer<SqlStatement<?>> binds) {
        statement.bind("b", claim.batchId()).bind("v", claim.version()).bind("owner", claim.leaseOwner())
                .bind("stage", claim.stage()).bind("stats", BatchRowMapper.writeStats(stats));
        binds.accept(statement);
        return statement;
    }

    /** What a commit of a claimed row returns. */
    private record Moved(Instant leaseUntil, Instant updatedAt) {
        static final RowMapper<Moved> ROWS = (rs, ctx) -> new Moved(BatchRowMapper.instant(rs, "lease_until"),
                BatchRowMapper.instant(rs, "updated_at"));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code output} is not one JSON value or fails to write itself
     *     (nothing is written)
     * @throws org.jdbi.v3.core.JdbiException if the database fails (nothing is written)
     */
    @Override
    public boolean advance(BatchRecord claim, JsonSource output, String nextStage, StageStats stats) {
        String status = Pipeline.COMPLETED.equals(nextStage) ? "completed" : "pending";
        return commitHeld(claim, "current_stage = :next, status = :status, attempt = 1, cursor = NULL, error_message = NULL, run_after = now()"
                        + MOVE_ON,
                st -> st.bind("next", nextStage).bind("status", status), output, "output", stats).isPresent();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The row stays {@code in_progress} and {@code run_after} is left as it is, so the update changes
     * no indexed column and PostgreSQL makes it a HOT update.
     *
     * @throws IllegalArgumentException if {@code output} is not one JSON value or fails to write itself,
     *     or {@code nextStage} is {@link Pipeline#COMPLETED} (nothing is written)
     * @throws org.jdbi.v3.core.JdbiException if the database fails (nothing is written)
     */
    @Override
    public Optional<BatchRecord> advanceAndClaim(BatchRecord claim, JsonSource output, String nextStage, StageStats stats,
            Duration lease) {
        if (Pipeline.COMPLETED.equals(nextStage)) {
            throw new IllegalArgumentException("advanceAndClaim cannot claim '" + Pipeline.COMPLETED + "'; call advance to complete a batch");
        }
        return commitHeld(claim, "current_stage = :next, attempt = 1, cursor = NULL, error_message = NULL, version = version + 1,"
                        + " updated_at = now(), lease_until = now() + :lease * interval '1 millisecond'",
                st -> st.bind("next", nextStage).bind("lease", lease.toMillis()), output, "output", stats)
                .map(moved -> {
                    Map<String, StageStats> all = new HashMap<>(claim.stageStats());
                    all.put(claim.stage(), stats);
                    return new BatchRecord(claim.batchId(), nextStage, BatchState.IN_PROGRESS, 1, null, claim.version() + 1,
                            claim.leaseOwner(), moved.leaseUntil(), claim.runAfter(), null, all, claim.createdAt(), moved.updatedAt(), claim.hasInput());
                });
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code cursor} or {@code partialOutput} is not one JSON value,
     *     or {@code partialOutput} fails to write itself (nothing is written)
     * @throws org.jdbi.v3.core.JdbiException if the database fails (nothing is written)
     */
    @Override
    public boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats) {
        JsonText.requireStorableCursor(cursor, describe(claim, "cursor"));
        return commitHeld(claim, "status = 'pending', cursor = CAST(:cursor AS jsonb), run_after = now()" + MOVE_ON,
                st -> st.bind("cursor", cursor), partialOutput, "partial output", stats).isPresent();
    }

    @Override
    public boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats) {
        String sql = "UPDATE " + q + " SET status = 'pending', attempt = attempt + 1, error_message = :error,"
                + " run_after = now() + :backoff * interval '1 millisecond'" + MOVE_ON + STATS + HELD;
        return jdbi.withHandle(h -> bindHeld(h.createUpdate(sql), claim, stats,
                st -> st.bind("error", Utf16.storableText(error)).bind("backoff", backoff.toMillis())).execute()) == 1;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One compare-and-set update with the partial output, like {@link #saveProgress}.
     *
     * @throws IllegalArgumentException if {@code cursor} or {@code partialOutput} is not one JSON value,
     *     {@code partialOutput} fails to write itself, or {@code nextAttempt} is below 1 (nothing is written)
     * @throws org.jdbi.v3.core.JdbiException if the database fails (nothing is written)
     */
    @Override
    public boolean saveProgressAndRetry(BatchRecord claim, String cursor, JsonSource partialOutput, int nextAttempt, String error,
            Duration backoff, StageStats stats) {
        if (nextAttempt < 1) {
            throw new IllegalArgumentException("batch " + claim.batchId() + " stage '" + claim.stage()
                    + "': the next attempt must be at least 1, got " + nextAttempt);
        }
        JsonText.requireStorableCursor(cursor, describe(claim, "cursor"));
        return commitHeld(claim, "status = 'pending', cursor = CAST(:cursor AS jsonb), attempt = :attempt, error_message = :error,"
                        + " run_after = now() + :backoff * interval '1 millisecond'" + MOVE_ON,
                st -> st.bind("cursor", cursor).bind("attempt", nextAttempt).bind("error", Utf16.storableText(error)).bind("backoff", backoff.toMillis()),
                partialOutput, "partial output", stats).isPresent();
    }

    @Override
    public boolean fail(BatchRecord claim, String error, StageStats stats) {
        String sql = "UPDATE " + q + " SET status = 'failed', error_message = :error" + MOVE_ON + STATS + HELD;
        return jdbi.withHandle(h -> bindHeld(h.createUpdate(sql), claim, stats, st -> st.bind("error", Utf16.storableText(error))).execute()) == 1;
    }

    @Override
    public List<BatchRecord> findStalled(Duration pendingGrace, int limit) {
        return stalled(pendingGrace, limit, null);
    }

    @Override
    public List<BatchRecord> findStalled(Duration pendingGrace, int limit, Set<String> stages) {
        return stalled(pendingGrace, limit, Objects.requireNonNull(stages, "stages"));
    }

    /** @param stages only batches at these stages, or null for any stage */
    private List<BatchRecord> stalled(Duration pendingGrace, int limit, Set<String> stages) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + BatchRowMapper.COLUMNS + " FROM " + q
                        + " WHERE ((status = 'in_progress' AND lease_until < now())"
                        + "     OR (status = 'pending' AND run_after <= now() - :grace * interval '1 millisecond'"
                        + "         AND updated_at <= now() - :grace * interval '1 millisecond'))"
                        + " AND (:any OR current_stage = ANY(:stages))"
                        + " ORDER BY updated_at, id LIMIT :limit")
                .bind("grace", pendingGrace.toMillis()).bind("limit", limit)
                .bind("any", stages == null).bindArray("stages", String.class, stages == null ? List.of() : List.copyOf(stages))
                .map(ROWS).list());
    }

    @Override
    public Map<String, Long> countActiveOutside(Set<String> stages) {
        Map<String, Long> counts = new TreeMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT current_stage, count(*) FROM " + q
                        + " WHERE status IN ('pending', 'in_progress') AND NOT (current_stage = ANY(:stages)) GROUP BY current_stage")
                .bindArray("stages", String.class, List.copyOf(stages))
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(e -> counts.put(e.getKey(), e.getValue())));
        return counts;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Skips a row that is locked (a commit streaming a chunked output holds it): the rescue never
     * waits, and finds the row moved on, or still stalled, at the next sweep.
     */
    @Override
    public Optional<BatchRecord> rescue(BatchRecord stalled, String error, boolean exhausted) {
        String set;
        String still;
        if (stalled.state() == BatchState.PENDING) {
            set = "version = version + 1, updated_at = now()";
            still = "status = 'pending'";
        } else {
            set = (exhausted ? "status = 'failed', error_message = :error" : "status = 'pending', attempt = attempt + 1,"
                    + " error_message = :error, run_after = now()") + MOVE_ON;
            still = "status = 'in_progress' AND lease_until < now()";
        }
        return jdbi.withHandle(h -> h.createQuery("UPDATE " + q + " SET " + set + " WHERE id = (SELECT id FROM " + q
                        + " WHERE batch_id = :b AND version = :v AND " + still + " FOR UPDATE SKIP LOCKED)"
                        + " RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", stalled.batchId()).bind("v", stalled.version()).bind("error", Utf16.storableText(error))
                .map(ROWS).findOne());
    }

    @Override
    public Optional<BatchRecord> cancel(long batchId) {
        return jdbi.withHandle(h -> h.createQuery("UPDATE " + q + " SET status = 'cancelled'" + MOVE_ON
                        + " WHERE batch_id = :b AND status IN ('pending', 'in_progress') RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", batchId).map(ROWS).findOne());
    }

    @Override
    public Optional<BatchRecord> reset(long batchId, String stage, List<String> laterStages, long expectedVersion) {
        List<String> cleared = new ArrayList<>(laterStages);
        cleared.add(0, stage);
        return jdbi.inTransaction(h -> {
            Optional<BatchRecord> moved = h.createQuery("UPDATE " + q + " SET current_stage = :stage, status = 'pending', attempt = 1,"
                            + " error_message = NULL, cursor = NULL, run_after = now(), stage_stats = stage_stats - CAST(:cleared AS text[])"
                            + MOVE_ON + " WHERE batch_id = :b AND (:v < 0 OR version = :v) RETURNING " + BatchRowMapper.COLUMNS)
                    .bind("stage", stage).bind("b", batchId).bind("v", expectedVersion)
                    .bindArray("cleared", String.class, cleared)
                    .map(ROWS).findOne();
            moved.ifPresent(r -> h.createUpdate("DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = ANY(:cleared)")
                    .bind("b", batchId).bindArray("cleared", String.class, cleared).execute());
            return moved;
        });
    }

    @Override
    public List<BatchRecord> list(Set<BatchState> states, int offset, int limit) {
        List<String> wanted = states.stream().map(BatchState::dbValue).toList();
        return jdbi.withHandle(h -> h.createQuery("SELECT " + BatchRowMapper.COLUMNS + " FROM " + q
                        + " WHERE (:all OR status = ANY(:states)) ORDER BY updated_at, id OFFSET :offset LIMIT :limit")
                .bind("all", wanted.isEmpty()).bindArray("states", String.class, wanted)
                .bind("offset", offset).bind("limit", limit).map(ROWS).list());
    }

    @Override
    public Map<BatchState, Long> countByState() {
        Map<BatchState, Long> counts = new EnumMap<>(BatchState.class);
        for (BatchState s : BatchState.values()) {
            counts.put(s, 0L);
        }
        jdbi.useHandle(h -> h.createQuery("SELECT status, count(*) FROM " + q + " GROUP BY status")
                .map((rs, ctx) -> Map.entry(BatchState.fromDb(rs.getString(1)), rs.getLong(2)))
                .forEach(e -> counts.put(e.getKey(), e.getValue())));
        return counts;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UPDATE} of {@code error_message} alone.
     */
    @Override
    public void recordTriggerError(long batchId, String stage, String error) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE " + q + " SET error_message = :error"
                        + " WHERE batch_id = :b AND current_stage = :stage AND status = 'pending'")
                .bind("error", Utf16.storableText(error)).bind("b", batchId).bind("stage", stage).execute());
    }

    /** The longest wait of one round trip on the store's connections; the queue worker's LISTEN connection uses it too. */
    Duration networkTimeout() {
        return networkTimeout;
    }

    /**
     * {@link #commitHeldAsIs}, with an undefined table or column met by a chunked write (whose handle the
     * Jdbi's callback decorator does not see) turned into the schema's message.
     */
    private Optional<Moved> commitHeld(BatchRecord claim, String set, Consumer<SqlStatement<?>> binds, JsonSource output,
            String what, StageStats stats) {
        try {
            return commitHeldAsIs(claim, set, binds, output, what, stats);
        } catch (RuntimeException e) {
            throw schema.translate(e, () -> jdbi.withHandle(schema::missing));
        }
    }

    /** Builds a {@link JdbcStageStore}; every setter validates. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String schema;
        private String tablePrefix = "";
        private int chunkThreshold = DEFAULT_CHUNK_THRESHOLD;
        private Duration networkTimeout = DEFAULT_NETWORK_TIMEOUT;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * @param schema the existing schema of the tables, a lower-case SQL identifier of at most 63 characters,
         *     or {@code null} (the default) for the connection's {@code search_path}
         * @return this
         * @throws IllegalArgumentException if not such an identifier
         */
        public Builder schema(String schema) {
            new TableNames(schema, "");
            this.schema = schema;
            return this;
        }

        /**
         * @param tablePrefix prefix of the table names, as given to {@link BatonSchema#migrate(DataSource, String, String)}:
         *     empty (the default) or a lower-case SQL identifier of at most 24 characters
         * @return this
         * @throws IllegalArgumentException if null or not such an identifier
         */
        public Builder tablePrefix(String tablePrefix) {
            new TableNames(null, tablePrefix);
            this.tablePrefix = tablePrefix;
            return this;
        }

        /**
         * @param characters outputs longer than this many characters are split into chunk rows of at most
         *     this many; {@value JdbcStageStore#MIN_CHUNK_THRESHOLD} to
         *     {@value JdbcStageStore#MAX_CHUNK_THRESHOLD}, default {@value JdbcStageStore#DEFAULT_CHUNK_THRESHOLD}. Readers need not use the writer's threshold.
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder chunkThreshold(int characters) {
            if (characters < MIN_CHUNK_THRESHOLD || characters > MAX_CHUNK_THRESHOLD) {
                throw new IllegalArgumentException("chunkThreshold must be between " + MIN_CHUNK_THRESHOLD + " and "
                        + MAX_CHUNK_THRESHOLD + " characters, got " + characters);
            }
            this.chunkThreshold = characters;
            return this;
        }

        /**
         * Sets the longest wait for one round trip to the database on every connection the store takes (and on
         * the {@link QueueWorker}'s {@code LISTEN} connection), with {@link java.sql.Connection#setNetworkTimeout}
         * for as long as the store holds the connection; the pool's own value is put back before it is returned.
         * A connection the network dropped silently (a NAT or load balancer that forgot the flow, a failover) then
         * fails the call, and the driver closes it, instead of blocking the sweeper, the heartbeat or a claim
         * forever. A statement that legitimately runs longer, or waits longer on a lock, fails too; a chunked
         * output, written in one transaction, is bounded per round trip, not as a whole.
         *
         * @param timeout 100 ms to 10 min; default {@link JdbcStageStore#DEFAULT_NETWORK_TIMEOUT}
         *     (10 s). Set it to about a third of your lease.
         * @return this
         * @throws IllegalArgumentException if out of range
         * @throws NullPointerException if {@code timeout} is null
         */
        public Builder networkTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.compareTo(MIN_NETWORK_TIMEOUT) < 0 || timeout.compareTo(MAX_NETWORK_TIMEOUT) > 0) {
                throw new IllegalArgumentException("networkTimeout must be between 100ms and 10min (about a third of the lease),"
                        + " got " + timeout);
            }
            this.networkTimeout = timeout;
            return this;
        }

        /**
         * Builds the store and checks, in one query, that its tables exist with every column it uses.
         *
         * @return the store
         * @throws IllegalStateException if a table or column is missing: the message names them, the migration
         *     and how to apply it ({@link BatonSchema#migrate})
         * @throws org.jdbi.v3.core.JdbiException if the database cannot be reached
         */
        public JdbcStageStore build() {
            return new JdbcStageStore(this);
        }
    }
}
