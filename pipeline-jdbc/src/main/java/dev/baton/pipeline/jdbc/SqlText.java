package dev.baton.pipeline.jdbc;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every SQL statement of pipeline-jdbc, each whole. {@code <queue>}, {@code <data>} and {@code <history>} stand
 * for the tables, {@code <columns>} for the queue columns {@link BatchRowMapper} reads; {@link Statements}
 * fills them in once per store. Parameters are Jdbi's {@code :name}, except in the plain JDBC statements of
 * the queue trigger and worker ({@code ?}); {@link HotStatements} runs its statements in plain JDBC too, with their
 * names turned into {@code ?} once ({@link Positional}).
 *
 * <p>Time: {@code now()} is the start of the transaction, so every row a statement (or a transaction) writes
 * gets the same time; only the lease of a commit that streamed a chunked output uses {@code clock_timestamp()}.
 *
 * <p>Indexes: a queue update that changes none of {@code status}, {@code run_after} and {@code id} (see V1) is
 * a HOT update; the statements that keep a row {@code in_progress} (a heartbeat, an advance that claims the
 * next stage) and the sweeper's touch of a pending row rely on it.
 */
enum SqlText {
    /**
     * Starts a run: the queue row and, when the input fits one row, the input (else {@code :input} is NULL and
     * the input streams into chunk rows in the same transaction). Returns nothing when the batch already has a run.
     */
    CREATE("""
            WITH created AS (
                INSERT INTO <queue> (batch_id, current_stage, status, created_at, updated_at, attempt, version,
                                     run_after, input_digest, trace_context)
                VALUES (:b, :stage, 'pending', now(), now(), 1, 0, now() + :after * interval '1 millisecond', :digest,
                        :trace)
                ON CONFLICT (batch_id) DO NOTHING
                RETURNING <columns>),
            stale AS (
                DELETE FROM <data>
                 WHERE batch_id = :b AND stage = :input_stage AND chunk > 0 AND EXISTS (SELECT FROM created)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :input_stage, CAST(:input AS jsonb), now(), 0, 1 FROM created WHERE :input IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT * FROM created"""),

    /** Ends the start of a run whose input streamed into chunk rows: its digest, known once it has streamed. */
    FINISH_INPUT("""
            UPDATE <queue> SET input_digest = :digest WHERE batch_id = :b
            RETURNING <columns>"""),

    /** The run a start met, with the digest of its input. */
    FIND_WITH_DIGEST("""
            SELECT input_digest, <columns> FROM <queue> WHERE batch_id = :b"""),

    /**
     * {@link #CREATE} of a run due now whose first stage is claimed for {@code :owner}: the row a claim would leave
     * ({@code in_progress}, the lease, version 1), in the same statement. Returns nothing when the batch already has
     * a run, which is then left unclaimed.
     */
    CREATE_CLAIMED("""
            WITH created AS (
                INSERT INTO <queue> (batch_id, current_stage, status, created_at, updated_at, attempt, version,
                                     run_after, lease_owner, lease_until, input_digest, trace_context)
                VALUES (:b, :stage, 'in_progress', now(), now(), 1, 1, now(), :owner,
                        now() + :lease * interval '1 millisecond', :digest, :trace)
                ON CONFLICT (batch_id) DO NOTHING
                RETURNING <columns>),
            stale AS (
                DELETE FROM <data>
                 WHERE batch_id = :b AND stage = :input_stage AND chunk > 0 AND EXISTS (SELECT FROM created)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :input_stage, CAST(:input AS jsonb), now(), 0, 1 FROM created WHERE :input IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT * FROM created"""),

    /**
     * {@link #FINISH_INPUT} of a claimed start: the lease counts from now on the clock, once the input has streamed,
     * not from the start of the transaction.
     */
    FINISH_INPUT_CLAIMED("""
            UPDATE <queue>
               SET input_digest = :digest, lease_until = clock_timestamp() + :lease * interval '1 millisecond'
             WHERE batch_id = :b
            RETURNING <columns>"""),

    /** One batch's row. */
    FIND("""
            SELECT <columns> FROM <queue> WHERE batch_id = :b"""),

