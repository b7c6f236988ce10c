package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.JsonSource;
import dev.baton.pipeline.StageStore;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.result.ResultIterator;

/**
 * Writes and reads stage outputs in {@code batch_processing_data}. An output longer than the chunk
 * threshold is stored as rows {@code chunk = 0..n-1} with {@code chunks = n}, each holding a slice of
 * the JSON text as a JSON string, so no single value nears PostgreSQL's limits (a jsonb string holds
 * at most 256 MB) and no statement carries the whole text; a smaller output is one row holding the JSON
 * itself, queryable as jsonb.
 *
 * <p>Both directions stream: a source writes into a {@link Slices} writer that inserts a row each time
 * a slice fills, and a reader reads the rows one at a time, so memory per output is one slice whatever
 * the output's size.
 */
final class OutputRows {
    /** {@code chunks} of rows being written; the last statement of a write sets the real count. */
    private static final int COUNT_PENDING = Integer.MAX_VALUE;

    private final TableNames names;
    private final int threshold;

    OutputRows(TableNames names, int threshold) {
        this.names = names;
        this.threshold = threshold;
    }

    /**
     * The output's text when it fits one row (at most the threshold), or null when it must be chunked.
     * A source that holds text is validated here; a streamed one is written into a buffer that gives
     * up at the threshold.
     *
     * @param where what the output is, for messages ({@code "the output of stage 'x' of batch 1"})
     * @throws IllegalArgumentException if the text is not one JSON value, or the source fails to write
     */
    String fitting(JsonSource source, String where) {
        if (source.isText()) {
            String text = source.text().orElse(null);
            JsonText.requireValid(text, where);
            return text.length() <= threshold ? text : null;
        }
        Bounded buffer = new Bounded(threshold);
        try {
            source.writeTo(buffer);
        } catch (IOException | RuntimeException e) {
            if (buffer.overflowed) {
                return null;
            }
            throw unwritable(where, e);
        }
        if (buffer.overflowed) {
            return null;
        }
        return buffer.toString();
    }

    /**
     * Replaces every row of (batch, stage) with the chunks of {@code source}. Runs inside the caller's
     * transaction, after the caller's compare-and-set has locked the queue row, so writers of one stage
     * never interleave. Memory: one slice.
     *
     * @throws IllegalArgumentException if the source fails to write (the caller's transaction must roll back)
     */
    void writeChunked(Handle h, long batchId, String stage, JsonSource source, String where) {
        h.createUpdate("DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = :s")
                .bind("b", batchId).bind("s", stage).execute();
        Slices slices = new Slices(h, batchId, stage);
        try {
            source.writeTo(slices);
        } catch (IOException | RuntimeException e) {
            if (slices.failure != null) {
                throw slices.failure;
            }
            throw unwritable(where, e);
        }
        slices.finish();
    }

    private static IllegalArgumentException unwritable(String where, Exception e) {
        return new IllegalArgumentException(where + " could not be written: " + e.getMessage(), e);
    }

