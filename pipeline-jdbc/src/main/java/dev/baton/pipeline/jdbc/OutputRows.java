package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
 *
 * <p>A batch's input is stored the same way, under the stage name {@link #INPUT}.
 */
final class OutputRows {
    /** The stage name of a batch's input: no stage can have it (stage names start with a letter). */
    static final String INPUT = ":input";
    /** {@code chunks} of rows being written; the last statement of a write sets the real count. */
    private static final int COUNT_PENDING = Integer.MAX_VALUE;

    private final Jdbi jdbi;
    private final Statements sql;
    private final int threshold;

    OutputRows(Jdbi jdbi, Statements sql, int threshold) {
        this.jdbi = jdbi;
        this.sql = sql;
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
        return new Write<>(batchId, stage, where, lockRow, false);
    }

    /**
     * Starts the write of a batch's input; see {@link Write}. Unlike an output's, it computes the
     * {@linkplain Write#digest() digest} of the text, and when {@code insertRow} finds the batch already
     * there it still takes the whole text from the source, for the digest, and writes nothing.
     *
     * @param where what the input is, for messages ({@code "the input of batch 1"})
     * @param insertRow the caller's insert of the queue row, run first in the transaction of a chunked
     *     write; empty when the batch already has a run
     */
    <M> Write<M> writeInput(long batchId, String where, Function<Handle, Optional<M>> insertRow) {
        return new Write<>(batchId, INPUT, where, insertRow, true);
    }

    /**
     * Starts the write of one output of (batch, stage) inside the caller's transaction on {@code h}, which has
     * already done its compare-and-set: the text streams into rows on {@code h} (or stays in memory while it fits
     * one row), {@link Write#finishIn()} writes what is left, and the caller commits or rolls back. Closing it
     * leaves {@code h} alone.
     *
     * @param where what the output is, for messages
     */
    Write<Boolean> writeIn(Handle h, long batchId, String stage, String where) {
        Write<Boolean> write = new Write<>(batchId, stage, where, handle -> Optional.of(true), false);
        write.h = h;
        write.external = true;
        return write;
    }

