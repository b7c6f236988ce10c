package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore.ShardCommit;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * The shard methods of {@link JdbcStageStore} (docs/architecture.md, "Fan-out"): each one transaction on
 * {@code batch_processing_shard}, the queue row and {@code batch_processing_data}. A commit that may end the stage
 * (a completion, a failure) first locks the batch's queue row, so the shard commits of one stage run one after
 * another and exactly one of them joins. Failures of the database surface as Jdbi's exceptions, which the store
 * turns into {@code StoreException}s.
 */
final class ShardStatements {
    private static final ShardRowMapper SHARDS = ShardRowMapper.ROWS;

    private final Jdbi jdbi;
    private final Statements sql;
    private final OutputRows outputs;

    ShardStatements(Jdbi jdbi, Statements sql, OutputRows outputs) {
        this.jdbi = jdbi;
        this.sql = sql;
        this.outputs = outputs;
    }

    Optional<List<ShardRecord>> fanOut(BatchRecord claim, ShardPlan plan, StageStats stats) {
        return jdbi.inTransaction(h -> {
            Optional<Long> version = h.createQuery(sql.of(SqlText.FAN_OUT))
                    .bind("b", claim.batchId())
                    .bind("v", claim.version())
                    .bind("owner", claim.leaseOwner())
                    .bind("stage", claim.stage())
                    .bind("stats", BatchRowMapper.writeStats(stats))
                    .mapTo(Long.class)
                    .findOne();
            if (version.isEmpty()) {
                return Optional.empty();
            }
            deleteShards(h, claim.batchId(), List.of(claim.stage()));
            h.createUpdate(sql.of(SqlText.INSERT_SHARDS))
                    .bind("b", claim.batchId())
                    .bind("stage", claim.stage())
                    .bind("k", plan.shards())
                    .bind("n", plan.items())
                    .bind("p", plan.parallelism())
                    .bind("base", version.get())
                    .execute();
            return Optional.of(shardsOf(h, claim.batchId(), claim.stage(), ShardState.PENDING));
        });
    }

    List<ShardRecord> shards(long batchId, String stage) {
        return jdbi.withHandle(h -> shardsOf(h, batchId, stage, null));
    }

    private List<ShardRecord> shardsOf(Handle h, long batchId, String stage, ShardState state) {
        return h.createQuery(sql.of(SqlText.SHARDS_OF))
                .bind("b", batchId)
                .bind("stage", stage)
                .bind("status", state == null ? null : state.dbValue())
                .map(SHARDS)
                .list();
    }

    private Optional<ShardRecord> shard(Handle h, long batchId, String stage, int shard) {
        return shardsOf(h, batchId, stage, null).stream()
                .filter(s -> s.shard() == shard)
                .findFirst();
    }