    /**
     * The claim, of one stage of one batch ({@code :stage} given) or of batches the queue worker found due and
     * locked (any stage): only a {@code pending} row whose time has come.
     */
    CLAIM("""
            UPDATE <queue>
               SET status = 'in_progress', lease_owner = :owner,
                   lease_until = now() + :lease * interval '1 millisecond', version = version + 1, updated_at = now()
             WHERE batch_id = ANY(:batches) AND status = 'pending' AND run_after <= now()
               AND (CAST(:stage AS text) IS NULL OR current_stage = :stage)
            RETURNING <columns>"""),

    /** Renews a held lease, skipping the row while the claim's own commit holds its lock. */
    RENEW_LEASE("""
            UPDATE <queue> SET lease_until = now() + :lease * interval '1 millisecond'
             WHERE id = (SELECT id FROM <queue>
                          WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
                          FOR UPDATE SKIP LOCKED)"""),

    /** Whether a claim still holds (1) or not (0), whether or not its row is locked. */
    HOLDS("""
            SELECT count(*) FROM <queue>
             WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'"""),

    /**
     * Advances a held claim to {@code :next} ({@code :status} {@code pending}) or completes it; with the output
     * when it fits one row ({@code :output} NULL when it streams into chunk rows in the same transaction).
     */
    ADVANCE("""
            WITH moved AS (
                UPDATE <queue>
                   SET current_stage = :next, status = :status, attempt = 1, cursor = NULL, error_message = NULL,
                       run_after = now(), version = version + 1, updated_at = now(),
                       lease_owner = NULL, lease_until = NULL,
                       stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
                 WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
                RETURNING lease_until, updated_at),
            stale AS (
                DELETE FROM <data> WHERE batch_id = :b AND stage = :stage AND chunk > 0 AND EXISTS (SELECT FROM moved)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :stage, CAST(:output AS jsonb), now(), 0, 1 FROM moved WHERE :output IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT lease_until, updated_at FROM moved"""),

    /**
     * {@link #ADVANCE} that claims {@code :next} for the same owner: the row stays {@code in_progress} and
     * {@code run_after} is left alone, so the update is HOT.
     */
    ADVANCE_AND_CLAIM("""
            WITH moved AS (
                UPDATE <queue>
                   SET current_stage = :next, attempt = 1, cursor = NULL, error_message = NULL,
                       version = version + 1, updated_at = now(),
                       lease_until = now() + :lease * interval '1 millisecond',
                       stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
                 WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
                RETURNING lease_until, updated_at),
            stale AS (
                DELETE FROM <data> WHERE batch_id = :b AND stage = :stage AND chunk > 0 AND EXISTS (SELECT FROM moved)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :stage, CAST(:output AS jsonb), now(), 0, 1 FROM moved WHERE :output IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT lease_until, updated_at FROM moved"""),

    /**
     * {@link #ADVANCE} and {@link #ADVANCE_AND_CLAIM} of several claims at once ({@link GroupCommit}): element
     * {@code i} of every array is advance {@code i}; {@code :lease} is the next stage's lease for an advance that
     * claims it, else NULL. Each row keeps its own compare-and-set, and a row whose claim was lost is left out;
     * {@code n} (1-based) tells the caller which advances moved. The outputs fit one row each.
     */
    ADVANCE_GROUP("""
            WITH advance AS (
                SELECT *
                  FROM unnest(CAST(:b AS bigint[]), CAST(:v AS bigint[]), CAST(:owner AS text[]),
                              CAST(:stage AS text[]), CAST(:next AS text[]), CAST(:status AS text[]),
                              CAST(:lease AS bigint[]), CAST(:stats AS text[]), CAST(:output AS text[]))
                       WITH ORDINALITY AS a (b, v, owner, stage, next, status, lease, stats, output, n)),
            moved AS (
                UPDATE <queue> q
                   SET current_stage = a.next, status = a.status, attempt = 1, cursor = NULL, error_message = NULL,
                       run_after = CASE WHEN a.lease IS NULL THEN now() ELSE q.run_after END,
                       version = q.version + 1, updated_at = now(),
                       lease_owner = CASE WHEN a.lease IS NULL THEN NULL ELSE q.lease_owner END,
                       lease_until = now() + a.lease * interval '1 millisecond',
                       stage_stats = q.stage_stats || jsonb_build_object(a.stage, CAST(a.stats AS jsonb))
                  FROM advance a
                 WHERE q.batch_id = a.b AND q.version = a.v AND q.lease_owner = a.owner AND q.status = 'in_progress'
                RETURNING a.n, q.lease_until, q.updated_at),
            stale AS (
                DELETE FROM <data> d
                 USING moved m JOIN advance a ON a.n = m.n
                 WHERE d.batch_id = a.b AND d.stage = a.stage AND d.chunk > 0),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT a.b, a.stage, CAST(a.output AS jsonb), now(), 0, 1 FROM moved m JOIN advance a ON a.n = m.n
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT n, lease_until, updated_at FROM moved"""),

