package dev.baton.example.objectstore;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes and checks signed, expiring URLs for stored objects, like a cloud bucket's signed URLs:
 * {@code {base}/objects/{key}?expires={unix seconds}&signature={hex HMAC-SHA256 of "key\nexpires"}}.
 * The key is derived from the app's signing secret, so a URL signature cannot be replayed as a
 * stage-call signature. Thread-safe.
 */
public final class ObjectUrlSigner {
    /** Path prefix under which objects are served. */
    public static final String PATH_PREFIX = "/objects/";

    private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,255}");

    private final byte[] key;
    private final String base;
    private final Clock clock;

    /**
     * @param signingSecret the app's secret ({@code PIPELINE_SIGNING_SECRET})
     * @param baseUrl where the app serves {@link #PATH_PREFIX}, e.g. {@code http://localhost:3000}
     * @param clock decides expiry
     * @throws IllegalArgumentException if the secret is empty
     */
    public ObjectUrlSigner(String signingSecret, URI baseUrl, Clock clock) {
        if (signingSecret == null || signingSecret.isEmpty()) {
            throw new IllegalArgumentException("signingSecret must not be empty");
        }
        this.key = hmac(signingSecret.getBytes(StandardCharsets.UTF_8), "baton-example/object-urls");
        String b = Objects.requireNonNull(baseUrl, "baseUrl").toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param objectKey the object's key: letters, digits, {@code . _ / -}
     * @param validFor how long the URL works
     * @return the signed URL
     * @throws IllegalArgumentException on a key with other characters
     */
    public URI sign(String objectKey, Duration validFor) {
        if (objectKey == null || !SAFE_KEY.matcher(objectKey).matches() || objectKey.contains("..")) {
            throw new IllegalArgumentException(
                    "object key '" + objectKey + "' must be letters, digits, '.', '_', '/' or '-'");
        }
        long expires = clock.instant().plus(validFor).getEpochSecond();
        return URI.create(base + PATH_PREFIX + objectKey + "?expires=" + expires + "&signature="
                + URLEncoder.encode(signature(objectKey, expires), StandardCharsets.UTF_8));
    }

    /**
     * @param objectKey the key from the path
     * @param expires the {@code expires} parameter, or {@code null}
     * @param signature the {@code signature} parameter, or {@code null}
     * @return {@code true} when the signature is right (compared in constant time) and not expired
     */
    public boolean verify(String objectKey, String expires, String signature) {
        if (objectKey == null || expires == null || signature == null || !expires.matches("\\d{1,12}")) {
            return false;
        }
        long at = Long.parseLong(expires);
        byte[] expected = signature(objectKey, at).getBytes(StandardCharsets.US_ASCII);
        boolean matches = MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
        return matches && clock.instant().getEpochSecond() <= at;
    }

    private String signature(String objectKey, long expires) {
        return HexFormat.of().formatHex(hmac(key, objectKey + "\n" + expires));
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }
}
