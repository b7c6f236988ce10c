package dev.baton.pipeline.dashboard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/** {@link Authorizer#bearerToken}: one shared token, compared in constant time. Thread-safe. */
final class BearerTokenAuthorizer implements Authorizer {
    private static final String SCHEME = "bearer ";

    private final byte[] expected;
    private final String principal;

    BearerTokenAuthorizer(String token, String principal) {
        if (token == null || token.strip().length() < 16) {
            throw new IllegalArgumentException("the dashboard's admin token must have at least 16 characters");
        }
        if (principal == null || principal.isBlank()) {
            throw new IllegalArgumentException("name the principal the token's actions are logged under");
        }
        this.expected = digest(token.strip());
        this.principal = principal;
    }

    @Override
    public Decision authorize(DashboardAction action, Dashboard.Request request) {
        String header = request.header("Authorization");
        if (header == null
                || header.length() <= SCHEME.length()
                || !header.substring(0, SCHEME.length())
                        .toLowerCase(Locale.ROOT)
                        .equals(SCHEME)) {
            return Decision.unauthenticated("send Authorization: Bearer <token> to " + action.pathName());
        }
        String given = header.substring(SCHEME.length()).strip();
        return MessageDigest.isEqual(expected, digest(given))
                ? Decision.granted(principal)
                : Decision.forbidden("the token is not the dashboard's admin token");
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "bearer token for " + principal;
    }
}