    /**
     * Reads (batch, stage) through {@code reader}, fetching one row at a time (the caller's transaction
     * keeps the server-side cursor open).
     *
     * @throws IllegalStateException if the stored chunks are not a complete sequence
     * @throws UncheckedIOException wrapping the reader's {@link IOException}
     */
    <T> Optional<T> read(Handle h, long batchId, String stage, StageStore.OutputReader<T> reader) {
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
                return Optional.of(reader.read(new StringReader(first.text())));
            }
            Joined joined = new Joined(rows, first, batchId, stage);
            try {
                return Optional.of(reader.read(joined));
            } catch (IOException | RuntimeException e) {
                if (joined.failure != null) {
                    throw joined.failure;
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /** Collects text up to a limit; past it, records the overflow and refuses more (the source stops). */
    private static final class Bounded extends Writer {
        private final int limit;
        private final StringBuilder text = new StringBuilder();
        private boolean overflowed;

        Bounded(int limit) {
            this.limit = limit;
        }

        @Override
        public void write(char[] chars, int off, int len) throws IOException {
            if (overflowed || text.length() + len > limit) {
                overflowed = true;
                throw new IOException("output longer than " + limit + " characters: it goes in chunks");
            }
            text.append(chars, off, len);
        }

        @Override
        public void write(String s, int off, int len) throws IOException {
            if (overflowed || text.length() + len > limit) {
                overflowed = true;
                throw new IOException("output longer than " + limit + " characters: it goes in chunks");
            }
            text.append(s, off, off + len);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /**
     * Inserts a chunk row each time {@link #threshold} characters have been written, never splitting a
     * surrogate pair; {@link #finish} writes the rest and the count. A failure of the database is kept in
     * {@link #failure}, since a serialiser may wrap what its writer throws.
     */
    private final class Slices extends Writer {
        private final Handle h;
        private final long batchId;
        private final String stage;
        private final char[] slice = new char[threshold];
        private int filled;
        private int chunks;
        private RuntimeException failure;

        Slices(Handle h, long batchId, String stage) {
            this.h = h;
            this.batchId = batchId;
            this.stage = stage;
        }

        @Override
        public void write(char[] chars, int off, int len) {
            while (len > 0) {
                int n = Math.min(len, slice.length - filled);
                System.arraycopy(chars, off, slice, filled, n);
                filled += n;
                off += n;
                len -= n;
                if (filled == slice.length) {
                    insertFull();
                }
            }
        }

        @Override
        public void write(String s, int off, int len) {
            while (len > 0) {
                int n = Math.min(len, slice.length - filled);
                s.getChars(off, off + n, slice, filled);
                filled += n;
                off += n;
                len -= n;
                if (filled == slice.length) {
                    insertFull();
                }
            }
        }

        /** Inserts the full slice, holding back a trailing high surrogate for the next one. */
        private void insertFull() {
            boolean split = Character.isHighSurrogate(slice[filled - 1]);
            int length = split ? filled - 1 : filled;
            insert(new String(slice, 0, length));
            filled = 0;
            if (split) {
                slice[filled++] = slice[length];
            }
        }

        private void insert(String text) {
            try {
                h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                                + " VALUES (:b, :s, to_jsonb(CAST(:d AS text)), now(), :c, :n)")
                        .bind("b", batchId).bind("s", stage).bind("d", text).bind("c", chunks).bind("n", COUNT_PENDING)
                        .execute();
                chunks++;
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }

        /** Writes what is left and sets every row's {@code chunks}. */
        void finish() {
            if (filled > 0) {
                insert(new String(slice, 0, filled));
                filled = 0;
            }
            h.createUpdate("UPDATE " + names.data() + " SET chunks = :n WHERE batch_id = :b AND stage = :s")
                    .bind("n", chunks).bind("b", batchId).bind("s", stage).execute();
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    /**
     * The text of chunk rows read one at a time, checking that they follow each other. A failure (a gap,
     * the database) is kept in {@link #failure}, since a parser may wrap what its reader throws.
     */
    private static final class Joined extends Reader {
        private final ResultIterator<Slice> rows;
        private final int chunks;
        private final long batchId;
        private final String stage;
        private String current;
        private int pos;
        private int next = 1;
        private RuntimeException failure;

        Joined(ResultIterator<Slice> rows, Slice first, long batchId, String stage) {
            this.rows = rows;
            this.chunks = first.chunks();
            this.batchId = batchId;
            this.stage = stage;
            this.current = first.text();
        }

        @Override
        public int read(char[] buffer, int off, int len) {
            if (len == 0) {
                return 0;
            }
            while (pos == current.length()) {
                if (!advance()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length() - pos);
            current.getChars(pos, pos + n, buffer, off);
            pos += n;
            return n;
        }

        private boolean advance() {
            try {
                if (!rows.hasNext()) {
                    if (next != chunks) {
                        throw incomplete(batchId, stage, "has " + next + " of its " + chunks + " chunks");
                    }
                    return false;
                }
                Slice slice = rows.next();
                check(slice, next++, chunks, batchId, stage);
                current = slice.text();
                pos = 0;
                return true;
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void close() {}
    }
}