    /**
     * Reads (batch, stage) through {@code reader}, fetching one row at a time (the caller's transaction
     * keeps the server-side cursor open).
     *
     * @param where what the text is, for messages ({@code "the output of stage 'x' of batch 1"})
     * @throws IllegalStateException if the stored chunks are not a complete sequence
     * @throws UncheckedIOException wrapping the reader's {@link IOException}
     */
    <T> Optional<T> read(Handle h, long batchId, String stage, String where, StageStore.JsonReader<T> reader) {
        try (ResultIterator<Slice> rows = h.createQuery(sql.of(SqlText.READ_ROWS))
                .bind("b", batchId)
                .bind("s", stage)
                .setFetchSize(1)
                .map((rs, ctx) -> new Slice(rs.getInt("chunk"), rs.getInt("chunks"), rs.getString("text")))
                .iterator()) {
            if (!rows.hasNext()) {
                return Optional.empty();
            }
            Slice first = rows.next();
            check(first, 0, first.chunks(), where);
            if (first.chunks() == 1) {
                return Optional.ofNullable(reader.read(new StringReader(first.text())));
            }
            Joined joined = new Joined(rows, first, where);
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

    private static void check(Slice slice, int expected, int chunks, String where) {
        if (slice.chunk() != expected || slice.chunks() != chunks) {
            throw incomplete(
                    where,
                    "has chunk " + slice.chunk() + " of " + slice.chunks() + " where chunk " + expected + " of "
                            + chunks + " was expected");
        }
    }

    private static IllegalStateException incomplete(String where, String what) {
        return new IllegalStateException(where + " " + what + " in batch_processing_data; the rows were changed outside"
                + " Baton: "
                + (where.startsWith("the input")
                        ? "start the work again as a new batch"
                        : "restart the batch from that stage"));
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
     *
     * <p>An input's write ({@code drain}) also computes the SHA-256 of the text's UTF-8 as it passes, and
     * when the row is not there to write for, it takes the rest of the text for the digest alone.
     */
    final class Write<M> extends Writer {
        private final long batchId;
        private final String stage;
        private final String where;
        private final Function<Handle, Optional<M>> lockRow;
        private final boolean drain;
        private final MessageDigest sha256;
        private final Writer digesting;
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
        private boolean external;

        private Write(long batchId, String stage, String where, Function<Handle, Optional<M>> lockRow, boolean drain) {
            this.batchId = batchId;
            this.stage = stage;
            this.where = where;
            this.lockRow = lockRow;
            this.utf16 = new Utf16(where);
            this.drain = drain;
            this.sha256 = drain ? newSha256() : null;
            this.digesting = drain
                    ? new OutputStreamWriter(
                            new DigestOutputStream(OutputStream.nullOutputStream(), sha256), StandardCharsets.UTF_8)
                    : null;
        }

        private static MessageDigest newSha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java platform has SHA-256", e);
            }
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
                if (lost && !drain) {
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
            if (slice == null && !lost) {
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

        /** @return the hex SHA-256 of the UTF-8 of the whole text, for an input's write (after {@link #from}) */
        String digest() {
            try {
                digesting.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a null stream does not fail
            }
            return HexFormat.of().formatHex(sha256.digest());
        }

        /**
         * Writes the last slice and every row's count, and commits an output's chunked write.
         *
         * @return what the compare-and-set returned
         */
        M commit() {
            return commit(handle -> {
                // the compare-and-set ran when the transaction began: a lease it set (the next stage's claim)
                // counts from now, not from then, however long the output took to stream
                handle.createUpdate(sql.of(SqlText.SHIFT_LEASE))
                        .bind("b", batchId)
                        .execute();
                return moved.orElseThrow();
            });
        }

        /**
         * Writes the last slice and every row's count, runs {@code last} in the same transaction, and commits.
         *
         * @return what {@code last} returned
         */
        <R> R commit(Function<Handle, R> last) {
            Object[] result = new Object[1];
            run(() -> {
                if (filled > 0) {
                    insert(new String(slice, 0, filled));
                    filled = 0;
                }
                h.createUpdate(sql.of(SqlText.COUNT_CHUNKS))
                        .bind("n", chunks)
                        .bind("b", batchId)
                        .bind("s", stage)
                        .execute();
                result[0] = last.apply(h);
                h.commit();
            });
            @SuppressWarnings("unchecked")
            R r = (R) result[0];
            return r;
        }

        /**
         * @return {@code true} when the characters just checked go nowhere: the row was not there to write for
         *     and this write only digests
         * @throws IOException when the row was not there and this is an output's write: it stops the source
         */
        private boolean dropped() throws IOException {
            if (!lost) {
                return false;
            }
            if (drain) {
                return true;
            }
            throw new IOException("the claim of " + where + " was lost; nothing is written");
        }

        private void digest(char[] chars, int off, int len) throws IOException {
            if (digesting != null) {
                digesting.write(chars, off, len);
            }
        }

        private void digest(String s, int off, int len) throws IOException {
            if (digesting != null) {
                digesting.write(s, off, len);
            }
        }

        @Override
        public void write(char[] chars, int off, int len) throws IOException {
            check(chars, off, len);
            digest(chars, off, len);
            if (dropped()) {
                return;
            }
            if (slice == null && !spills(len)) {
                head.append(chars, off, len);
                return;
            }
            if (dropped()) {
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
            digest(s, off, len);
            if (dropped()) {
                return;
            }
            if (slice == null && !spills(len)) {
                head.append(s, off, off + len);
                return;
            }
            if (dropped()) {
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

        /**
         * @return false while {@code len} more characters still fit the head; else begins the chunked write
         *     (which may find the row gone: see {@link #dropped})
         */
        private boolean spills(int len) {
            if (head.length() + len <= threshold) {
                return false;
            }
            begin();
            if (lost) {
                head = null;
                return true;
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
                if (!external) {
                    h = jdbi.open();
                    h.begin();
                }
                moved = lockRow.apply(h);
                if (moved.isPresent()) {
                    h.createUpdate(sql.of(SqlText.DELETE_ROWS))
                            .bind("b", batchId)
                            .bind("s", stage)
                            .execute();
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
            h.createUpdate(sql.of(SqlText.INSERT_CHUNK))
                    .bind("b", batchId)
                    .bind("s", stage)
                    .bind("d", text)
                    .bind("c", chunks)
                    .bind("n", COUNT_PENDING)
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

        /**
         * Ends a {@link #writeIn} write after {@link #from}: writes the text that fit in memory as one row, or the
         * last slice and every row's count; the caller's transaction commits it.
         */
        void finishIn() {
            if (fitting != null) {
                String text = fitting;
                run(() -> {
                    h.createUpdate(sql.of(SqlText.DELETE_ROWS))
                            .bind("b", batchId)
                            .bind("s", stage)
                            .execute();
                    h.createUpdate(sql.of(SqlText.PUT_OUTPUT))
                            .bind("b", batchId)
                            .bind("s", stage)
                            .bind("d", text)
                            .execute();
                });
                return;
            }
            run(() -> {
                if (slice != null && filled > 0) {
                    insert(new String(slice, 0, filled));
                    filled = 0;
                }
                h.createUpdate(sql.of(SqlText.COUNT_CHUNKS))
                        .bind("n", chunks)
                        .bind("b", batchId)
                        .bind("s", stage)
                        .execute();
            });
        }

        /** Rolls back and returns the connection of a chunked write that was not committed. */
        @Override
        public void close() {
            if (h == null || external) {
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
        private final String where;
        private String current;
        private int pos;
        private int next = 1;
        private RuntimeException failure;

        Joined(ResultIterator<Slice> rows, Slice first, String where) {
            this.rows = rows;
            this.chunks = first.chunks();
            this.where = where;
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
                        throw incomplete(where, "has " + next + " of its " + chunks + " chunks");
                    }
                    return false;
                }
                Slice slice = rows.next();
                check(slice, next++, chunks, where);
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