    Optional<ShardRecord> claim(long batchId, String stage, int shard, String owner, Duration lease) {
        return jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.CLAIM_SHARD))
                .bind("b", batchId)
                .bind("stage", stage)
                .bind("shard", shard)
                .bind("owner", owner)
                .bind("lease", lease.toMillis())
                .map(SHARDS)
                .findOne());
    }

    boolean heartbeat(ShardRecord claim, Duration lease) {
        return jdbi.withHandle(h -> {
            int renewed = held(h.createUpdate(sql.of(SqlText.RENEW_SHARD_LEASE)), claim)
                    .bind("lease", lease.toMillis())
                    .execute();
            return renewed == 1
                    || held(h.createQuery(sql.of(SqlText.HOLDS_SHARD)), claim)
                                    .mapTo(Long.class)
                                    .one()
                            == 1;
        });
    }

    private static <S extends SqlStatement<S>> S held(S statement, ShardRecord claim) {
        return statement
                .bind("b", claim.batchId())
                .bind("stage", claim.stage())
                .bind("shard", claim.shard())
                .bind("v", claim.version())
                .bind("owner", claim.leaseOwner());
    }

    boolean saveProgress(
            ShardRecord claim, String cursor, JsonSource partialOutput, int attempt, String error, Duration backoff) {
        return jdbi.inTransaction(h -> {
            if (!reschedule(h, claim, cursor, attempt, error, backoff)) {
                return false;
            }
            writeOutput(h, claim, partialOutput, "partial output", false);
            return true;
        });
    }

    boolean retry(ShardRecord claim, String error, Duration backoff) {
        return jdbi.inTransaction(h -> reschedule(h, claim, null, null, error, backoff));
    }

    /** @param cursor the new cursor, or null with {@code attempt} null to keep it (a plain retry) */
    private boolean reschedule(
            Handle h, ShardRecord claim, String cursor, Integer attempt, String error, Duration backoff) {
        return held(h.createUpdate(sql.of(SqlText.RESCHEDULE_SHARD)), claim)
                        .bind("attempt", attempt)
                        .bind("error", error == null ? null : Utf16.storableText(error))
                        .bind("keep_cursor", attempt == null)
                        .bind("cursor", cursor)
                        .bind("backoff", backoff.toMillis())
                        .execute()
                == 1;
    }

    ShardCommit complete(ShardRecord claim, JsonSource output, String nextStage) {
        return jdbi.inTransaction(h -> {
            Optional<BatchRecord> batch = lockFannedOut(h, claim);
            if (batch.isEmpty() || !end(h, claim, ShardState.COMPLETED, null)) {
                h.rollback();
                return ShardCommit.LOST;
            }
            writeOutput(h, claim, output, "output", true);
            List<ShardRecord> released = new ArrayList<>();
            h.createQuery(sql.of(SqlText.RELEASE_WAITING))
                    .bind("b", claim.batchId())
                    .bind("stage", claim.stage())
                    .mapTo(Integer.class)
                    .findOne()
                    .flatMap(k -> shard(h, claim.batchId(), claim.stage(), k))
                    .ifPresent(released::add);
            long unfinished = h.createQuery(sql.of(SqlText.UNFINISHED_SHARDS))
                    .bind("b", claim.batchId())
                    .bind("stage", claim.stage())
                    .mapTo(Long.class)
                    .one();
            if (unfinished > 0) {
                return new ShardCommit(true, false, released);
            }
            join(h, claim);
            StageStats before = batch.get().statsOf(claim.stage());
            StageStats stats = new StageStats(
                    before.attempts(),
                    before.invocations(),
                    before.maxInvocationMs(),
                    before.startedAt(),
                    Instant.now());
            h.createUpdate(sql.of(SqlText.ADVANCE_FANNED_OUT))
                    .bind("b", claim.batchId())
                    .bind("stage", claim.stage())
                    .bind("next", nextStage)
                    .bind("status", Pipeline.COMPLETED.equals(nextStage) ? "completed" : "pending")
                    .bind("stats", BatchRowMapper.writeStats(stats))
                    .execute();
            return new ShardCommit(true, true, List.of());
        });
    }

    boolean fail(ShardRecord claim, String error) {
        return jdbi.inTransaction(h -> {
            if (lockFannedOut(h, claim).isEmpty() || !end(h, claim, ShardState.FAILED, error)) {
                h.rollback();
                return false;
            }
            failBatch(h, claim, error);
            return true;
        });
    }

    private void failBatch(Handle h, ShardRecord shard, String error) {
        h.createUpdate(sql.of(SqlText.FAIL_FANNED_OUT))
                .bind("b", shard.batchId())
                .bind("stage", shard.stage())
                .bind("error", Utf16.storableText(error))
                .execute();
        h.createUpdate(sql.of(SqlText.CANCEL_UNFINISHED_SHARDS))
                .bind("b", shard.batchId())
                .bind("stage", shard.stage())
                .execute();
    }

    private Optional<BatchRecord> lockFannedOut(Handle h, ShardRecord claim) {
        return h.createQuery(sql.of(SqlText.LOCK_FANNED_OUT))
                .bind("b", claim.batchId())
                .bind("stage", claim.stage())
                .map(BatchRowMapper.ROWS)
                .findOne();
    }

    private boolean end(Handle h, ShardRecord claim, ShardState state, String error) {
        return held(h.createUpdate(sql.of(SqlText.END_SHARD)), claim)
                        .bind("status", state.dbValue())
                        .bind("error", error == null ? null : Utf16.storableText(error))
                        .execute()
                == 1;
    }

    /** Writes a shard's output (which must be a JSON array) or partial output under its data key, on {@code h}. */
    private void writeOutput(Handle h, ShardRecord claim, JsonSource output, String what, boolean array) {
        String where = "the " + what + " of " + claim.describe();
        OutputRows.Write<Boolean> write = outputs.writeIn(h, claim.batchId(), claim.dataKey(), where);
        write.from(array ? JsonSource.streamed(out -> output.writeTo(new ArrayCheck(out, where))) : output);
        write.finishIn();
    }

    /**
     * The join: the shards' outputs, each a JSON array, read one row at a time in shard order and written as one
     * array (their elements, in order, as text) into the stage's output; then the shards' outputs go.
     */
    private void join(Handle h, ShardRecord last) {
        String stage = last.stage();
        String where = "the joined output of batch " + last.batchId() + " stage " + stage;
        OutputRows.Write<Boolean> write = outputs.writeIn(h, last.batchId(), stage, where);
        write.from(JsonSource.streamed(out -> {
            out.write('[');
            boolean[] any = {false};
            for (int k = 0; k < last.shards(); k++) {
                int shard = k;
                outputs.read(h, last.batchId(), ShardRecord.dataKey(stage, k), where + ", shard " + k, in -> {
                            any[0] = ArrayJoin.appendElements(in, out, any[0]);
                            return Boolean.TRUE;
                        })
                        .orElseThrow(() -> new IllegalStateException("batch " + last.batchId() + " stage " + stage
                                + " shard " + shard + " is completed but has no output in batch_processing_data; the"
                                + " rows were changed outside Baton: restart the batch from '" + stage + "'"));
            }
            out.write(']');
        }));
        write.finishIn();
        h.createUpdate(sql.of(SqlText.DELETE_SHARD_OUTPUTS))
                .bind("b", last.batchId())
                .bind("all", false)
                .bindArray("cleared", String.class, List.of(stage))
                .execute();
    }

    List<ShardRecord> findStalled(Duration pendingGrace, int limit) {
        return jdbi.withHandle(h -> h.createQuery(sql.of(SqlText.FIND_STALLED_SHARDS))
                .bind("grace", pendingGrace.toMillis())
                .bind("limit", limit)
                .map(SHARDS)
                .list());
    }

    Optional<ShardRecord> rescue(ShardRecord stalled, String error, boolean exhausted) {
        return jdbi.inTransaction(h -> {
            if (stalled.state() == ShardState.PENDING || !exhausted) {
                SqlText statement = stalled.state() == ShardState.PENDING
                        ? SqlText.TOUCH_PENDING_SHARD
                        : SqlText.RESCUE_EXPIRED_SHARD;
                var update = h.createQuery(sql.of(statement))
                        .bind("b", stalled.batchId())
                        .bind("stage", stalled.stage())
                        .bind("shard", stalled.shard())
                        .bind("v", stalled.version());
                if (statement == SqlText.RESCUE_EXPIRED_SHARD) {
                    update.bind("error", Utf16.storableText(error));
                }
                return update.mapTo(Integer.class)
                        .findOne()
                        .flatMap(k -> shard(h, stalled.batchId(), stalled.stage(), k));
            }
            if (lockFannedOut(h, stalled).isEmpty()) {
                return Optional.empty();
            }
            int failed = h.createUpdate(sql.of(SqlText.FAIL_EXPIRED_SHARD))
                    .bind("b", stalled.batchId())
                    .bind("stage", stalled.stage())
                    .bind("shard", stalled.shard())
                    .bind("v", stalled.version())
                    .bind("error", Utf16.storableText(error))
                    .execute();
            if (failed != 1) {
                return Optional.empty();
            }
            failBatch(h, stalled, error);
            return shard(h, stalled.batchId(), stalled.stage(), stalled.shard());
        });
    }

    /** Deletes the shards of {@code stages} of a batch and their outputs ({@code null}: of every stage). */
    void deleteShards(Handle h, long batchId, List<String> stages) {
        h.createUpdate(sql.of(SqlText.DELETE_SHARD_OUTPUTS))
                .bind("b", batchId)
                .bind("all", stages == null)
                .bindArray("cleared", String.class, stages == null ? List.of() : stages)
                .execute();
        h.createUpdate(sql.of(SqlText.DELETE_SHARDS))
                .bind("b", batchId)
                .bind("all", stages == null)
                .bindArray("cleared", String.class, stages == null ? List.of() : stages)
                .execute();
    }

    /** Refuses, as it is written, a shard output that is not a JSON array. */
    private static final class ArrayCheck extends Writer {
        private final Writer out;
        private final String where;
        private boolean seen;

        ArrayCheck(Writer out, String where) {
            this.out = out;
            this.where = where;
        }

        @Override
        public void write(char[] chars, int off, int len) throws IOException {
            for (int i = off; !seen && i < off + len; i++) {
                char c = chars[i];
                if (!Character.isWhitespace(c)) {
                    seen = true;
                    if (c != '[') {
                        throw new UnstorableValueException(where + " is not a JSON array (it starts with '" + c
                                + "'); a shard returns StageResult.done(list) with one result per item");
                    }
                }
            }
            out.write(chars, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() {}
    }
}
