package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.BatchRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/** The {@link QueueWorker}'s claims: due batches of any stage, many at once, skipping rows other workers hold. */
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
     * cap are running with a live lease across all workers; claims that involve caps serialise on an
     * advisory lock so the cap holds under concurrency.
     *
     * @param owner the claiming worker
     * @param lease the lease of each claim
     * @param limit at most this many claims, at least 1
     * @param stageCaps the global cap of concurrent executions per stage; may be empty
     * @return the claimed rows
     */
    List<BatchRecord> claim(String owner, Duration lease, int limit, Map<String, Integer> stageCaps) {
        return jdbi.inTransaction(h -> {
            Map<String, Integer> room = new HashMap<>();
            if (!stageCaps.isEmpty()) {
                h.createQuery(sql.of(SqlText.ADVISORY_LOCK))
                        .bind("key", capsLockKey)
                        .mapTo(Boolean.class)
                        .one();
                room.putAll(stageCaps);
                h.createQuery(sql.of(SqlText.COUNT_RUNNING))
                        .bindArray("capped", String.class, List.copyOf(stageCaps.keySet()))
                        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2)))
                        .forEach(e -> room.merge(e.getKey(), -e.getValue(), Integer::sum));
            }
            List<String> full = room.entrySet().stream()
                    .filter(e -> e.getValue() <= 0)
                    .map(Map.Entry::getKey)
                    .toList();
            List<Map.Entry<Long, String>> due = h.createQuery(sql.of(SqlText.LOCK_DUE))
                    .bindArray("full", String.class, full)
                    .bind("limit", limit)
                    .map((rs, ctx) -> Map.entry(rs.getLong(1), rs.getString(2)))
                    .list();
            List<Long> batches = new ArrayList<>();
            for (Map.Entry<Long, String> row : due) {
                Integer left = room.get(row.getValue());
                if (left == null) {
                    batches.add(row.getKey());
                } else if (left > 0) {
                    room.put(row.getValue(), left - 1);
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
}
