package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchRecord;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.StageStats;
import dev.baton.pipeline.StageStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Update;

/**
 * {@link StageStore} on PostgreSQL, with Jdbi over {@code batch_processing_queue} and
 * {@code batch_processing_data} (create them with {@link BatonSchema#migrate}).
 *
 * <p>Every decision about time ({@code lease_until}, {@code run_after}) uses the database's
 * {@code now()}, so processes with skewed clocks agree. Every change of a claimed row is one
 * {@code UPDATE … WHERE version = ? AND lease_owner = ? AND status = 'in_progress'}; the outputs are
 * written in the same transaction, after that update has locked the row, so a lost claim writes
 * nothing. Outputs longer than the chunk threshold are split into rows of at most that many
 * characters; the largest output is bounded by the JVM heap, which needs about three times the JSON
 * text's size while writing or reading it (the object, its text, and the driver's copy of a chunk).
 * Connection failures surface as {@link org.jdbi.v3.core.JdbiException}s, never as a silent
 * result.
 *
 * <p>Thread-safe; each call takes a connection from the data source (use a pool in production).
 */
public final class JdbcStageStore implements StageStore {
    /** Default chunk threshold: outputs longer than this many characters are split. */
    public static final int DEFAULT_CHUNK_THRESHOLD = 512 * 1024;

    private static final BatchRowMapper ROWS = new BatchRowMapper();
    private static final String MOVE_ON = ", version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL";
    private static final String STATS = ", stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))";
    private static final String HELD = " WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'";

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final TableNames names;
    private final OutputRows outputs;
    private final String q;

    private JdbcStageStore(Builder b) {
        this.dataSource = b.dataSource;
        this.jdbi = Jdbi.create(b.dataSource);
        this.names = new TableNames(b.schema, b.tablePrefix);
        this.outputs = new OutputRows(names, b.chunkThreshold);
        this.q = names.queue();
    }

