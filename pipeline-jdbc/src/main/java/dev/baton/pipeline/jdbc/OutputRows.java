package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.UnstorableValueException;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStore;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.result.ResultIterator;

/**
 * Writes and reads stage outputs in {@code batch_processing_data}. An output longer than the chunk
 * threshold is stored as rows {@code chunk = 0..n-1} with {@code chunks = n}, each holding a slice of
 * the JSON text as a JSON string, so no single value nears PostgreSQL's limits (a jsonb string holds
 * at most 256 MB) and no statement carries the whole text; a smaller output is one row holding the JSON
 * itself, queryable as jsonb.
 *
 * <p>Both directions stream: a source writes once into a {@link Write} that inserts a row each time a
 * slice fills, and a reader reads the rows one at a time, so memory per output is one slice whatever
 * the output's size.
 */
final class OutputRows {
    /** {@code chunks} of rows being written; the last statement of a write sets the real count. */
    private static final int COUNT_PENDING = Integer.MAX_VALUE;

    private final Jdbi jdbi;
    private final TableNames names;
    private final int threshold;

    OutputRows(Jdbi jdbi, TableNames names, int threshold) {
        this.jdbi = jdbi;
        this.names = names;
        this.threshold = threshold;
    }

    /**
     * Starts the write of one output of (batch, stage); see {@link Write}.
     *
     * @param where what the output is, for messages ({@code "the output of stage 'x' of batch 1"})
     * @param lockRow the caller's compare-and-set, run first in the transaction of a chunked write;
     *     empty when the claim was lost
     */
    <M> Write<M> write(long batchId, String stage, String where, Function<Handle, Optional<M>> lockRow) {
        return new Write<>(batchId, stage, where, lockRow);
    }