    /** Saves a sliced stage's cursor and partial output ({@code :output} as in {@link #ADVANCE}); due now. */
    SAVE_PROGRESS("""
            WITH moved AS (
                UPDATE <queue>
                   SET status = 'pending', cursor = CAST(:cursor AS jsonb), run_after = now(),
                       version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL,
                       stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
                 WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
                RETURNING lease_until, updated_at),
            stale AS (
                DELETE FROM <data> WHERE batch_id = :b AND stage = :stage AND chunk > 0 AND EXISTS (SELECT FROM moved)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :stage, CAST(:output AS jsonb), now(), 0, 1 FROM moved WHERE :output IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT lease_until, updated_at FROM moved"""),

    /** {@link #SAVE_PROGRESS} and a failed try: attempt {@code :attempt}, due after {@code :backoff}. */
    SAVE_PROGRESS_AND_RETRY("""
            WITH moved AS (
                UPDATE <queue>
                   SET status = 'pending', cursor = CAST(:cursor AS jsonb), attempt = :attempt, error_message = :error,
                       run_after = now() + :backoff * interval '1 millisecond',
                       version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL,
                       stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
                 WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
                RETURNING lease_until, updated_at),
            stale AS (
                DELETE FROM <data> WHERE batch_id = :b AND stage = :stage AND chunk > 0 AND EXISTS (SELECT FROM moved)),
            written AS (
                INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
                SELECT :b, :stage, CAST(:output AS jsonb), now(), 0, 1 FROM moved WHERE :output IS NOT NULL
                ON CONFLICT (batch_id, stage, chunk) DO UPDATE
                    SET data = EXCLUDED.data, chunks = 1, created_at = EXCLUDED.created_at)
            SELECT lease_until, updated_at FROM moved"""),

    /** A failed try of a held claim: attempt + 1, due after {@code :backoff}. */
    SCHEDULE_RETRY("""
            UPDATE <queue>
               SET status = 'pending', attempt = attempt + 1, error_message = :error,
                   run_after = now() + :backoff * interval '1 millisecond',
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL,
                   stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
             WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'"""),

    /** Fails a held claim's batch for good. */
    FAIL("""
            UPDATE <queue>
               SET status = 'failed', error_message = :error,
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL,
                   stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
             WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'"""),

    /** Expired leases and overdue pending rows, at any stage ({@code :any}) or at {@code :stages}. */
    FIND_STALLED("""
            SELECT <columns> FROM <queue>
             WHERE ((status = 'in_progress' AND lease_until < now())
                    OR (status = 'pending' AND run_after <= now() - :grace * interval '1 millisecond'
                        AND updated_at <= now() - :grace * interval '1 millisecond'))
               AND (:any OR current_stage = ANY(:stages))
             ORDER BY updated_at, id
             LIMIT :limit"""),

    /** Unfinished batches per stage outside {@code :stages}. */
    COUNT_ACTIVE_OUTSIDE("""
            SELECT current_stage, count(*) FROM <queue>
             WHERE status IN ('pending', 'in_progress') AND NOT (current_stage = ANY(:stages))
             GROUP BY current_stage"""),

    /** The sweeper's touch of an overdue pending row it found: only its version and {@code updated_at} move (HOT). */
    TOUCH_PENDING("""
            UPDATE <queue> SET version = version + 1, updated_at = now()
             WHERE id = (SELECT id FROM <queue> WHERE batch_id = :b AND version = :v AND status = 'pending'
                         FOR UPDATE SKIP LOCKED)
            RETURNING <columns>"""),

    /** The rescue of an expired lease the sweeper found: pending again with attempt + 1, due now. */
    RESCUE_EXPIRED("""
            UPDATE <queue>
               SET status = 'pending', attempt = attempt + 1, error_message = :error, run_after = now(),
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL
             WHERE id = (SELECT id FROM <queue>
                          WHERE batch_id = :b AND version = :v AND status = 'in_progress' AND lease_until < now()
                          FOR UPDATE SKIP LOCKED)
            RETURNING <columns>"""),

