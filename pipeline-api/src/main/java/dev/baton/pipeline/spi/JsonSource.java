package dev.baton.pipeline.spi;

import java.io.IOException;
import java.io.Writer;
import java.util.Objects;
import java.util.Optional;

/**
 * The JSON text of an output that a {@link StageStore} writes: either a text held in memory
 * ({@link #ofText}) or a text written on demand into the store's {@link Writer} ({@link #streamed}).
 * The runner streams: it serialises a stage's output with Jackson straight into the store, so an
 * output larger than the store's chunk size is never held as one string, and memory per running
 * stage does not grow with the size of its output.
 *
 * <p>A store writes a streamed source once (it may be an iterator that cannot be read twice). While
 * a long output streams into the PostgreSQL store, its transaction is open and the batch's row is
 * locked, so a source should write what it has rather than wait on slow I/O. Immutable when its
 * writer is.
 */
public final class JsonSource {
    /** Writes JSON text into a {@link Writer}. */
    @FunctionalInterface
    public interface Writing {
        /**
         * @param out where the text goes; do not close it
         * @throws IOException if the text cannot be written (the store writes nothing)
         */
        void writeTo(Writer out) throws IOException;
    }

    private final String text;
    private final Writing writing;

    private JsonSource(String text, Writing writing) {
        this.text = text;
        this.writing = writing;
    }

    /**
     * @param json JSON text; a store rejects null, empty or malformed text with an
     *     {@link IllegalArgumentException} and writes nothing
     * @return a source of that text
     */
    public static JsonSource ofText(String json) {
        return new JsonSource(json, null);
    }

    /**
     * @param writing writes the text; use a JSON writer such as Jackson's (a store checks a text that
     *     fits one row, but does not parse a long streamed text again)
     * @return a source that writes on demand
     * @throws NullPointerException if {@code writing} is null
     */
    public static JsonSource streamed(Writing writing) {
        return new JsonSource(null, Objects.requireNonNull(writing, "writing"));
    }

    /** @return the text when this source was made {@linkplain #ofText from text} (a store validates it), else empty */
    public Optional<String> text() {
        return Optional.ofNullable(text);
    }

    /** @return whether this source holds text (which may be null) rather than writing on demand */
    public boolean isText() {
        return writing == null;
    }

    /**
     * Writes the text.
     *
     * @param out where the text goes; not closed
     * @throws IOException if the source cannot write its text, or {@code out} fails
     * @throws IllegalStateException if this source was made from null text
     */
    public void writeTo(Writer out) throws IOException {
        if (writing != null) {
            writing.writeTo(out);
        } else if (text != null) {
            out.write(text);
        } else {
            throw new IllegalStateException("a JSON source made from null text has nothing to write");
        }
    }
}