    /**
     * Reads (batch, stage) through {@code reader}, fetching one row at a time (the caller's transaction
     * keeps the server-side cursor open).
     *
     * @throws IllegalStateException if the stored chunks are not a complete sequence
     * @throws UncheckedIOException wrapping the reader's {@link IOException}
     */
    <T> Optional<T> read(Handle h, long batchId, String stage, StageStore.JsonReader<T> reader) {
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
                return Optional.ofNullable(reader.read(new StringReader(first.text())));
            }
            Joined joined = new Joined(rows, first, batchId, stage);
            try {
                return Optional.ofNullable(reader.read(joined));
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

    /**
     * One output, taken from its source in a single pass (a source may be an iterator that cannot be
     * read twice): the first {@link #threshold} characters are kept in memory; if the source writes
     * more, the transaction starts (the caller's compare-and-set first), the stage's earlier rows are
     * deleted and the text streams into chunk rows, a row each time a slice fills, never splitting a
     * surrogate pair. Text given as text is checked as JSON before anything is written, and a streamed
     * source's text when it fits one row; a chunked streamed text is not parsed again (it comes from a
     * JSON writer, and a jsonb cast would not see it). A failure of the database is kept in
     * {@link #failure}, since a serialiser may wrap what its writer throws.
     * {@link #close} rolls back whatever was not committed.
     */
    final class Write<M> extends Writer {
        private final long batchId;
        private final String stage;
        private final String where;
        private final Function<Handle, Optional<M>> lockRow;
        private StringBuilder head = new StringBuilder();
        private String fitting;
        private Handle h;
        private Optional<M> moved = Optional.empty();
        private char[] slice;
        private int filled;
        private int chunks;
        private boolean lost;
        private RuntimeException failure;
        private final Utf16 utf16;
        private UnstorableValueException refused;

        private Write(long batchId, String stage, String where, Function<Handle, Optional<M>> lockRow) {
            this.batchId = batchId;
            this.stage = stage;
            this.where = where;
            this.lockRow = lockRow;
            this.utf16 = new Utf16(where);
        }

        /**
         * Writes {@code source} into this, once.
         *
         * @throws UnstorableValueException if the text is not one JSON value or the source fails
         * @throws RuntimeException the database's failure, as it was thrown
         */
        void from(JsonSource source) {
            if (source.isText()) {
                JsonText.requireValid(source.text().orElse(null), where);
            }
            try {
                source.writeTo(this);
                refuseIf(utf16::end);
            } catch (IOException | RuntimeException e) {
                if (lost) {
                    return;
                }
                if (failure != null) {
                    throw failure;
                }
                if (refused != null) {
                    throw refused;
                }
                throw new UnstorableValueException(where + " could not be written: " + e.getMessage(), e);
            }
            if (slice == null) {
                String text = head.toString();
                if (!source.isText()) {
                    JsonText.requireValid(text, where);
                }
                if (JsonText.hasNulEscape(text)) {
                    chunked(text);
                } else {
                    fitting = text;
                }
            }
        }

        /**
         * Stores a text that fits one row as two chunk rows instead: jsonb refuses the escape
         * {@code \u0000}, while a chunk row holds its slice as a string, which keeps it as it is.
         */
        private void chunked(String text) {
            begin();
            if (lost) {
                return;
            }
            int half = text.length() / 2;
            int cut = Character.isHighSurrogate(text.charAt(half - 1)) ? half - 1 : half;
            run(() -> {
                insert(text.substring(0, cut));
                insert(text.substring(cut));
            });
        }

        private void refuseIf(Runnable check) {
            try {
                check.run();
            } catch (UnstorableValueException e) {
                refused = e;
                throw e;
            }
        }

        private void check(char[] chars, int off, int len) {
            refuseIf(() -> {
                for (int i = off; i < off + len; i++) {
                    utf16.next(chars[i]);
                }
            });
        }

        private void check(String s, int off, int len) {
            refuseIf(() -> {
                for (int i = off; i < off + len; i++) {
                    utf16.next(s.charAt(i));
                }
            });
        }

        /** @return whether the claim was lost when the chunked write began (nothing is written) */
        boolean lost() {
            return lost;
        }

        /** @return the whole text when it fits one row (nothing has been written), else null */
        String fitting() {
            return fitting;
        }

        /** Writes the last slice and every row's count, and commits; @return what the compare-and-set returned */
        M commit() {
            run(() -> {
                if (filled > 0) {
                    insert(new String(slice, 0, filled));
                    filled = 0;
                }
                h.createUpdate("UPDATE " + names.data() + " SET chunks = :n WHERE batch_id = :b AND stage = :s")
                        .bind("n", chunks).bind("b", batchId).bind("s", stage).execute();
                // the compare-and-set ran when the transaction began: a lease it set (the next stage's claim)
                // counts from now, not from then, however long the output took to stream
                h.createUpdate("UPDATE " + names.queue() + " SET lease_until = lease_until + (clock_timestamp() - now())"
                                + " WHERE batch_id = :b AND lease_until IS NOT NULL")
                        .bind("b", batchId).execute();
                h.commit();
            });
            return moved.orElseThrow();
        }

        @Override
        public void write(char[] chars, int off, int len) throws IOException {
            check(chars, off, len);
            if (slice == null && !spills(len)) {
                head.append(chars, off, len);
                return;
            }
            while (len > 0) {
                int n = Math.min(len, slice.length - filled);
                System.arraycopy(chars, off, slice, filled, n);
                added(n);
                off += n;
                len -= n;
            }
        }

        @Override
        public void write(String s, int off, int len) throws IOException {
            check(s, off, len);
            if (slice == null && !spills(len)) {
                head.append(s, off, off + len);
                return;
            }
            fill(s, off, len);
        }

        private void fill(String s, int off, int len) {
            while (len > 0) {
                int n = Math.min(len, slice.length - filled);
                s.getChars(off, off + n, slice, filled);
                added(n);
                off += n;
                len -= n;
            }
        }

        /** @return false while {@code len} more characters still fit the head; else begins the chunked write */
        private boolean spills(int len) throws IOException {
            if (lost) {
                throw new IOException("the claim of " + where + " was lost; nothing is written");
            }
            if (head.length() + len <= threshold) {
                return false;
            }
            begin();
            if (lost) {
                throw new IOException("the claim of " + where + " was lost; nothing is written");
            }
            slice = new char[threshold];
            String text = head.toString();
            head = null;
            fill(text, 0, text.length());
            return true;
        }

        /** Opens the transaction of a chunked write: the caller's compare-and-set, then the stage's old rows go. */
        private void begin() {
            run(() -> {
                h = jdbi.open();
                h.begin();
                moved = lockRow.apply(h);
                if (moved.isPresent()) {
                    h.createUpdate("DELETE FROM " + names.data() + " WHERE batch_id = :b AND stage = :s")
                            .bind("b", batchId).bind("s", stage).execute();
                }
            });
            lost = moved.isEmpty();
        }

        private void added(int n) {
            filled += n;
            if (filled < slice.length) {
                return;
            }
            boolean split = Character.isHighSurrogate(slice[filled - 1]);
            int length = split ? filled - 1 : filled;
            run(() -> insert(new String(slice, 0, length)));
            filled = 0;
            if (split) {
                slice[filled++] = slice[length];
            }
        }

        private void insert(String text) {
            h.createUpdate("INSERT INTO " + names.data() + " (batch_id, stage, data, created_at, chunk, chunks)"
                            + " VALUES (:b, :s, to_jsonb(CAST(:d AS text)), now(), :c, :n)")
                    .bind("b", batchId).bind("s", stage).bind("d", text).bind("c", chunks).bind("n", COUNT_PENDING)
                    .execute();
            chunks++;
        }

        private void run(Runnable step) {
            try {
                step.run();
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void flush() {}

        /** Rolls back and returns the connection of a chunked write that was not committed. */
        @Override
        public void close() {
            if (h == null) {
                return;
            }
            try {
                if (h.isInTransaction()) {
                    h.rollback();
                }
            } finally {
                h.close();
            }
        }
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
