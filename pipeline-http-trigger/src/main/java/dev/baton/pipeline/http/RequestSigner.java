package dev.baton.pipeline.http;

import java.time.Clock;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Function;

/**
 * Signs a stage request: the header {@value #HEADER} is {@code t=<unix seconds>,v1=<hex>} where
 * {@code <hex>} is the lower-case hex HMAC-SHA256, keyed with the UTF-8 bytes of the shared secret,
 * of the ASCII text {@code "<t>."} followed by the raw request body. Any language can produce it;
 * in a shell:
 *
 * <pre>{@code
 * t=$(date +%s); body='{"batchId":123}'
 * sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$PIPELINE_SIGNING_SECRET" -hex | sed 's/^.* //')
 * curl -X POST "$URL/api/batch-processing/setup" -H "X-Pipeline-Signature: t=$t,v1=$sig" -d "$body"
 * }</pre>
 *
 * <p>Built with {@code RequestSigner.builder().secret(secret).build()}, or without {@code secret} from
 * {@value #SECRET_ENV}. Immutable and thread-safe.
 */
public final class RequestSigner {

    /** The request header that carries the signature. */
    public static final String HEADER = "X-Pipeline-Signature";
    /** The environment variable that holds the shared secret. */
    public static final String SECRET_ENV = "PIPELINE_SIGNING_SECRET";

    private static final HexFormat HEX = HexFormat.of();

    private final Hmac hmac;

    private RequestSigner(Hmac hmac) {
        this.hmac = hmac;
    }

    /** @return a builder; without a secret, {@link Builder#build()} reads {@value #SECRET_ENV} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param body the exact bytes that will be sent
     * @param epochSeconds the signing time, Unix seconds
     * @return the value of the {@value #HEADER} header
     */
    public String sign(byte[] body, long epochSeconds) {
        Objects.requireNonNull(body, "body");
        return "t=" + epochSeconds + ",v1=" + HEX.formatHex(hmac.mac(epochSeconds, body));
    }

    /**
     * @param body the exact bytes that will be sent
     * @param clock the clock that gives the signing time
     * @return the value of the {@value #HEADER} header
     */
    public String sign(byte[] body, Clock clock) {
        return sign(body, clock.instant().getEpochSecond());
    }

    /** Builds a {@link RequestSigner}; every setter validates its value. Not thread-safe. */
    public static final class Builder {
        private static final String SETTING = "the signing secret (" + SECRET_ENV + ")";

        private Hmac secret;
        private Function<String, String> env = System::getenv;

        private Builder() {}

        /**
         * @param secret the shared secret, at least 16 bytes in UTF-8; wins over the environment
         * @return this
         * @throws IllegalArgumentException if the secret is missing or too short
         */
        public Builder secret(String secret) {
            this.secret = Hmac.of(SETTING, secret);
            return this;
        }

        /**
         * @param env looks up an environment variable, {@code null} when unset; default {@code System::getenv}
         * @return this
         */
        public Builder environment(Function<String, String> env) {
            this.env = Objects.requireNonNull(env, "env");
            return this;
        }

        /**
         * @return the signer
         * @throws IllegalArgumentException if no secret was given and {@value RequestSigner#SECRET_ENV} is unset or
         *     shorter than 16 bytes
         */
        public RequestSigner build() {
            return new RequestSigner(secret != null ? secret : Hmac.of(SETTING, env.apply(SECRET_ENV)));
        }
    }
}