    /** The rescue of an expired lease whose stage has no attempts left: the batch fails. */
    FAIL_EXPIRED("""
            UPDATE <queue>
               SET status = 'failed', error_message = :error,
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL
             WHERE id = (SELECT id FROM <queue>
                          WHERE batch_id = :b AND version = :v AND status = 'in_progress' AND lease_until < now()
                          FOR UPDATE SKIP LOCKED)
            RETURNING <columns>"""),

    /** Cancels a batch that has not ended. */
    CANCEL("""
            UPDATE <queue>
               SET status = 'cancelled',
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL
             WHERE batch_id = :b AND status IN ('pending', 'in_progress')
            RETURNING <columns>"""),

    /** Moves a batch to {@code :stage} (any version when {@code :v} is below 0), dropping stats of {@code :cleared}. */
    RESET("""
            UPDATE <queue>
               SET current_stage = :stage, status = 'pending', attempt = 1, error_message = NULL, cursor = NULL,
                   run_after = now(), stage_stats = stage_stats - CAST(:cleared AS text[]),
                   version = version + 1, updated_at = now(), lease_owner = NULL, lease_until = NULL
             WHERE batch_id = :b AND (:v < 0 OR version = :v)
            RETURNING <columns>"""),

    /** Deletes the outputs of the stages {@code :cleared}; never the input ({@code :input_stage}). */
    DELETE_OUTPUTS("""
            DELETE FROM <data> WHERE batch_id = :b AND stage = ANY(:cleared) AND stage <> :input_stage"""),

    /**
     * Retention, one page in one statement (so one short transaction): finished batches in {@code :states} above
     * batch id {@code :after} that finished ({@code updated_at}: a finished row changes no more) over {@code :age}
     * ms ago, lowest ids first, locked without waiting ({@code SKIP LOCKED}: a row an operator is changing is left
     * for a later pass), deleted with every output, partial output and input row. A running batch is never among
     * them, so nothing it commits waits on this; the ids are the keyset the next page starts from.
     */
    PURGE_FINISHED("""
            WITH doomed AS (
                SELECT id FROM <queue>
                 WHERE batch_id > :after AND status = ANY(:states)
                   AND updated_at < now() - :age * interval '1 millisecond'
                 ORDER BY batch_id
                 LIMIT :limit
                   FOR UPDATE SKIP LOCKED),
            gone AS (
                DELETE FROM <queue> WHERE id IN (SELECT id FROM doomed)
                RETURNING batch_id),
            rows AS (
                DELETE FROM <data> WHERE batch_id IN (SELECT batch_id FROM gone)
                RETURNING 1),
            shards AS (
                DELETE FROM <shard> WHERE batch_id IN (SELECT batch_id FROM gone))
            SELECT batch_id, (SELECT count(*) FROM rows) AS data_rows FROM gone ORDER BY batch_id"""),

    /** A page of batches in {@code :states} (all when {@code :all}), oldest change first. */
    LIST("""
            SELECT <columns> FROM <queue>
             WHERE (:all OR status = ANY(:states))
             ORDER BY updated_at, id
            OFFSET :offset LIMIT :limit"""),

    /**
     * The operator's search: batches in {@code :states} (any when {@code :all}), at {@code :stage}, with the batch id
     * {@code :batch} and an error holding {@code :error} (ignoring case), each condition off when its value is NULL;
     * most recently changed first.
     */
    SEARCH("""
            SELECT <columns> FROM <queue>
             WHERE (:all OR status = ANY(:states))
               AND (CAST(:stage AS text) IS NULL OR current_stage = CAST(:stage AS text))
               AND (CAST(:batch AS bigint) IS NULL OR batch_id = CAST(:batch AS bigint))
               AND (CAST(:error AS text) IS NULL OR strpos(lower(error_message), lower(CAST(:error AS text))) > 0)
             ORDER BY updated_at DESC, batch_id DESC
            OFFSET :offset LIMIT :limit"""),

    /** Batches per state. */
    COUNT_BY_STATE("""
            SELECT status, count(*) FROM <queue> GROUP BY status"""),

