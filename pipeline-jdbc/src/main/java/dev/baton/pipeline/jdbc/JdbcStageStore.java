package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.StoreException;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.array.SqlArrayTypes;
import org.jdbi.v3.core.collector.JdbiCollectors;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;

/**
 * {@link StageStore} on PostgreSQL, with Jdbi over {@code batch_processing_queue} and
 * {@code batch_processing_data} (create them with {@link BatonSchema#migrate}); the statements of a stage transition
 * (a claim, a start, the read of a row, a commit whose output fits one row) run in plain JDBC.
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
 * <p><b>Inputs.</b> A batch's input is stored like an output, under the stage name {@code :input}, which
 * no stage can have; a restart keeps it. The queue row's {@code input_digest} (migration
 * {@code V2__batch_inputs.sql}) holds the hex SHA-256 of its text, so that a second start with the same
 * input is recognised as the same run.
 *
 * <p><b>Trace context.</b> The queue row's {@code trace_context} (migration {@code V3__batch_trace_context.sql})
 * keeps the W3C {@code traceparent} a start was given, unchanged for the life of the run, so that every
 * invocation of the batch continues one trace ({@link dev.baton.pipeline.StageInterceptor}).
 *
 * <p><b>Schema.</b> {@link Builder#build()} checks that the tables and their columns exist and fails with
 * an {@link IllegalStateException} naming what is missing and how to migrate (a 0.1 database lacks the
 * column {@code input_digest}, a 0.2 one {@code trace_context}, and both the table {@code batch_processing_shard});
 * a table or column dropped later makes the method that meets it throw a {@link StoreException} with the same
 * explanation.
 *
 * <p><b>Failures.</b> A failure of the database or of the connection (a restart,
 * {@code pg_terminate_backend}, a network cut) surfaces as a {@link StoreException} from the method that
 * met it, naming what it was doing (the batch and stage) and what the database said, with Jdbi's exception
 * (and the driver's below it) as its cause; never as an empty or {@code false} result. A transaction cut
 * short commits nothing. When a commit's reply is lost the outcome is unknown: read the row.
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

    /**
     * The default {@linkplain Builder#groupCommit most advances committed together}: 1, every advance commits alone.
     * On a small machine with asynchronous commits, grouping costs more than it saves (see BENCHMARKS.md).
     */
    public static final int DEFAULT_GROUP_SIZE = 1;

    /** A {@linkplain Builder#groupCommit group size} that suits many workers on one store. */
    public static final int SUGGESTED_GROUP_SIZE = 32;

    /** The most advances {@linkplain Builder#groupCommit committed together} that a store allows. */
    public static final int MAX_GROUP_SIZE = 1000;

    /** The longest {@linkplain Builder#groupCommit linger} of a group for more advances. */
    public static final Duration MAX_GROUP_LINGER = Duration.ofMillis(100);

    /** Groups committed at once: one commits while the next gathers what arrives meanwhile. */
    private static final int GROUPS_IN_FLIGHT = 2;

    private static final BatchRowMapper ROWS = BatchRowMapper.ROWS;

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final Statements sql;
    private final OutputRows outputs;
    private final DueClaims dueClaims;
    private final ShardStatements shards;
    private final Duration networkTimeout;
    private final SchemaCheck schema;
    private final GroupCommit group;
    private final HotStatements hot;

    private JdbcStageStore(Builder b) {
        this.dataSource = b.dataSource;
        this.networkTimeout = b.networkTimeout;
        // every call's connection waits at most the network timeout per round trip, whatever the host's pool sets
        TimedDataSource timed = new TimedDataSource(b.dataSource, b.networkTimeout);
        this.jdbi = Jdbi.create(timed);
        // Jdbi copies its configuration into every handle and statement, but builds afresh (registering
        // every default) any configuration class its root never created: create those once here
        jdbi.getConfig(SqlArrayTypes.class);
        jdbi.getConfig(JdbiCollectors.class);
        // the statements are whole (SqlText): nothing for Jdbi's template engine to render
        jdbi.getConfig(SqlStatements.class).setTemplateEngine(TemplateEngine.NOP);
        TableNames names = new TableNames(b.schema, b.tablePrefix);
        this.sql = new Statements(names);
        this.outputs = new OutputRows(jdbi, sql, b.chunkThreshold);
        this.dueClaims = new DueClaims(jdbi, sql, names);
        this.shards = new ShardStatements(jdbi, sql, outputs);
        this.schema = new SchemaCheck(names, sql);
        this.hot = new HotStatements(timed, sql);
        this.group = b.groupSize < 2
                ? null
                : new GroupCommit(hot, b.groupSize, b.groupLinger, GROUPS_IN_FLIGHT, b.networkTimeout);
        call("checking Baton's tables", () -> {
            jdbi.useHandle(schema::require);
            return null;
        });
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

    /** @return the group commit of advances, or {@code null} when every advance commits alone */
    GroupCommit groupCommit() {
        return group;
    }

    /** @return the data source this store uses */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Runs one call of the store, turning a failure of Jdbi or the driver into a {@link StoreException} that
     * names {@code operation}; an undefined table or column is explained with the schema's message.
     */
    private <R> R call(String operation, Supplier<R> body) {
        try {
            return body.get();
        } catch (JdbiException e) {
            String problem = schema.problem(e, () -> jdbi.withHandle(schema::missing));
            throw Failures.failed(operation, problem != null ? problem : Failures.databaseSays(e), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The input is stored like an output, in {@code batch_processing_data} under the stage name
     * {@code :input} (one jsonb row, or chunk rows that read back as the same text), and the queue row keeps
     * the hex SHA-256 of its UTF-8 text as written, in {@code input_digest}. A second start compares that
     * digest with the new input's, which it computes as the input streams, storing nothing. Two starts of the
     * same batch at once leave one run: the second waits for the first's transaction on the row's unique key.
     */
    @Override
    public Created create(long batchId, String firstStage, JsonSource input, Duration startAfter, String traceContext) {
        Objects.requireNonNull(firstStage, "firstStage");
        Objects.requireNonNull(startAfter, "startAfter");
        Run run = new Run(batchId, firstStage, startAfter, traceContext);
        return call("starting batch " + batchId, () -> {
            if (input == null) {
                return insertRun(run, null, null)
                        .map(r -> new Created(r, true))
                        .orElseGet(() -> existingRun(batchId, null));
            }
            return createWithInput(batchId, input, new Start() {
                @Override
                public Optional<BatchRecord> insert(Handle h, String fits, String digest) {
                    return insertRun(h, run, fits, digest);
                }

                @Override
                public BatchRecord finish(Handle h, String digest) {
                    return h.createQuery(sql.of(SqlText.FINISH_INPUT))
                            .bind("digest", digest)
                            .bind("b", batchId)
                            .map(ROWS)
                            .one();
                }
            });
        });
    }

    /** What a start writes on the queue row. */
    private record Run(long batchId, String firstStage, Duration startAfter, String traceContext) {}

    /** The statements of one kind of start with an input: {@link #create} or {@link #createClaimed}. */
    private interface Start {
        /** @return the new row, with the input when it {@code fits} one row (else null), or empty for a run met */
        Optional<BatchRecord> insert(Handle h, String fits, String digest);

        /** @return the row once its input has streamed into chunk rows, with the input's digest */
        BatchRecord finish(Handle h, String digest);
    }

    private Created createWithInput(long batchId, JsonSource input, Start start) {
        String digest;
        try (OutputRows.Write<BatchRecord> write =
                outputs.writeInput(batchId, "the input of batch " + batchId, h -> start.insert(h, null, null))) {
            write.from(input);
            digest = write.digest();
            String fits = write.fitting();
            if (!write.lost() && fits == null) {
                return new Created(write.commit(h -> start.finish(h, digest)), true);
            }
            if (fits != null) {
                Optional<BatchRecord> created = jdbi.withHandle(h -> start.insert(h, fits, digest));
                if (created.isPresent()) {
                    return new Created(created.get(), true);
                }
            }
        }
        // the batch has a run: compare once the chunked write's connection is back (a pool of one must do)
        return existingRun(batchId, digest);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code INSERT ... ON CONFLICT DO NOTHING ... RETURNING} writes the claimed row and, when it fits one
     * row, the input: one round trip and one commit for the start and the first claim. A chunked input streams in
     * the same transaction as {@link #create} streams it, and the lease then counts from the end of the stream. A
     * start that meets the batch's run claims nothing, and compares inputs as {@link #create} does.
     */
    @Override
    public Created createClaimed(
            long batchId, String firstStage, JsonSource input, String traceContext, String owner, Duration lease) {
        Objects.requireNonNull(firstStage, "firstStage");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(lease, "lease");
        Start start = new Start() {
            @Override
            public Optional<BatchRecord> insert(Handle h, String fits, String digest) {
                return h.createQuery(sql.of(SqlText.CREATE_CLAIMED))
                        .bind("b", batchId)
                        .bind("stage", firstStage)
                        .bind("owner", owner)
                        .bind("lease", lease.toMillis())
                        .bind("digest", digest)
                        .bind("trace", traceContext)
                        .bind("input_stage", OutputRows.INPUT)
                        .bind("input", fits)
                        .map(ROWS)
                        .findOne();
            }

            @Override
            public BatchRecord finish(Handle h, String digest) {
                return h.createQuery(sql.of(SqlText.FINISH_INPUT_CLAIMED))
                        .bind("digest", digest)
                        .bind("lease", lease.toMillis())
                        .bind("b", batchId)
                        .map(ROWS)
                        .one();
            }
        };
        return call("starting batch " + batchId + " claimed at stage '" + firstStage + "'", () -> {
            if (input == null) {
                return jdbi.withHandle(h -> start.insert(h, null, null))
                        .map(r -> new Created(r, true))
                        .orElseGet(() -> existingRun(batchId, null));
            }
            return createWithInput(batchId, input, start);
        });
    }

    /**
     * The start of a run in a transaction of its own (plain JDBC): with no input, or one that fits one row.
     *
     * @param input the input when it fits one row, else null (none)
     * @param digest the input's digest, or null (none)
     * @return the new row, or empty when the batch already has a run
     */
    private Optional<BatchRecord> insertRun(Run run, String input, String digest) {
        return hot.one(SqlText.CREATE, runParams(run, input, digest), BatchRowMapper::read);
    }

    /**
     * The start of a run in the transaction of a chunked input, on {@code h}: the input streams into chunk rows after
     * this.
     *
     * @param digest the input's digest, or null (not known yet)
     * @return the new row, or empty when the batch already has a run
     */
    private Optional<BatchRecord> insertRun(Handle h, Run run, String input, String digest) {
        return runParams(run, input, digest)
                .applyTo(h.createQuery(sql.of(SqlText.CREATE)))
                .map(ROWS)
                .findOne();
    }

    private static Params runParams(Run run, String input, String digest) {
        return new Params()
                .bind("b", run.batchId())
                .bind("stage", run.firstStage())
                .bind("after", run.startAfter().toMillis())
                .bind("digest", digest)
                .bind("trace", run.traceContext())
                .bind("input_stage", OutputRows.INPUT)
                .bind("input", input);
    }

    /** A run found by a start, with its input's digest (null for none). */
    private record Existing(String digest, BatchRecord batch) {
        static final RowMapper<Existing> ROWS =
                (rs, ctx) -> new Existing(rs.getString("input_digest"), BatchRowMapper.ROWS.map(rs, ctx));
    }

    /** @return the run a start met, when it was started with the input of {@code digest} (null for none) */
    private Created existingRun(long batchId, String digest) {
        Existing found = jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.FIND_WITH_DIGEST))
                        .bind("b", batchId)
                        .map(Existing.ROWS)
                        .findOne())
                .orElseThrow(() -> new IllegalStateException("batch " + batchId + " had a run when it was started,"
                        + " and has none now: its row was deleted outside Baton; start it again"));
        if (Objects.equals(found.digest(), digest)) {
            return new Created(found.batch(), false);
        }
        BatchRecord r = found.batch();
        String started = found.digest() == null ? "no input" : digest == null ? "an input" : "another input";
        throw new BatchConflictException(
                batchId,
                "batch " + batchId + " already has a run (" + r.state().dbValue()
                        + " at stage '" + r.stage() + "') that was started with " + started
                        + "; give the new work its own batch id, or retry or restart the existing run");
    }

    /**
     * {@inheritDoc}
     *
     * <p>A chunked input reaches {@code reader} one row at a time, as {@link #readOutput(long, String, JsonReader)}
     * reads an output.
     */
    @Override
    public <T> Optional<T> readInput(long batchId, JsonReader<T> reader) {
        String where = "the input of batch " + batchId;
        return call(
                "reading " + where,
                () -> jdbi.inTransaction(h -> outputs.read(h, batchId, OutputRows.INPUT, where, reader)));
    }

    @Override
    public Optional<BatchRecord> find(long batchId) {
        return call(
                "reading batch " + batchId,
                () -> hot.one(SqlText.FIND, new Params().bind("b", batchId), BatchRowMapper::read));
    }

    @Override
    public Optional<BatchRecord> claim(long batchId, String stage, String owner, Duration lease) {
        Objects.requireNonNull(stage, "stage");
        return call(
                "claiming stage '" + stage + "' of batch " + batchId,
                () -> hot.one(
                        SqlText.CLAIM,
                        new Params()
                                .bind("owner", owner)
                                .bind("lease", lease.toMillis())
                                .bind("batches", new Long[] {batchId})
                                .bind("stage", stage),
                        BatchRowMapper::read));
    }

    /** The queue worker's claims of due batches; see {@link DueClaims#claim}. */
    List<BatchRecord> claimDue(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return call("claiming due batches", () -> dueClaims.claim(owner, lease, limit, stageCaps));
    }

    /** The queue worker's claims of due shards; see {@link DueClaims#claimShards}. */
    List<ShardRecord> claimDueShards(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return call("claiming due shards", () -> dueClaims.claimShards(owner, lease, limit, stageCaps));
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
        return call(
                "renewing the lease of " + stageOf(claim),
                () -> jdbi.withHandle(h -> {
                    int renewed = h.createUpdate(sql.of(SqlText.RENEW_LEASE))
                            .bind("lease", lease.toMillis())
                            .bind("b", claim.batchId())
                            .bind("v", claim.version())
                            .bind("owner", claim.leaseOwner())
                            .execute();
                    return renewed == 1
                            || h.createQuery(sql.of(SqlText.HOLDS))
                                            .bind("b", claim.batchId())
                                            .bind("v", claim.version())
                                            .bind("owner", claim.leaseOwner())
                                            .mapTo(Integer.class)
                                            .one()
                                    == 1;
                }));
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
        String where = "the output of stage '" + stage + "' of batch " + batchId;
        return call("reading " + where, () -> jdbi.inTransaction(h -> outputs.read(h, batchId, stage, where, reader)));
    }

    private static String stageOf(BatchRecord claim) {
        return "stage '" + claim.stage() + "' of batch " + claim.batchId();
    }

    private static String describe(BatchRecord claim, String what) {
        return "the " + what + " of " + stageOf(claim);
    }

    /**
     * Commits a compare-and-set on the claimed row with {@code statement} (one of the {@link SqlText}
     * commits, whose {@code :output} is the output when it fits one row) together with the stage's output.
     * An output that fits one row goes in the same statement as the update (one round trip, one commit: the
     * hot path, in plain JDBC: {@link HotStatements}); a longer one is streamed into chunk rows in a transaction that
     * starts with the update ({@code :output} NULL), on Jdbi. The source is written once.
     *
     * @param binds binds the statement's own parameters
     * @param what what the output is ({@code "output"}, {@code "partial output"}), for messages
     * @return the update's {@code lease_until, updated_at}, empty when the claim was lost
     */
    private Optional<Moved> commitHeld(
            BatchRecord claim,
            SqlText statement,
            Consumer<Params> binds,
            JsonSource output,
            String what,
            StageStats stats,
            Function<String, GroupCommit.Advance> grouped) {
        String text = sql.of(statement);
        try (OutputRows.Write<Moved> write = outputs.write(
                claim.batchId(),
                claim.stage(),
                describe(claim, what),
                h -> bindHeld(h.createQuery(text), claim, stats, binds)
                        .bind("output", (String) null)
                        .map(Moved.ROWS)
                        .findOne())) {
            write.from(output);
            if (write.lost()) {
                return Optional.empty();
            }
            String fits = write.fitting();
            if (fits == null) {
                return Optional.of(write.commit());
            }
            GroupCommit.Alone alone = advance ->
                    hot.one(statement, heldParams(claim, stats, binds).bind("output", fits), Moved::read);
            return group != null && grouped != null ? group.commit(grouped.apply(fits), alone) : alone.commit(null);
        }
    }

    private static <S extends SqlStatement<S>> S bindHeld(
            S statement, BatchRecord claim, StageStats stats, Consumer<Params> binds) {
        return heldParams(claim, stats, binds).applyTo(statement);
    }

    /** @return the parameters of a commit of {@code claim}: the compare-and-set, the stats, the statement's own */
    private static Params heldParams(BatchRecord claim, StageStats stats, Consumer<Params> binds) {
        Params params = new Params()
                .bind("b", claim.batchId())
                .bind("v", claim.version())
                .bind("owner", claim.leaseOwner())
                .bind("stage", claim.stage())
                .bind("stats", BatchRowMapper.writeStats(stats));
        binds.accept(params);
        return params;
    }

    /** What a commit of a claimed row returns. */
    record Moved(Instant leaseUntil, Instant updatedAt) {
        static final RowMapper<Moved> ROWS = (rs, ctx) -> read(rs);

        static Moved read(ResultSet rs) throws SQLException {
            return new Moved(BatchRowMapper.instant(rs, "lease_until"), BatchRowMapper.instant(rs, "updated_at"));
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnstorableValueException if {@code output} is not one JSON value or fails to write itself
     *     (nothing is written)
     * @throws StoreException if the database fails (nothing is written, unless the commit's reply was lost)
     */
    @Override
    public boolean advance(BatchRecord claim, JsonSource output, String nextStage, StageStats stats) {
        String status = Pipeline.COMPLETED.equals(nextStage) ? "completed" : "pending";
        return call(
                "committing the output of " + stageOf(claim),
                () -> commitHeld(
                                claim,
                                SqlText.ADVANCE,
                                st -> st.bind("next", nextStage).bind("status", status),
                                output,
                                "output",
                                stats,
                                fits -> new GroupCommit.Advance(
                                        claim, nextStage, status, null, BatchRowMapper.writeStats(stats), fits))
                        .isPresent());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The row stays {@code in_progress} and {@code run_after} is left as it is, so the update changes
     * no indexed column and PostgreSQL makes it a HOT update.
     *
     * @throws UnstorableValueException if {@code output} is not one JSON value or fails to write itself
     *     (nothing is written)
     * @throws IllegalArgumentException if {@code nextStage} is {@link Pipeline#COMPLETED}
     * @throws StoreException if the database fails (nothing is written, unless the commit's reply was lost)
     */
    @Override
    public Optional<BatchRecord> advanceAndClaim(
            BatchRecord claim, JsonSource output, String nextStage, StageStats stats, Duration lease) {
        if (Pipeline.COMPLETED.equals(nextStage)) {
            throw new IllegalArgumentException(
                    "advanceAndClaim cannot claim '" + Pipeline.COMPLETED + "'; call advance to complete a batch");
        }
        return call(
                        "committing the output of " + stageOf(claim) + " and claiming stage '" + nextStage + "'",
                        () -> commitHeld(
                                claim,
                                SqlText.ADVANCE_AND_CLAIM,
                                st -> st.bind("next", nextStage).bind("lease", lease.toMillis()),
                                output,
                                "output",
                                stats,
                                fits -> new GroupCommit.Advance(
                                        claim,
                                        nextStage,
                                        "in_progress",
                                        lease.toMillis(),
                                        BatchRowMapper.writeStats(stats),
                                        fits)))
                .map(moved -> {
                    Map<String, StageStats> all = new HashMap<>(claim.stageStats());
                    all.put(claim.stage(), stats);
                    return new BatchRecord(
                            claim.batchId(),
                            nextStage,
                            BatchState.IN_PROGRESS,
                            1,
                            null,
                            claim.version() + 1,
                            claim.leaseOwner(),
                            moved.leaseUntil(),
                            claim.runAfter(),
                            null,
                            all,
                            claim.createdAt(),
                            moved.updatedAt(),
                            claim.hasInput(),
                            claim.traceContext());
                });
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnstorableValueException if {@code cursor} or {@code partialOutput} is not one JSON value,
     *     or {@code partialOutput} fails to write itself (nothing is written)
     * @throws StoreException if the database fails (nothing is written, unless the commit's reply was lost)
     */
    @Override
    public boolean saveProgress(BatchRecord claim, String cursor, JsonSource partialOutput, StageStats stats) {
        JsonText.requireStorableCursor(cursor, describe(claim, "cursor"));
        return call(
                "committing the progress of " + stageOf(claim),
                () -> commitHeld(
                                claim,
                                SqlText.SAVE_PROGRESS,
                                st -> st.bind("cursor", cursor),
                                partialOutput,
                                "partial output",
                                stats,
                                null)
                        .isPresent());
    }

    @Override
    public boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats) {
        return call(
                "scheduling a retry of " + stageOf(claim),
                () -> jdbi.withHandle(h -> bindHeld(
                                        h.createUpdate(sql.of(SqlText.SCHEDULE_RETRY)),
                                        claim,
                                        stats,
                                        st -> st.bind("error", Utf16.storableText(error))
                                                .bind("backoff", backoff.toMillis()))
                                .execute())
                        == 1);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One compare-and-set update with the partial output, like {@link #saveProgress}.
     *
     * @throws UnstorableValueException if {@code cursor} or {@code partialOutput} is not one JSON value,
     *     {@code partialOutput} fails to write itself, or {@code nextAttempt} is below 1 (nothing is written)
     * @throws StoreException if the database fails (nothing is written, unless the commit's reply was lost)
     */
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
        JsonText.requireStorableCursor(cursor, describe(claim, "cursor"));
        return call(
                "committing the progress and a retry of " + stageOf(claim),
                () -> commitHeld(
                                claim,
                                SqlText.SAVE_PROGRESS_AND_RETRY,
                                st -> st.bind("cursor", cursor)
                                        .bind("attempt", nextAttempt)
                                        .bind("error", Utf16.storableText(error))
                                        .bind("backoff", backoff.toMillis()),
                                partialOutput,
                                "partial output",
                                stats,
                                null)
                        .isPresent());
    }

    @Override
    public boolean fail(BatchRecord claim, String error, StageStats stats) {
        return call(
                "failing " + stageOf(claim),
                () -> jdbi.withHandle(h -> bindHeld(
                                        h.createUpdate(sql.of(SqlText.FAIL)),
                                        claim,
                                        stats,
                                        st -> st.bind("error", Utf16.storableText(error)))
                                .execute())
                        == 1);
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
        return call(
                "finding stalled batches",
                () -> jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.FIND_STALLED))
                        .bind("grace", pendingGrace.toMillis())
                        .bind("limit", limit)
                        .bind("any", stages == null)
                        .bindArray("stages", String.class, stages == null ? List.of() : List.copyOf(stages))
                        .map(ROWS)
                        .list()));
    }

    @Override
    public Map<String, Long> countActiveOutside(Set<String> stages) {
        Map<String, Long> counts = new TreeMap<>();
        call("counting the unfinished batches at stages outside " + new TreeSet<>(stages), () -> {
            jdbi.useHandle(h -> h.createQuery(sql.of(SqlText.COUNT_ACTIVE_OUTSIDE))
                    .bindArray("stages", String.class, List.copyOf(stages))
                    .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                    .forEach(e -> counts.put(e.getKey(), e.getValue())));
            return null;
        });
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
        boolean pending = stalled.state() == BatchState.PENDING;
        SqlText statement = pending ? SqlText.TOUCH_PENDING : exhausted ? SqlText.FAIL_EXPIRED : SqlText.RESCUE_EXPIRED;
        return call(
                "rescuing " + stageOf(stalled),
                () -> jdbi.withHandle(h -> {
                    Query rescue = h.createQuery(sql.of(statement))
                            .bind("b", stalled.batchId())
                            .bind("v", stalled.version());
                    if (!pending) {
                        rescue.bind("error", Utf16.storableText(error));
                    }
                    return rescue.map(ROWS).findOne();
                }));
    }

    @Override
    public Optional<BatchRecord> cancel(long batchId) {
        return call(
                "cancelling batch " + batchId,
                () -> jdbi.inTransaction(h -> {
                    Optional<BatchRecord> cancelled = h.createQuery(sql.of(SqlText.CANCEL))
                            .bind("b", batchId)
                            .map(ROWS)
                            .findOne();
                    cancelled.ifPresent(r -> shards.deleteShards(h, batchId, null));
                    return cancelled;
                }));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The batch's input is kept.
     */
    @Override
    public Optional<BatchRecord> reset(long batchId, String stage, List<String> laterStages, long expectedVersion) {
        List<String> cleared = new ArrayList<>(laterStages);
        cleared.add(0, stage);
        return call(
                "restarting batch " + batchId + " from stage '" + stage + "'",
                () -> jdbi.inTransaction(h -> {
                    Optional<BatchRecord> moved = h.createQuery(sql.of(SqlText.RESET))
                            .bind("stage", stage)
                            .bind("b", batchId)
                            .bind("v", expectedVersion)
                            .bindArray("cleared", String.class, cleared)
                            .map(ROWS)
                            .findOne();
                    moved.ifPresent(r -> {
                        h.createUpdate(sql.of(SqlText.DELETE_OUTPUTS))
                                .bind("b", batchId)
                                .bindArray("cleared", String.class, cleared)
                                .bind("input_stage", OutputRows.INPUT)
                                .execute();
                        shards.deleteShards(h, batchId, cleared);
                    });
                    return moved;
                }));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One transaction: the compare-and-set on the batch's claim, then the shard rows in
     * {@code batch_processing_shard} (migration {@code V4__stage_shards.sql}).
     */
    @Override
    public Optional<List<ShardRecord>> fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        return call(
                "fanning out " + stageOf(claim) + " into " + plan.shards() + " shards",
                () -> shards.fanOut(claim, plan, stats));
    }

    @Override
    public Optional<ShardRecord> claimShard(long batchId, String stage, int shard, String owner, Duration lease) {
        return call(
                "claiming shard " + shard + " of stage '" + stage + "' of batch " + batchId,
                () -> shards.claim(batchId, stage, shard, owner, lease));
    }

    @Override
    public boolean heartbeatShard(ShardRecord claim, Duration lease) {
        return call("renewing the lease of " + claim.describe(), () -> shards.heartbeat(claim, lease));
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnstorableValueException if {@code cursor} or {@code partialOutput} is not one JSON value (nothing is
     *     written)
     */
    @Override
    public boolean saveShardProgress(
            ShardRecord claim, String cursor, JsonSource partialOutput, int attempt, String error, Duration backoff) {
        if (attempt < 1) {
            throw new UnstorableValueException(
                    claim.describe() + ": the next attempt must be at least 1, got " + attempt);
        }
        JsonText.requireStorableCursor(cursor, "the cursor of " + claim.describe());
        return call(
                "committing the progress of " + claim.describe(),
                () -> shards.saveProgress(claim, cursor, partialOutput, attempt, error, backoff));
    }

    @Override
    public boolean retryShard(ShardRecord claim, String error, Duration backoff) {
        return call("scheduling a retry of " + claim.describe(), () -> shards.retry(claim, error, backoff));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The join reads each shard's output a row at a time and writes the stage's output as it goes (chunked like
     * any output), splicing the arrays' text: elements are neither parsed nor re-formatted, so memory is one chunk
     * whatever the size of the shards' outputs.
     */
    @Override
    public ShardCommit completeShard(ShardRecord claim, JsonSource output, String nextStage) {
        return call("committing the output of " + claim.describe(), () -> shards.complete(claim, output, nextStage));
    }

    @Override
    public boolean failShard(ShardRecord claim, String error) {
        return call("failing " + claim.describe(), () -> shards.fail(claim, error));
    }

    @Override
    public List<ShardRecord> shards(long batchId, String stage) {
        return call(
                "reading the shards of stage '" + stage + "' of batch " + batchId, () -> shards.shards(batchId, stage));
    }

    @Override
    public List<ShardRecord> findStalledShards(Duration pendingGrace, int limit) {
        return call("finding stalled shards", () -> shards.findStalled(pendingGrace, limit));
    }

    @Override
    public Optional<ShardRecord> rescueShard(ShardRecord stalled, String error, boolean exhausted) {
        return call("rescuing " + stalled.describe(), () -> shards.rescue(stalled, error, exhausted));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One statement ({@code SqlText.PURGE_FINISHED}): the page's rows are chosen in batch-id order on the
     * {@code batch_id} index, locked with {@code FOR UPDATE SKIP LOCKED}, and deleted with their
     * {@code batch_processing_data} rows on its index, then committed. Time is the database's {@code now()}.
     */
    @Override
    public Purged purgeFinished(Duration olderThan, Set<BatchState> states, long afterBatchId, int limit) {
        Purged.check(olderThan, states, limit);
        List<String> wanted = states.stream().map(BatchState::dbValue).sorted().toList();
        return call(
                "purging finished batches " + wanted + " older than " + olderThan,
                () -> jdbi.withHandle(h -> {
                    List<Long> ids = new ArrayList<>();
                    long[] dataRows = {0};
                    h.createQuery(sql.of(SqlText.PURGE_FINISHED))
                            .bind("after", afterBatchId)
                            .bindArray("states", String.class, wanted)
                            .bind("age", olderThan.toMillis())
                            .bind("limit", limit)
                            .map((rs, ctx) -> {
                                dataRows[0] = rs.getLong("data_rows");
                                return rs.getLong("batch_id");
                            })
                            .forEach(ids::add);
                    return new Purged(ids, dataRows[0]);
                }));
    }

    @Override
    public List<BatchRecord> list(Set<BatchState> states, int offset, int limit) {
        List<String> wanted = states.stream().map(BatchState::dbValue).toList();
        return call(
                "listing batches",
                () -> jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.LIST))
                        .bind("all", wanted.isEmpty())
                        .bindArray("states", String.class, wanted)
                        .bind("offset", offset)
                        .bind("limit", limit)
                        .map(ROWS)
                        .list()));
    }

    @Override
    public List<BatchRecord> search(BatchQuery query, int offset, int limit) {
        List<String> wanted = query.states().stream().map(BatchState::dbValue).toList();
        return call(
                "searching batches",
                () -> jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.SEARCH))
                        .bind("all", wanted.isEmpty())
                        .bindArray("states", String.class, wanted)
                        .bind("stage", query.stage())
                        .bind("batch", query.batchId())
                        .bind("error", query.errorContains())
                        .bind("offset", offset)
                        .bind("limit", limit)
                        .map(ROWS)
                        .list()));
    }

    @Override
    public Map<BatchState, Long> countByState() {
        Map<BatchState, Long> counts = new EnumMap<>(BatchState.class);
        for (BatchState s : BatchState.values()) {
            counts.put(s, 0L);
        }
        call("counting batches by state", () -> {
            jdbi.useHandle(h -> h.createQuery(sql.of(SqlText.COUNT_BY_STATE))
                    .map((rs, ctx) -> Map.entry(BatchState.fromDb(rs.getString(1)), rs.getLong(2)))
                    .forEach(e -> counts.put(e.getKey(), e.getValue())));
            return null;
        });
        return counts;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UPDATE} of {@code error_message} alone.
     */
    @Override
    public void recordTriggerError(long batchId, String stage, String error) {
        call("recording the trigger error of stage '" + stage + "' of batch " + batchId, () -> {
            jdbi.useHandle(h -> h.createUpdate(sql.of(SqlText.RECORD_TRIGGER_ERROR))
                    .bind("error", Utf16.storableText(error))
                    .bind("b", batchId)
                    .bind("stage", stage)
                    .execute());
            return null;
        });
    }

    /**
     * The longest wait of one round trip on the store's connections; the queue worker's LISTEN connection uses it too.
     */
    Duration networkTimeout() {
        return networkTimeout;
    }

    /**
     * @return {@code timeout}, when it is a network timeout Baton accepts
     * @throws IllegalArgumentException if it is outside {@link #MIN_NETWORK_TIMEOUT} to {@link #MAX_NETWORK_TIMEOUT}
     * @throws NullPointerException if it is null
     */
    static Duration requireNetworkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.compareTo(MIN_NETWORK_TIMEOUT) < 0 || timeout.compareTo(MAX_NETWORK_TIMEOUT) > 0) {
            throw new IllegalArgumentException(
                    "networkTimeout must be between 100ms and 10min" + " (about a third of the lease), got " + timeout);
        }
        return timeout;
    }

    /** Builds a {@link JdbcStageStore}; every setter validates. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String schema;
        private String tablePrefix = "";
        private int chunkThreshold = DEFAULT_CHUNK_THRESHOLD;
        private Duration networkTimeout = DEFAULT_NETWORK_TIMEOUT;
        private int groupSize = DEFAULT_GROUP_SIZE;
        private Duration groupLinger = Duration.ZERO;

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
         * @param tablePrefix prefix of the table names, as given to {@link BatonSchema#migrate(DataSource, String,
         *     String)}: empty (the default) or a lower-case SQL identifier of at most 24 characters
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
         * {@value JdbcStageStore#MAX_CHUNK_THRESHOLD}, default {@value JdbcStageStore#DEFAULT_CHUNK_THRESHOLD}. Readers
         * need not use the writer's threshold.
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
            this.networkTimeout = requireNetworkTimeout(timeout);
            return this;
        }

        /**
         * Sets how stages that finish at about the same time on this store's workers commit: their advances (the
         * output and the move to the next stage, with the next stage's claim when the worker chains it) are
         * committed together, in one statement over arrays, instead of one transaction each. A group is what
         * arrived while the previous group was being committed, plus what comes while it lingers; an advance
         * that finds nobody else commits alone, at once, with the single-row statement. Every row keeps its own
         * compare-and-set: a lost claim is left out and the rest commit; a group the database refuses (one
         * output it cannot store) is retried one advance at a time, so one bad output fails only its own stage.
         * A stage's hand-off always follows its own commit. Outputs longer than the chunk threshold, progress,
         * retries and failures always commit alone.
         *
         * <p>It pays where many workers share one store (in-process and queue workers); a serverless
         * invocation runs one stage at a time and always commits alone.
         *
         * @param maxSize the most advances in one group, 1 (every advance commits alone) to
         *     {@value JdbcStageStore#MAX_GROUP_SIZE}; default {@value JdbcStageStore#DEFAULT_GROUP_SIZE} (off), for
         *     example {@value JdbcStageStore#SUGGESTED_GROUP_SIZE} to turn it on
         * @param linger how long a group waits to fill before it commits, zero (the default: it takes what is
         *     waiting) to {@link JdbcStageStore#MAX_GROUP_LINGER}; each of its advances waits that much longer
         * @return this
         * @throws IllegalArgumentException if out of range
         * @throws NullPointerException if {@code linger} is null
         */
        public Builder groupCommit(int maxSize, Duration linger) {
            Objects.requireNonNull(linger, "linger");
            if (maxSize < 1 || maxSize > MAX_GROUP_SIZE) {
                throw new IllegalArgumentException("groupCommit maxSize must be between 1 (no group commit) and "
                        + MAX_GROUP_SIZE + ", got " + maxSize);
            }
            if (linger.isNegative() || linger.compareTo(MAX_GROUP_LINGER) > 0) {
                throw new IllegalArgumentException("groupCommit linger must be between 0 and "
                        + MAX_GROUP_LINGER.toMillis() + " ms, got " + linger);
            }
            this.groupSize = maxSize;
            this.groupLinger = linger;
            return this;
        }

        /**
         * Builds the store and checks, in one query, that its tables exist with every column it uses.
         *
         * @return the store
         * @throws IllegalStateException if a table or column is missing: the message names them, the migrations
         *     and how to apply them ({@link BatonSchema#migrate})
         * @throws StoreException if the database cannot be reached
         */
        public JdbcStageStore build() {
            return new JdbcStageStore(this);
        }
    }
}
