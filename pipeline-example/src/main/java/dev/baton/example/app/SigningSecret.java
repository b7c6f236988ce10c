package dev.baton.example.app;

import dev.baton.pipeline.http.BaseUrl;
import dev.baton.pipeline.http.RequestSigner;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Finds the secret that signs stage calls and image URLs: {@code PIPELINE_SIGNING_SECRET}, or, in
 * development only, a random one generated for this run and printed once so that other processes
 * ({@code test-batch-api}, a second {@code serve}) can be given it.
 */
public final class SigningSecret {
    /** Shortest secret accepted. */
    public static final int MIN_LENGTH = 16;

    private SigningSecret() {}

    /**
     * @param env the environment
     * @param out where to print a generated secret
     * @return the secret
     * @throws IllegalStateException in production without a secret, or with one that is too short
     */
    public static String resolve(Function<String, String> env, PrintStream out) {
        String secret = env.apply(RequestSigner.SECRET_ENV);
        if (secret != null && !secret.isBlank()) {
            if (secret.length() < MIN_LENGTH) {
                throw new IllegalStateException(RequestSigner.SECRET_ENV + " must have at least " + MIN_LENGTH
                        + " characters; generate one with: openssl rand -hex 32");
            }
            return secret;
        }
        if (BaseUrl.isProduction(env)) {
            throw new IllegalStateException(
                    RequestSigner.SECRET_ENV + " is not set, and this is production: set it to a random"
                            + " value shared by every instance (openssl rand -hex 32)");
        }
        String generated = generate();
        out.println("PIPELINE_SIGNING_SECRET is not set; generated one for this run (development only):");
        out.println("  export " + RequestSigner.SECRET_ENV + "=" + generated);
        out.println("  (set it yourself to keep it across restarts and to sign test-batch-api's stage calls)");
        return generated;
    }

    /** @return 32 random bytes in hex */
    public static String generate() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