    /** Notes a trigger's delivery error on a batch pending at that stage; nothing else moves. */
    RECORD_TRIGGER_ERROR("""
            UPDATE <queue> SET error_message = :error
             WHERE batch_id = :b AND current_stage = :stage AND status = 'pending'"""),

    /** The rows of one stage's output (or of the input), a chunk row's slice as text, in order. */
    READ_ROWS("""
            SELECT chunk, chunks, CASE WHEN chunks > 1 THEN data #>> '{}' ELSE data::text END AS text
              FROM <data> WHERE batch_id = :b AND stage = :s
             ORDER BY chunk"""),

    /** Deletes every row of one stage's output before a chunked write. */
    DELETE_ROWS("""
            DELETE FROM <data> WHERE batch_id = :b AND stage = :s"""),

    /** One chunk row, its slice as a JSON string; {@code chunks} is set when the last one is written. */
    INSERT_CHUNK("""
            INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
            VALUES (:b, :s, to_jsonb(CAST(:d AS text)), now(), :c, :n)"""),

    /**
     * Fans a held claim out: the batch row stays {@code in_progress} with the owner {@code ':shards'} and no lease
     * (the shards hold leases), with the stage's stats so far.
     */
    FAN_OUT("""
            UPDATE <queue>
               SET lease_owner = ':shards', lease_until = NULL, version = version + 1, updated_at = now(),
                   stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
             WHERE batch_id = :b AND version = :v AND lease_owner = :owner AND status = 'in_progress'
            RETURNING version"""),

    /**
     * The shards of a plan: {@code :k} contiguous ranges of {@code :n} items, the first {@code :p} pending. Their
     * versions start at the fanned-out batch row's version times 2^32, above any version of the shards of an earlier
     * fan-out of the stage, so a claim from before a restart never matches a shard of the new run.
     */
    INSERT_SHARDS("""
            INSERT INTO <shard> (batch_id, stage, shard, shards, status, attempt, version, run_after, from_item,
                                 to_item, items, parallelism, created_at, updated_at)
            SELECT :b, :stage, k, :k, CASE WHEN k < :p THEN 'pending' ELSE 'waiting' END, 1,
                   CAST(:base AS bigint) * 4294967296, now(),
                   CAST(CAST(k AS bigint) * :n / :k AS int), CAST(CAST(k + 1 AS bigint) * :n / :k AS int), :n, :p,
                   now(), now()
              FROM generate_series(0, :k - 1) AS k"""),

    /** A stage's shards in one state ({@code :status}), or all of them ({@code :status} NULL), in shard order. */
    SHARDS_OF("""
            SELECT <shard_columns> FROM <shard> s JOIN <queue> q ON q.batch_id = s.batch_id
             WHERE s.batch_id = :b AND s.stage = :stage AND (CAST(:status AS text) IS NULL OR s.status = :status)
             ORDER BY s.shard"""),

    /** Claims one pending, due shard of a batch that is fanned out at its stage. */
    CLAIM_SHARD("""
            UPDATE <shard> s
               SET status = 'in_progress', lease_owner = :owner,
                   lease_until = now() + :lease * interval '1 millisecond', version = s.version + 1,
                   updated_at = now(), started_at = coalesce(s.started_at, now())
              FROM <queue> q
             WHERE s.batch_id = :b AND s.stage = :stage AND s.shard = :shard AND s.status = 'pending'
               AND s.run_after <= now()
               AND q.batch_id = s.batch_id AND q.current_stage = s.stage AND q.status = 'in_progress'
               AND q.lease_owner = ':shards'
            RETURNING <shard_columns>"""),

    /** Renews a held shard lease, skipping the row while the shard's own commit holds its lock. */
    RENEW_SHARD_LEASE("""
            UPDATE <shard> SET lease_until = now() + :lease * interval '1 millisecond'
             WHERE (batch_id, stage, shard) = (
                       SELECT batch_id, stage, shard FROM <shard>
                        WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v
                          AND lease_owner = :owner AND status = 'in_progress'
                          FOR UPDATE SKIP LOCKED)"""),

    /** Whether a shard claim still holds (1) or not (0), whether or not its row is locked. */
    HOLDS_SHARD("""
            SELECT count(*) FROM <shard>
             WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v AND lease_owner = :owner
               AND status = 'in_progress'"""),