    /**
     * @param dataSource the database holding the tables
     * @return a builder
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** @return the data source this store uses */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public BatchRecord create(long batchId, String firstStage) {
        Optional<BatchRecord> created = jdbi.withHandle(h -> h.createQuery("INSERT INTO " + q
                        + " (batch_id, current_stage, status, created_at, updated_at, attempt, version, run_after)"
                        + " VALUES (:b, :stage, 'pending', now(), now(), 1, 0, now())"
                        + " ON CONFLICT (batch_id) DO NOTHING RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", batchId).bind("stage", firstStage).map(ROWS).findOne());
        return created.orElseThrow(() -> {
            BatchRecord r = find(batchId).orElseThrow(() -> new IllegalStateException("batch " + batchId + " vanished during create"));
            return new BatchConflictException(batchId, "batch " + batchId + " already has a run (" + r.state().dbValue()
                    + " at stage '" + r.stage() + "'); retry or restart it instead of starting it again");
        });
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

    /**
     * Claims up to {@code limit} due batches for {@code owner}, oldest {@code run_after} first, skipping
     * rows other workers hold locked. Stages in {@code stageCaps} are claimed only while fewer than their
     * cap are running with a live lease across all workers; claims that involve caps serialise on an
     * advisory lock so the cap holds under concurrency.
     *
     * @param owner the claiming worker
     * @param lease the lease of each claim
     * @param limit at most this many claims, at least 1
     * @param stageCaps the global cap of concurrent executions per stage; may be empty
     * @return the claimed rows
     */
    public List<BatchRecord> claimDue(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        String claim = "UPDATE " + q + " SET status = 'in_progress', lease_owner = :owner,"
                + " lease_until = now() + :lease * interval '1 millisecond', version = version + 1, updated_at = now()"
                + " WHERE id = ANY(:ids) AND status = 'pending' RETURNING " + BatchRowMapper.COLUMNS;
        return jdbi.inTransaction(h -> {
            Map<String, Integer> room = new HashMap<>();
            if (!stageCaps.isEmpty()) {
                h.createQuery("SELECT pg_advisory_xact_lock(hashtext(:key)) IS NULL").bind("key", "baton-caps:" + q)
                        .mapTo(Boolean.class).one();
                stageCaps.forEach((stage, cap) -> room.put(stage, cap));
                h.createQuery("SELECT current_stage, count(*) FROM " + q + " WHERE status = 'in_progress' AND lease_until > now()"
                                + " AND current_stage = ANY(:capped) GROUP BY current_stage")
                        .bindArray("capped", String.class, List.copyOf(stageCaps.keySet()))
                        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2)))
                        .forEach(e -> room.merge(e.getKey(), -e.getValue(), Integer::sum));
            }
            List<String> full = room.entrySet().stream().filter(e -> e.getValue() <= 0).map(Map.Entry::getKey).toList();
            List<Map.Entry<Long, String>> due = h.createQuery("SELECT id, current_stage FROM " + q
                            + " WHERE status = 'pending' AND run_after <= now() AND NOT (current_stage = ANY(:full))"
                            + " ORDER BY run_after, id LIMIT :limit FOR UPDATE SKIP LOCKED")
                    .bindArray("full", String.class, full).bind("limit", limit)
                    .map((rs, ctx) -> Map.entry(rs.getLong(1), rs.getString(2)))
                    .list();
            List<Long> ids = new ArrayList<>();
            for (Map.Entry<Long, String> row : due) {
                Integer left = room.get(row.getValue());
                if (left == null) {
                    ids.add(row.getKey());
                } else if (left > 0) {
                    room.put(row.getValue(), left - 1);
                    ids.add(row.getKey());
                }
            }
            if (ids.isEmpty()) {
                return List.of();
            }
            return h.createQuery(claim).bind("owner", owner).bind("lease", lease.toMillis())
                    .bindArray("ids", Long.class, ids).map(ROWS).list();
        });
    }

    @Override
    public boolean heartbeat(BatchRecord claim, Duration lease) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE " + q + " SET lease_until = now() + :lease * interval '1 millisecond'" + HELD)
                .bind("lease", lease.toMillis()).bind("b", claim.batchId()).bind("v", claim.version()).bind("owner", claim.leaseOwner())
                .execute()) == 1;
    }

    @Override
    public Optional<String> readOutput(long batchId, String stage) {
        return jdbi.inTransaction(h -> outputs.read(h, batchId, stage));
    }

    private static Update held(Handle h, String sql, BatchRecord claim, StageStats stats) {
        return h.createUpdate(sql).bind("b", claim.batchId()).bind("v", claim.version()).bind("owner", claim.leaseOwner())
                .bind("stage", claim.stage()).bind("stats", BatchRowMapper.writeStats(stats));
    }

    @Override
    public boolean advance(BatchRecord claim, String output, String nextStage, StageStats stats) {
        boolean done = Pipeline.COMPLETED.equals(nextStage);
        String sql = "UPDATE " + q + " SET current_stage = :next, status = :status, attempt = 1, cursor = NULL,"
                + " error_message = NULL, run_after = now()" + MOVE_ON + STATS + HELD;
        return jdbi.inTransaction(h -> {
            if (held(h, sql, claim, stats).bind("next", nextStage).bind("status", done ? "completed" : "pending").execute() != 1) {
                return false;
            }
            outputs.replace(h, claim.batchId(), claim.stage(), output);
            return true;
        });
    }

    @Override
    public Optional<BatchRecord> advanceAndClaim(BatchRecord claim, String output, String nextStage, StageStats stats, Duration lease) {
        String sql = "UPDATE " + q + " SET current_stage = :next, status = 'in_progress', attempt = 1, cursor = NULL,"
                + " error_message = NULL, run_after = now(), version = version + 1, updated_at = now(),"
                + " lease_until = now() + :lease * interval '1 millisecond'" + STATS + HELD
                + " RETURNING " + BatchRowMapper.COLUMNS;
        return jdbi.inTransaction(h -> {
            Optional<BatchRecord> next = h.createQuery(sql).bind("b", claim.batchId()).bind("v", claim.version())
                    .bind("owner", claim.leaseOwner()).bind("stage", claim.stage()).bind("stats", BatchRowMapper.writeStats(stats))
                    .bind("next", nextStage).bind("lease", lease.toMillis())
                    .map(ROWS).findOne();
            next.ifPresent(r -> outputs.replace(h, claim.batchId(), claim.stage(), output));
            return next;
        });
    }

    @Override
    public boolean saveProgress(BatchRecord claim, String cursor, String partialOutput, StageStats stats) {
        String sql = "UPDATE " + q + " SET status = 'pending', cursor = CAST(:cursor AS jsonb), run_after = now()" + MOVE_ON + STATS + HELD;
        return jdbi.inTransaction(h -> {
            if (held(h, sql, claim, stats).bind("cursor", cursor).execute() != 1) {
                return false;
            }
            outputs.replace(h, claim.batchId(), claim.stage(), partialOutput);
            return true;
        });
    }

    @Override
    public boolean scheduleRetry(BatchRecord claim, String error, Duration backoff, StageStats stats) {
        String sql = "UPDATE " + q + " SET status = 'pending', attempt = attempt + 1, error_message = :error,"
                + " run_after = now() + :backoff * interval '1 millisecond'" + MOVE_ON + STATS + HELD;
        return jdbi.withHandle(h -> held(h, sql, claim, stats).bind("error", error).bind("backoff", backoff.toMillis()).execute()) == 1;
    }

    @Override
    public boolean fail(BatchRecord claim, String error, StageStats stats) {
        String sql = "UPDATE " + q + " SET status = 'failed', error_message = :error" + MOVE_ON + STATS + HELD;
        return jdbi.withHandle(h -> held(h, sql, claim, stats).bind("error", error).execute()) == 1;
    }

    @Override
    public List<BatchRecord> findStalled(Duration pendingGrace, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + BatchRowMapper.COLUMNS + " FROM " + q
                        + " WHERE (status = 'in_progress' AND lease_until < now())"
                        + " OR (status = 'pending' AND run_after + :grace * interval '1 millisecond' <= now()"
                        + "     AND updated_at + :grace * interval '1 millisecond' <= now())"
                        + " ORDER BY updated_at, id LIMIT :limit")
                .bind("grace", pendingGrace.toMillis()).bind("limit", limit).map(ROWS).list());
    }

    @Override
    public Optional<BatchRecord> rescue(BatchRecord stalled, String error, boolean exhausted) {
        String set;
        if (stalled.state() == BatchState.PENDING) {
            set = "SET version = version + 1, updated_at = now() WHERE batch_id = :b AND version = :v AND status = 'pending'";
        } else if (exhausted) {
            set = "SET status = 'failed', error_message = :error" + MOVE_ON
                    + " WHERE batch_id = :b AND version = :v AND status = 'in_progress' AND lease_until < now()";
        } else {
            set = "SET status = 'pending', attempt = attempt + 1, error_message = :error, run_after = now()" + MOVE_ON
                    + " WHERE batch_id = :b AND version = :v AND status = 'in_progress' AND lease_until < now()";
        }
        return jdbi.withHandle(h -> h.createQuery("UPDATE " + q + " " + set + " RETURNING " + BatchRowMapper.COLUMNS)
                .bind("b", stalled.batchId()).bind("v", stalled.version()).bind("error", error)
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

    /** Builds a {@link JdbcStageStore}; every setter validates. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String schema;
        private String tablePrefix = "";
        private int chunkThreshold = DEFAULT_CHUNK_THRESHOLD;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * @param schema the schema of the tables, a lower-case identifier, or {@code null} for the search_path
         * @return this
         * @throws IllegalArgumentException if not a plain identifier
         */
        public Builder schema(String schema) {
            new TableNames(schema, "");
            this.schema = schema;
            return this;
        }

        /**
         * @param tablePrefix prefix of the table names (as given to {@link BatonSchema#migrate(DataSource, String, String)})
         * @return this
         * @throws IllegalArgumentException if not empty or a plain identifier
         */
        public Builder tablePrefix(String tablePrefix) {
            new TableNames(null, Objects.requireNonNull(tablePrefix, "tablePrefix"));
            this.tablePrefix = tablePrefix;
            return this;
        }

        /**
         * @param characters outputs longer than this are split into chunk rows; 1,024 to 256 Mi
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder chunkThreshold(int characters) {
            if (characters < 1024 || characters > 256 * 1024 * 1024) {
                throw new IllegalArgumentException("chunkThreshold must be between 1024 and 268435456 characters, got " + characters);
            }
            this.chunkThreshold = characters;
            return this;
        }

        /** @return the store */
        public JdbcStageStore build() {
            return new JdbcStageStore(this);
        }
    }
}
