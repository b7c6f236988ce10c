package dev.baton.pipeline.jdbc;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;

/**
 * Copies the elements of a JSON array's text into a joined array, as text (nothing is parsed or re-formatted, so a
 * chunked output joins exactly), holding back only the run of whitespace and {@code ]} at the end, which may close
 * the array. Stateless.
 */
final class ArrayJoin {
    private ArrayJoin() {}

    /**
     * @param in the text of one valid JSON array
     * @param out the joined array, after its {@code [} and any elements before
     * @param elementsBefore whether {@code out} already holds an element (a comma then goes first)
     * @return whether {@code out} holds an element now
     * @throws IOException if reading or writing fails, or {@code in} is not an array
     */
    static boolean appendElements(Reader in, Writer out, boolean elementsBefore) throws IOException {
        int c = skipWhitespace(in);
        if (c != '[') {
            throw new IOException("a shard's output is not a JSON array (it starts with "
                    + (c < 0 ? "nothing" : "'" + (char) c + "'") + ")");
        }
        c = skipWhitespace(in);
        if (c == ']') {
            return elementsBefore;
        }
        if (elementsBefore) {
            out.write(',');
        }
        StringBuilder tail = new StringBuilder();
        for (; c >= 0; c = in.read()) {
            if (c == ']' || Character.isWhitespace(c)) {
                tail.append((char) c);
            } else {
                if (!tail.isEmpty()) {
                    out.append(tail);
                    tail.setLength(0);
                }
                out.write(c);
            }
        }
        int end = tail.length();
        while (end > 0 && Character.isWhitespace(tail.charAt(end - 1))) {
            end--;
        }
        if (end == 0 || tail.charAt(end - 1) != ']') {
            throw new IOException("a shard's output is not a JSON array (it does not end with ']')");
        }
        out.append(tail, 0, end - 1);
        return true;
    }

    private static int skipWhitespace(Reader in) throws IOException {
        int c = in.read();
        while (c >= 0 && Character.isWhitespace(c)) {
            c = in.read();
        }
        return c;
    }
}
