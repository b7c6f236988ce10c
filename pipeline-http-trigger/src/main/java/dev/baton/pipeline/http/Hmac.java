package dev.baton.pipeline.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 of {@code "<t>.<raw body>"} under one secret. Immutable and thread-safe. */
final class Hmac {
    static final String ALGORITHM = "HmacSHA256";
    static final int MIN_SECRET_BYTES = 16;

    private final SecretKeySpec key;

    private Hmac(byte[] secret) {
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    /**
     * @param setting the name of the setting, for the error message
     * @param secret the shared secret; its UTF-8 bytes are the key
     * @throws IllegalArgumentException if the secret is missing or shorter than 16 bytes
     */
    static Hmac of(String setting, String secret) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException(
                    setting + " is not set: give the shared signing secret (at least " + MIN_SECRET_BYTES
                            + " bytes, e.g. 32 random bytes in hex) on both the calling and the receiving side");
        }
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(setting + " is " + bytes.length + " bytes long; use at least "
                    + MIN_SECRET_BYTES + " (e.g. `openssl rand -hex 32`)");
        }
        return new Hmac(bytes);
    }

    /** @return the MAC of {@code "<epochSeconds>.<body>"} */
    byte[] mac(long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update(Long.toString(epochSeconds).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "this JVM cannot compute " + ALGORITHM + ", which every Java SE runtime must provide", e);
        }
    }
}
