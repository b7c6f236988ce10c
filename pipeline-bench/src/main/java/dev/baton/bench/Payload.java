package dev.baton.bench;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The output every stage of every contender writes: {@code size} characters of pseudo-random
 * base-64 text (so PostgreSQL's TOAST compression cannot shrink a large output to nothing), made once
 * per round and shared, so that producing it costs the stage nothing. Immutable.
 */
public final class Payload {
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

    private final String text;

    private Payload(String text) {
        this.text = text;
    }

    /**
     * @param size characters (= bytes: the alphabet is ASCII), at least 1
     * @return a payload of that size
     * @throws IllegalArgumentException if size is below 1
     */
    public static Payload ofSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("payload size must be at least 1 byte, got " + size);
        }
        SplittableRandom random = new SplittableRandom(size);
        char[] chars = new char[size];
        for (int i = 0; i < size; i++) {
            chars[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new Payload(new String(chars));
    }

    /** @return the raw text */
    public String text() {
        return text;
    }

    /** @return the text as the one field of a JSON object: what Baton's stages return */
    public Map<String, String> asObject() {
        return Map.of("data", text);
    }

    /** @return {@code {"data":"<text>"}}: what the floor inserts as JSONB */
    public String asJson() {
        return "{\"data\":\"" + text + "\"}";
    }

    /** @return the size in bytes */
    public int size() {
        return text.length();
    }
}
