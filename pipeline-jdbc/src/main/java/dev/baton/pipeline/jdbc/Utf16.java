package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.UnstorableValueException;

/**
 * Finds unpaired UTF-16 surrogates, which PostgreSQL cannot store: its text is UTF-8, and the driver
 * replaces what UTF-8 cannot encode with {@code ?}. A text that holds one is refused rather than altered.
 * Checks text as it streams past, one character at a time, so a pair split across two writes is still a pair.
 */
final class Utf16 {
    private final String what;
    private long position;
    private char high;

    /** @param what what the text is, for the message ({@code "the output of stage 'x' of batch 1"}) */
    Utf16(String what) {
        this.what = what;
    }

    /**
     * @param text a whole text
     * @param what what it is, for the message
     * @throws UnstorableValueException if it holds an unpaired surrogate
     */
    static void requireWellFormed(CharSequence text, String what) {
        Utf16 check = new Utf16(what);
        for (int i = 0; i < text.length(); i++) {
            check.next(text.charAt(i));
        }
        check.end();
    }

    /** @throws UnstorableValueException if {@code c} breaks a pair or is a low surrogate alone */
    void next(char c) {
        if (high != 0) {
            if (!Character.isLowSurrogate(c)) {
                throw unpaired(high, position - 1);
            }
            high = 0;
        } else if (Character.isLowSurrogate(c)) {
            throw unpaired(c, position);
        } else if (Character.isHighSurrogate(c)) {
            high = c;
        }
        position++;
    }

    /** @throws UnstorableValueException if the text ended after a high surrogate */
    void end() {
        if (high != 0) {
            throw unpaired(high, position - 1);
        }
    }

    private UnstorableValueException unpaired(char c, long at) {
        return new UnstorableValueException(what + " holds an unpaired UTF-16 surrogate \\u"
                + Integer.toHexString(c).toUpperCase()
                + " at character " + at
                + ", which PostgreSQL (UTF-8) cannot store; it was not written. Such a string was"
                + " usually cut between the two halves of a surrogate pair: cut it at a code point "
                + "(String.offsetByCodePoints)");
    }

    /**
     * @param text an error message, or null
     * @return the text as a PostgreSQL {@code text} column can hold it: U+0000 written as {@code \u0000}
     *     and an unpaired surrogate as U+FFFD, so that a stage's error is recorded (slightly altered) rather
     *     than making the store's write of it fail
     */
    static String storableText(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                    ? i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
                    : !Character.isLowSurrogate(c) || i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
            String replacement = c == 0 ? "\\u0000" : paired ? null : "\uFFFD";
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
