package dev.baton.pipeline.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamReadException;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Checks that a text is exactly one JSON value before it is stored. Small outputs would be checked by
 * the jsonb cast anyway, but chunked ones are stored as plain string slices, so without this a
 * malformed large output would only fail when the next stage reads it. Streams tokens: no tree, and
 * strings are skipped rather than copied.
 */
final class JsonText {
    // PostgreSQL, not Jackson's defaults (20 M chars per string, 1,000 digits, depth 500), sets the limits here
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNestingDepth(Integer.MAX_VALUE)
                    .build())
            .build();

    private JsonText() {}

    /**
     * @param json the text
     * @param what what it is, for the message ({@code "the output of stage 'x' of batch 1"})
     * @throws UnstorableValueException if it is null, empty, malformed or more than one value
     */
    static void requireValid(String json, String what) {
        if (json == null) {
            throw new UnstorableValueException(what + " is null; store the JSON text \"null\" instead");
        }
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                throw new UnstorableValueException(what + " is empty, not JSON");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new UnstorableValueException(what + " holds more than one JSON value (extra text at line "
                        + p.currentLocation().getLineNr() + ", column "
                        + p.currentLocation().getColumnNr() + ")");
            }
        } catch (StreamReadException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new UnstorableValueException(what + " is not valid JSON: " + e.getOriginalMessage() + where, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param json JSON text
     * @return whether a string in it holds the escape {@code \u0000}, which PostgreSQL's jsonb refuses
     *     (an escaped backslash followed by {@code u0000} is not one)
     */
    static boolean hasNulEscape(CharSequence json) {
        for (int i = json.length() - 6; i >= 0; i--) {
            if (json.charAt(i) == '\\'
                    && json.charAt(i + 1) == 'u'
                    && json.charAt(i + 2) == '0'
                    && json.charAt(i + 3) == '0'
                    && json.charAt(i + 4) == '0'
                    && json.charAt(i + 5) == '0') {
                int backslashes = 1;
                while (i - backslashes >= 0 && json.charAt(i - backslashes) == '\\') {
                    backslashes++;
                }
                if (backslashes % 2 == 1) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * {@link #requireValid}, and what a {@code jsonb} cursor column can store as it is.
     *
     * @param text a cursor's JSON text
     * @param what what it is, for the message
     * @throws UnstorableValueException if it is not one JSON value, or holds an unpaired UTF-16 surrogate
     *     (UTF-8 cannot encode it; the driver would write {@code ?}) or the escape {@code \u0000}
     */
    static void requireStorableCursor(String text, String what) {
        requireValid(text, what);
        Utf16.requireWellFormed(text, what);
        if (hasNulEscape(text)) {
            throw new UnstorableValueException(
                    what + " holds the character U+0000, which PostgreSQL's jsonb cannot store;"
                            + " keep such text in the stage's output (which stores it faithfully) or encode it, for "
                            + "example as Base64");
        }
    }
}