    /**
     * A shard's continuation or retry: pending at {@code :attempt} (NULL: attempt + 1), due after {@code :backoff},
     * with {@code :error}; its cursor when {@code :keep_cursor} is false. Only while the batch is fanned out.
     */
    RESCHEDULE_SHARD("""
            UPDATE <shard>
               SET status = 'pending', attempt = coalesce(CAST(:attempt AS int), attempt + 1), error_message = :error,
                   cursor = CASE WHEN :keep_cursor THEN cursor ELSE CAST(:cursor AS jsonb) END,
                   run_after = now() + :backoff * interval '1 millisecond',
                   lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = now()
             WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v AND lease_owner = :owner
               AND status = 'in_progress'
               AND EXISTS (SELECT FROM <queue> q WHERE q.batch_id = :b AND q.current_stage = :stage
                              AND q.status = 'in_progress' AND q.lease_owner = ':shards')"""),

    /**
     * Locks the row of a batch fanned out at {@code :stage}: every shard commit that may end the stage (a
     * completion, a failure) takes it first, so they run one after another and exactly one of them joins.
     */
    LOCK_FANNED_OUT("""
            SELECT <columns> FROM <queue>
             WHERE batch_id = :b AND current_stage = :stage AND status = 'in_progress' AND lease_owner = ':shards'
               FOR UPDATE"""),

    /** Ends a held shard ({@code :status} completed or failed); its lease, and a completed one's cursor, go. */
    END_SHARD("""
            UPDATE <shard>
               SET status = :status, error_message = :error, lease_owner = NULL, lease_until = NULL,
                   cursor = CASE WHEN :status = 'completed' THEN NULL ELSE cursor END,
                   finished_at = now(), version = version + 1, updated_at = now()
             WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v AND lease_owner = :owner
               AND status = 'in_progress'"""),

    /** An expired shard with no attempts left fails (the sweeper): like {@link #END_SHARD}, on an expired lease. */
    FAIL_EXPIRED_SHARD("""
            UPDATE <shard>
               SET status = 'failed', error_message = :error, lease_owner = NULL, lease_until = NULL,
                   finished_at = now(), version = version + 1, updated_at = now()
             WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v AND status = 'in_progress'
               AND lease_until < now()"""),

    /** Schedules the first waiting shard of a stage, when there is one: a finished shard made room for it. */
    RELEASE_WAITING("""
            UPDATE <shard> SET status = 'pending', run_after = now(), version = version + 1, updated_at = now()
             WHERE (batch_id, stage, shard) = (
                       SELECT batch_id, stage, shard FROM <shard>
                        WHERE batch_id = :b AND stage = :stage AND status = 'waiting'
                        ORDER BY shard LIMIT 1)
            RETURNING shard"""),

    /** How many of a stage's shards have not completed. */
    UNFINISHED_SHARDS("""
            SELECT count(*) FROM <shard> WHERE batch_id = :b AND stage = :stage AND status <> 'completed'"""),

    /** The join's advance of a fanned-out batch: to {@code :next} ({@code :status} pending) or completed. */
    ADVANCE_FANNED_OUT("""
            UPDATE <queue>
               SET current_stage = :next, status = :status, attempt = 1, cursor = NULL, error_message = NULL,
                   run_after = now(), version = version + 1, updated_at = now(),
                   lease_owner = NULL, lease_until = NULL,
                   stage_stats = stage_stats || jsonb_build_object(CAST(:stage AS text), CAST(:stats AS jsonb))
             WHERE batch_id = :b AND current_stage = :stage AND status = 'in_progress' AND lease_owner = ':shards'"""),

    /** A shard's failure fails its fanned-out batch. */
    FAIL_FANNED_OUT("""
            UPDATE <queue>
               SET status = 'failed', error_message = :error, version = version + 1, updated_at = now(),
                   lease_owner = NULL, lease_until = NULL
             WHERE batch_id = :b AND current_stage = :stage AND status = 'in_progress' AND lease_owner = ':shards'"""),

    /** The shards of a stage that have not finished stop: another shard failed the batch. */
    CANCEL_UNFINISHED_SHARDS("""
            UPDATE <shard>
               SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, version = version + 1,
                   updated_at = now()
             WHERE batch_id = :b AND stage = :stage AND status IN ('waiting', 'pending', 'in_progress')"""),

