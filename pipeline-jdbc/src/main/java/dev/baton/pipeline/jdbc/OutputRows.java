package dev.baton.pipeline.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.result.ResultIterator;

/**
 * Writes and reads stage outputs in {@code batch_processing_data}. An output longer than the chunk
 * threshold is stored as several rows, each holding a slice of the JSON text as a JSON string, so no
 * single value approaches PostgreSQL's 1 GB limit and no statement carries the whole text; smaller
 * outputs are one row holding the JSON itself, queryable as jsonb.
 */
final class OutputRows {
    private final TableNames names;
    private final int threshold;

    OutputRows(TableNames names, int threshold) {
        this.names = names;
        this.threshold = threshold;
    }

    /** Replaces every row of (batch, stage) with {@code json}; runs inside the caller's transaction. */
    void replace(Handle h, long batchId, String stage, String json) {
        h.createUpdate("DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = :s")
                .bind("b", batchId).bind("s", stage).execute();
        if (json.length() <= threshold) {
            h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                            + " VALUES (:b, :s, CAST(:d AS jsonb), now(), 0, 1)")
                    .bind("b", batchId).bind("s", stage).bind("d", json).execute();
            return;
        }
        List<Integer> ends = new ArrayList<>();
        for (int from = 0; from < json.length(); ) {
            int to = Math.min(json.length(), from + threshold);
            if (to < json.length() && Character.isHighSurrogate(json.charAt(to - 1))) {
                to--; // never split a surrogate pair
            }
            ends.add(to);
            from = to;
        }
        int from = 0;
        for (int chunk = 0; chunk < ends.size(); chunk++) {
            h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                            + " VALUES (:b, :s, to_jsonb(CAST(:d AS text)), now(), :c, :n)")
                    .bind("b", batchId).bind("s", stage).bind("d", json.substring(from, ends.get(chunk)))
                    .bind("c", chunk).bind("n", ends.size())
                    .execute();
            from = ends.get(chunk);
        }
    }

    /** Reads and reassembles (batch, stage); streams the rows one at a time. Needs a transaction for the cursor. */
    Optional<String> read(Handle h, long batchId, String stage) {
        try (ResultIterator<String> rows = h.createQuery("SELECT CASE WHEN chunks > 1 THEN data #>> '{}' ELSE data::text END"
                        + " FROM " + names.data() + " WHERE batch_id = :b AND stage = :s ORDER BY chunk")
                .bind("b", batchId).bind("s", stage)
                .setFetchSize(1)
                .mapTo(String.class)
                .iterator()) {
            if (!rows.hasNext()) {
                return Optional.empty();
            }
            String first = rows.next();
            if (!rows.hasNext()) {
                return Optional.of(first);
            }
            StringBuilder text = new StringBuilder(first);
            rows.forEachRemaining(text::append);
            return Optional.of(text.toString());
        }
    }
}
