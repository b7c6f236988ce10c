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
    private final String q;

    DueClaims(Jdbi jdbi, String queueTable) {
        this.jdbi = jdbi;
        this.q = queueTable;
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
                    .bindArray("ids", Long.class, ids).map(BatchRowMapper.ROWS).list();
        });
    }
}
