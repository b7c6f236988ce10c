package dev.baton.pipeline.http;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Checks the {@value RequestSigner#HEADER} header of a stage request (format in {@link RequestSigner}):
 * the timestamp must lie within the tolerance (default 300 s) of the injected clock, either way, and
 * one {@code v1} value must equal the HMAC under the current or the previous secret. MACs are
 * compared with {@link MessageDigest#isEqual}, in constant time, and every secret is always tried,
 * so the time taken does not tell which check failed.
 *
 * <p>Rotating the secret: deploy the receivers with the new secret as current and the old one as
 * previous, then the senders with the new secret, then drop the previous one.
 *
 * <p>A request replayed within the tolerance passes this check; it is harmless because a stage
 * trigger for a batch that is no longer at that stage changes nothing (answered 409).
 *
 * <pre>{@code
 * SignatureVerifier verifier = SignatureVerifier.builder().build();   // PIPELINE_SIGNING_SECRET[_PREVIOUS]
 * SignatureVerifier rotating = SignatureVerifier.builder().secret(current).previousSecret(old).build();
 * }</pre> Immutable and thread-safe.
 */
public final class SignatureVerifier {

    /** The environment variable that may hold the previous secret during a rotation. */
    public static final String PREVIOUS_SECRET_ENV = "PIPELINE_SIGNING_SECRET_PREVIOUS";
    /** Default largest distance between the signature's timestamp and the clock. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofSeconds(300);

    private static final int MAX_HEADER_LENGTH = 1024;
    private static final int MAX_TIMESTAMP_DIGITS = 12;
    private static final int MAC_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    /** The verdict on one request. */
    public enum Result {
        /** A v1 value matches and the timestamp is within the tolerance. */
        VALID,
        /** There is no signature header. */
        MISSING,
        /** The header is not {@code t=<ASCII digits>,v1=<64 ASCII hex digits>}, or it appears more than once. */
        MALFORMED,
        /** The timestamp is further from the clock than the tolerance (stale, replayed or from the future). */
        OUTSIDE_TOLERANCE,
        /** No v1 value matches under any accepted secret (wrong secret, or the body was changed). */
        MISMATCH
    }

    private final List<Hmac> secrets;
    private final Duration tolerance;
    private final Clock clock;

    private SignatureVerifier(List<Hmac> secrets, Duration tolerance, Clock clock) {
        this.secrets = List.copyOf(secrets);
        this.tolerance = tolerance;
        this.clock = clock;
    }

    /**
     * @return a builder; without {@link Builder#secret}, {@link Builder#build()} reads
     *     {@value RequestSigner#SECRET_ENV} and, when set, {@value #PREVIOUS_SECRET_ENV}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param header the header's value(s) as received; {@code null} or empty when absent
     * @param body the raw request body
     * @return the verdict
     */
    public Result verify(List<String> header, byte[] body) {
        if (header == null || header.isEmpty()) {
            return Result.MISSING;
        }
        return header.size() > 1 ? Result.MALFORMED : verify(header.get(0), body);
    }

    /**
     * Never throws for any header value: whatever is not the format (including Unicode digits, lone
     * surrogates, control characters and values over 1024 characters) is {@link Result#MALFORMED}.
     * Only ASCII digits count, in the timestamp and in the MAC.
     *
     * @param header the header value as received, or {@code null} when absent
     * @param body the raw request body
     * @return the verdict
     * @throws NullPointerException if {@code body} is {@code null}
     */
    public Result verify(String header, byte[] body) {
        Objects.requireNonNull(body, "body");
        if (header == null || header.isBlank()) {
            return Result.MISSING;
        }
        if (header.length() > MAX_HEADER_LENGTH) {
            return Result.MALFORMED;
        }
        long t = -1;
        List<byte[]> candidates = new ArrayList<>();
        for (String part : header.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return Result.MALFORMED;
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            if (key.equals("t")) {
                if (t >= 0 || value.length() > MAX_TIMESTAMP_DIGITS || !Ascii.digits(value)) {
                    return Result.MALFORMED;
                }
                t = Long.parseLong(value);
            } else if (key.equals("v1")) {
                if (value.length() != MAC_BYTES * 2 || !Ascii.hexDigits(value)) {
                    return Result.MALFORMED;
                }
                candidates.add(HEX.parseHex(value));
            }
            // other schemes (v0, v2 …) are ignored so that senders can add them during an upgrade
        }
        if (t < 0 || candidates.isEmpty()) {
            return Result.MALFORMED;
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - t) > tolerance.toSeconds()) {
            return Result.OUTSIDE_TOLERANCE;
        }
        boolean match = false;
        for (Hmac secret : secrets) {
            byte[] expected = secret.mac(t, body);
            for (byte[] candidate : candidates) {
                match |= MessageDigest.isEqual(expected, candidate);
            }
        }
        return match ? Result.VALID : Result.MISMATCH;
    }

    /** Builds a {@link SignatureVerifier}; every setter validates its value. Not thread-safe. */
    public static final class Builder {
        private static final String CURRENT = "the current signing secret (" + RequestSigner.SECRET_ENV + ")";
        private static final String PREVIOUS = "the previous signing secret (" + PREVIOUS_SECRET_ENV + ")";

        private Hmac current;
        private Hmac previous;
        private Function<String, String> env = System::getenv;
        private Duration tolerance = DEFAULT_TOLERANCE;
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * @param secret the secret senders use now, at least 16 bytes in UTF-8; when given, the environment
         *     is not read for either secret
         * @return this
         * @throws IllegalArgumentException if the secret is missing or too short
         */
        public Builder secret(String secret) {
            this.current = Hmac.of(CURRENT, secret);
            return this;
        }

        /**
         * @param secret the secret used before the last rotation, also accepted; at least 16 bytes
         * @return this
         * @throws IllegalArgumentException if the secret is missing or too short
         */
        public Builder previousSecret(String secret) {
            this.previous = Hmac.of(PREVIOUS, secret);
            return this;
        }

        /**
         * @param env looks up an environment variable, {@code null} when unset; read by {@link #build()} when
         *     no {@link #secret} was given; default {@code System::getenv}
         * @return this
         */
        public Builder environment(Function<String, String> env) {
            this.env = Objects.requireNonNull(env, "env");
            return this;
        }

        /**
         * @param tolerance largest accepted distance between the signature's timestamp and the clock,
         *     1 s to 1 h
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder tolerance(Duration tolerance) {
            Objects.requireNonNull(tolerance, "tolerance");
            if (tolerance.toSeconds() < 1 || tolerance.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("tolerance must be between 1s and 1h, got " + tolerance);
            }
            this.tolerance = tolerance;
            return this;
        }

        /**
         * @param clock the clock timestamps are checked against
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @return the verifier
         * @throws IllegalArgumentException if no secret was given and {@value RequestSigner#SECRET_ENV} is unset,
         *     or a secret from the environment is too short
         */
        public SignatureVerifier build() {
            List<Hmac> secrets = new ArrayList<>();
            secrets.add(current != null ? current : Hmac.of(CURRENT, env.apply(RequestSigner.SECRET_ENV)));
            String old = current != null ? null : env.apply(PREVIOUS_SECRET_ENV);
            if (previous != null) {
                secrets.add(previous);
            } else if (old != null && !old.isBlank()) {
                secrets.add(Hmac.of(PREVIOUS, old));
            }
            return new SignatureVerifier(secrets, tolerance, clock);
        }
    }
}
