package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@link QueueWorker}'s claims: due batches of any stage, and due shards of fanned-out stages, many at once,
 * skipping rows other workers hold.
 *
 * <p>The per-stage caps count what runs at a stage across all workers: claimed batch rows with a live lease that are
 * not fanned out, and claimed shards with a live lease ({@link SqlText#COUNT_RUNNING_WITH_SHARDS}). A fanned-out
 * batch row (owner {@code ':shards'}) runs nothing itself and counts for nothing; its shards count one each. Claims
 * that involve caps, of batches or of shards, serialise on one advisory lock, so a cap holds under concurrency.
 */
final class DueClaims {
    private final Jdbi jdbi;
    private final Statements sql;
    private final String capsLockKey;

    DueClaims(Jdbi jdbi, Statements sql, TableNames names) {
        this.jdbi = jdbi;
        this.sql = sql;
        this.capsLockKey = "baton-caps:" + names.queue();
    }

    /**
     * Claims up to {@code limit} due batches for {@code owner}, oldest {@code run_after} first, skipping
     * rows other workers hold locked. Stages in {@code stageCaps} are claimed only while fewer than their
     * cap are running (see the class comment) across all workers.
     *
     * @param owner the claiming worker
     * @param lease the lease of each claim
     * @param limit at most this many claims, at least 1
     * @param stageCaps the global cap of concurrent executions per stage; may be empty
     * @return the claimed rows
     */
    List<BatchRecord> claim(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return jdbi.inTransaction(h -> {
            Map<String, Integer> room = room(h, stageCaps);
            List<Map.Entry<Long, String>> due = h.createQuery(sql.of(SqlText.LOCK_DUE))
                    .bindArray("full", String.class, full(room))
                    .bind("limit", limit)
                    .map((rs, ctx) -> Map.entry(rs.getLong(1), rs.getString(2)))
                    .list();
            List<Long> batches = new ArrayList<>();
            for (Map.Entry<Long, String> row : due) {
                if (take(room, row.getValue())) {
                    batches.add(row.getKey());
                }
            }
            if (batches.isEmpty()) {
                return List.of();
            }
            // the rows are locked and due: the claim of any stage ("stage" NULL) takes them all
            return h.createQuery(sql.of(SqlText.CLAIM))
                    .bind("owner", owner)
                    .bind("lease", lease.toMillis())
                    .bindArray("batches", Long.class, batches)
                    .bind("stage", (String) null)
                    .map(BatchRowMapper.ROWS)
                    .list();
        });
    }

    /**
     * Claims up to {@code limit} due shards for {@code owner}: {@code pending} shards whose {@code run_after} has
     * passed, of batches fanned out at the shard's stage, oldest {@code run_after} first, skipping shard rows other
     * workers hold locked. Capped stages as in {@link #claim}: a stage's running shards and running batches share
     * its cap.
     *
     * @param owner the claiming worker
     * @param lease the lease of each shard claim
     * @param limit at most this many claims, at least 1
     * @param stageCaps the global cap of concurrent executions per stage; may be empty
     * @return the claimed shards, {@code in_progress} under {@code owner}
     */
    List<ShardRecord> claimShards(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return jdbi.inTransaction(h -> {
            Map<String, Integer> room = room(h, stageCaps);
            List<ShardKey> due = h.createQuery(sql.of(SqlText.LOCK_DUE_SHARDS))
                    .bindArray("full", String.class, full(room))
                    .bind("limit", limit)
                    .map((rs, ctx) -> new ShardKey(rs.getLong(1), rs.getString(2), rs.getInt(3)))
                    .list();
            List<Long> batches = new ArrayList<>();
            List<String> stages = new ArrayList<>();
            List<Integer> shards = new ArrayList<>();
            for (ShardKey key : due) {
                if (take(room, key.stage())) {
                    batches.add(key.batchId());
                    stages.add(key.stage());
                    shards.add(key.shard());
                }
            }
            if (batches.isEmpty()) {
                return List.of();
            }
            return h.createQuery(sql.of(SqlText.CLAIM_DUE_SHARDS))
                    .bind("owner", owner)
                    .bind("lease", lease.toMillis())
                    .bindArray("batches", Long.class, batches)
                    .bindArray("stages", String.class, stages)
                    .bindArray("shards", Integer.class, shards)
                    .map(ShardRowMapper.ROWS)
                    .list();
        });
    }

    /** One due shard, locked. */
    private record ShardKey(long batchId, String stage, int shard) {}

    /**
     * @return the room left under each cap: the cap less what runs at the stage now; empty without caps. With caps,
     *     takes the advisory lock that serialises capped claims until the transaction ends.
     */
    private Map<String, Integer> room(Handle h, Map<String, Integer> stageCaps) {
        Map<String, Integer> room = new HashMap<>();
        if (stageCaps.isEmpty()) {
            return room;
        }
        h.createQuery(sql.of(SqlText.ADVISORY_LOCK))
                .bind("key", capsLockKey)
                .mapTo(Boolean.class)
                .one();
        room.putAll(stageCaps);
        h.createQuery(sql.of(SqlText.COUNT_RUNNING_WITH_SHARDS))
                .bindArray("capped", String.class, List.copyOf(stageCaps.keySet()))
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2)))
                .forEach(e -> room.merge(e.getKey(), -e.getValue(), Integer::sum));
        return room;
    }

    /** @return the capped stages with no room left */
    private static List<String> full(Map<String, Integer> room) {
        return room.entrySet().stream()
                .filter(e -> e.getValue() <= 0)
                .map(Map.Entry::getKey)
                .toList();
    }

    /** @return whether one more execution of {@code stage} fits, counting it against its cap when it has one */
    private static boolean take(Map<String, Integer> room, String stage) {
        Integer left = room.get(stage);
        if (left == null) {
            return true;
        }
        if (left <= 0) {
            return false;
        }
        room.put(stage, left - 1);
        return true;
    }
}
