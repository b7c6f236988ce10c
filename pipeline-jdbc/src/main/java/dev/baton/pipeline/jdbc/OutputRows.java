package dev.baton.pipeline.jdbc;

import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.result.ResultIterator;

/**
 * Writes and reads stage outputs in {@code batch_processing_data}. An output longer than the chunk
 * threshold is stored as rows {@code chunk = 0..n-1} with {@code chunks = n}, each holding a slice of
 * the JSON text as a JSON string, so no single value nears PostgreSQL's limits (a jsonb string holds
 * at most 256 MB) and no statement carries the whole text; a smaller output is one row holding the JSON
 * itself, queryable as jsonb.
 */
final class OutputRows {
    private final TableNames names;
    private final int threshold;

    OutputRows(TableNames names, int threshold) {
        this.names = names;
        this.threshold = threshold;
    }

    /** @return outputs longer than this many characters are chunked */
    int threshold() {
        return threshold;
    }

    /**
     * Replaces every row of (batch, stage) with {@code json}. Runs inside the caller's transaction,
     * after the caller's compare-and-set has locked the queue row, so writers of one stage never
     * interleave. Memory: the text plus one slice.
     */
    void replace(Handle h, long batchId, String stage, String json) {
        h.createUpdate("DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = :s")
                .bind("b", batchId).bind("s", stage).execute();
        if (json.length() <= threshold) {
            h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                            + " VALUES (:b, :s, CAST(:d AS jsonb), now(), 0, 1)")
                    .bind("b", batchId).bind("s", stage).bind("d", json).execute();
            return;
        }
        int chunks = 0;
        for (int from = 0; from < json.length(); from = end(json, from)) {
            chunks++;
        }
        int chunk = 0;
        for (int from = 0; from < json.length(); chunk++) {
            int to = end(json, from);
            h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                            + " VALUES (:b, :s, to_jsonb(CAST(:d AS text)), now(), :c, :n)")
                    .bind("b", batchId).bind("s", stage).bind("d", json.substring(from, to))
                    .bind("c", chunk).bind("n", chunks)
                    .execute();
            from = to;
        }
    }

    /** The end of the slice that starts at {@code from}: at most the threshold, never inside a surrogate pair. */
    private int end(String json, int from) {
        int to = Math.min(json.length(), from + threshold);
        if (to < json.length() && Character.isHighSurrogate(json.charAt(to - 1))) {
            to--;
        }
        return to;
    }

    /**
     * Reads and reassembles (batch, stage), fetching one row at a time (the caller's transaction keeps
     * the server-side cursor open). The text is built once, in a buffer sized from the first slice.
     *
     * @throws IllegalStateException if the stored chunks are not a complete sequence
     */
    Optional<String> read(Handle h, long batchId, String stage) {
        try (ResultIterator<Slice> rows = h.createQuery("SELECT chunk, chunks,"
                        + " CASE WHEN chunks > 1 THEN data #>> '{}' ELSE data::text END AS text"
                        + " FROM " + names.data() + " WHERE batch_id = :b AND stage = :s ORDER BY chunk")
                .bind("b", batchId).bind("s", stage)
                .setFetchSize(1)
                .map((rs, ctx) -> new Slice(rs.getInt("chunk"), rs.getInt("chunks"), rs.getString("text")))
                .iterator()) {
            if (!rows.hasNext()) {
                return Optional.empty();
            }
            Slice first = rows.next();
            check(first, 0, first.chunks(), batchId, stage);
            if (first.chunks() == 1) {
                return Optional.of(first.text());
            }
            // every slice is at most the first one plus one char (a surrogate pair kept whole), so this never grows
            long capacity = (first.text().length() + 1L) * first.chunks();
            StringBuilder text = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 16L, capacity));
            text.append(first.text());
            int expected = 1;
            while (rows.hasNext()) {
                Slice next = rows.next();
                check(next, expected++, first.chunks(), batchId, stage);
                text.append(next.text());
            }
            if (expected != first.chunks()) {
                throw incomplete(batchId, stage, "has " + expected + " of its " + first.chunks() + " chunks");
            }
            return Optional.of(text.toString());
        }
    }

    private static void check(Slice slice, int expected, int chunks, long batchId, String stage) {
        if (slice.chunk() != expected || slice.chunks() != chunks) {
            throw incomplete(batchId, stage, "has chunk " + slice.chunk() + " of " + slice.chunks() + " where chunk "
                    + expected + " of " + chunks + " was expected");
        }
    }

    private static IllegalStateException incomplete(long batchId, String stage, String what) {
        return new IllegalStateException("the output of stage '" + stage + "' of batch " + batchId + " " + what
                + " in batch_processing_data; the rows were changed outside Baton: restart the batch from that stage");
    }

    private record Slice(int chunk, int chunks, String text) {}
}