    /** Deletes the shard outputs of a batch's stages {@code :cleared} (every stage when {@code :all}). */
    DELETE_SHARD_OUTPUTS("""
            DELETE FROM <data>
             WHERE batch_id = :b AND position(':shard:' IN stage) > 0
               AND (:all OR split_part(stage, ':shard:', 1) = ANY(:cleared))"""),

    /** Deletes the shards of a batch's stages {@code :cleared} (every stage when {@code :all}). */
    DELETE_SHARDS("""
            DELETE FROM <shard> WHERE batch_id = :b AND (:all OR stage = ANY(:cleared))"""),

    /**
     * Shards the sweeper must look at, of batches still fanned out: expired leases and pending shards overdue by
     * {@code :grace} (a lost trigger), oldest change first.
     */
    FIND_STALLED_SHARDS("""
            SELECT <shard_columns> FROM <shard> s
              JOIN <queue> q ON q.batch_id = s.batch_id AND q.current_stage = s.stage AND q.status = 'in_progress'
                            AND q.lease_owner = ':shards'
             WHERE (s.status = 'in_progress' AND s.lease_until < now())
                OR (s.status = 'pending' AND s.run_after <= now() - :grace * interval '1 millisecond'
                    AND s.updated_at <= now() - :grace * interval '1 millisecond')
             ORDER BY s.updated_at
             LIMIT :limit"""),

    /** The rescue of an expired shard: pending again with attempt + 1, due now. */
    RESCUE_EXPIRED_SHARD("""
            UPDATE <shard>
               SET status = 'pending', attempt = attempt + 1, error_message = :error, run_after = now(),
                   lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = now()
             WHERE (batch_id, stage, shard) = (
                       SELECT batch_id, stage, shard FROM <shard>
                        WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v
                          AND status = 'in_progress' AND lease_until < now()
                          FOR UPDATE SKIP LOCKED)
            RETURNING shard"""),

    /** The sweeper's touch of an overdue pending shard: so that one sweeper alone re-triggers it. */
    TOUCH_PENDING_SHARD("""
            UPDATE <shard> SET version = version + 1, updated_at = now()
             WHERE (batch_id, stage, shard) = (
                       SELECT batch_id, stage, shard FROM <shard>
                        WHERE batch_id = :b AND stage = :stage AND shard = :shard AND version = :v
                          AND status = 'pending'
                          FOR UPDATE SKIP LOCKED)
            RETURNING shard"""),

    /** One output that fits one row, as jsonb, after {@link #DELETE_ROWS} (a shard's output, a joined output). */
    PUT_OUTPUT("""
            INSERT INTO <data> (batch_id, stage, data, created_at, chunk, chunks)
            VALUES (:b, :s, CAST(:d AS jsonb), now(), 0, 1)"""),

    /** Sets the chunk count on every row of a chunked write. */
    COUNT_CHUNKS("""
            UPDATE <data> SET chunks = :n WHERE batch_id = :b AND stage = :s"""),

    /**
     * At the end of a chunked write: a lease that its first statement set counts from now (the wall clock), not
     * from the start of the transaction, however long the output took to stream.
     */
    SHIFT_LEASE("""
            UPDATE <queue> SET lease_until = lease_until + (clock_timestamp() - now())
             WHERE batch_id = :b AND lease_until IS NOT NULL"""),

    /**
     * Serialises, until the transaction ends, what shares {@code :key}: migrations of one set of tables, and the
     * queue workers' claims of capped stages.
     */
    ADVISORY_LOCK("""
            SELECT pg_advisory_xact_lock(hashtext(:key)) IS NULL"""),

    /** Due batches at stages other than {@code :full}, oldest first, locked, skipping rows other workers hold. */
    LOCK_DUE("""
            SELECT batch_id, current_stage FROM <queue>
             WHERE status = 'pending' AND run_after <= now() AND NOT (current_stage = ANY(:full))
             ORDER BY run_after, id
             LIMIT :limit
               FOR UPDATE SKIP LOCKED"""),

    /**
     * The columns of {@code :tables} (an unknown table gives one row with a NULL column), resolved like the
     * store's statements: through the {@code search_path} unless a schema is given.
     */
    SCHEMA_COLUMNS("""
            SELECT t.name, a.attname
              FROM unnest(CAST(:tables AS text[])) AS t(name)
              LEFT JOIN pg_catalog.pg_attribute a
                ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped"""),

    /** The migrations' own history. */
    CREATE_HISTORY("""
            CREATE TABLE IF NOT EXISTS <history> (
              version INT PRIMARY KEY,
              script TEXT NOT NULL,
              applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )"""),

    /** The versions applied. */
    APPLIED_VERSIONS("""
            SELECT version FROM <history>"""),

    /** Records a migration as applied. */
    RECORD_MIGRATION("""
            INSERT INTO <history> (version, script) VALUES (:v, :s)"""),

    /** Runs the migrations' statements in {@code <schema>} for the rest of the transaction. */
    MIGRATE_IN_SCHEMA("""
            SET LOCAL search_path TO <schema>"""),

    /** Wakes the queue workers listening on a channel (plain JDBC: the channel, then the payload). */
    NOTIFY("""
            SELECT pg_notify(?, ?)"""),

    /** Subscribes the queue worker's connection to {@code <channel>}. */
    LISTEN("""
            LISTEN <channel>"""),

    /** A round trip that proves a connection alive. */
    PING("""
            SELECT 1"""),

    /**
     * Live executions per capped stage ({@code :capped}), across all workers: claimed batch rows with a live lease
     * that are not fanned out (a fanned-out row, owner {@code ':shards'}, runs nothing itself), and shards with a
     * live lease. The queue workers' caps count these.
     */
    COUNT_RUNNING_WITH_SHARDS("""
            SELECT stage, count(*) FROM (
                SELECT current_stage AS stage FROM <queue>
                 WHERE status = 'in_progress' AND lease_until > now() AND lease_owner <> ':shards'
                   AND current_stage = ANY(:capped)
                UNION ALL
                SELECT stage FROM <shard>
                 WHERE status = 'in_progress' AND lease_until > now() AND stage = ANY(:capped)) running
             GROUP BY stage"""),

    /**
     * Due shards of batches fanned out at their stage, at stages other than {@code :full}, oldest first, locked
     * (the shard rows only: a shard commit locks the batch row first), skipping rows other workers hold.
     */
    LOCK_DUE_SHARDS("""
            SELECT s.batch_id, s.stage, s.shard FROM <shard> s
              JOIN <queue> q ON q.batch_id = s.batch_id AND q.current_stage = s.stage AND q.status = 'in_progress'
                            AND q.lease_owner = ':shards'
             WHERE s.status = 'pending' AND s.run_after <= now() AND NOT (s.stage = ANY(:full))
             ORDER BY s.run_after, s.batch_id, s.shard
             LIMIT :limit
               FOR UPDATE OF s SKIP LOCKED"""),

    /**
     * Claims the shards {@code (:batches[i], :stages[i], :shards[i])} for {@code :owner}, like
     * {@link #CLAIM_SHARD}: only a {@code pending}, due shard of a batch fanned out at its stage.
     */
    CLAIM_DUE_SHARDS("""
            UPDATE <shard> s
               SET status = 'in_progress', lease_owner = :owner,
                   lease_until = now() + :lease * interval '1 millisecond', version = s.version + 1,
                   updated_at = now(), started_at = coalesce(s.started_at, now())
              FROM <queue> q,
                   unnest(CAST(:batches AS bigint[]), CAST(:stages AS text[]), CAST(:shards AS int[]))
                       AS t(batch_id, stage, shard)
             WHERE s.batch_id = t.batch_id AND s.stage = t.stage AND s.shard = t.shard
               AND s.status = 'pending' AND s.run_after <= now()
               AND q.batch_id = s.batch_id AND q.current_stage = s.stage AND q.status = 'in_progress'
               AND q.lease_owner = ':shards'
            RETURNING <shard_columns>""");

    private static final Pattern PLACEHOLDER = Pattern.compile("<([a-z_]+)>");

    private final String template;

    SqlText(String template) {
        this.template = template;
    }

    /** @return the statement with no placeholder, as it is */
    String text() {
        return render(Map.of());
    }

    /**
     * @param values what each placeholder stands for, by name
     * @return the statement with every placeholder filled in
     * @throws IllegalStateException if the statement has a placeholder {@code values} does not fill
     */
    String render(Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 64);
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalStateException(
                        "statement " + name() + " has the placeholder <" + m.group(1) + "> that nothing fills");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return m.appendTail(out).toString();
    }
}
