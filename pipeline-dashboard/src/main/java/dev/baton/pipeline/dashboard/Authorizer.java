package dev.baton.pipeline.dashboard;

import java.util.Objects;

/**
 * Decides whether a request may perform an action, and names who performs it; every action is logged
 * with that name. Reading the dashboard needs no grant: put it behind your own access control if
 * batch errors and outputs are sensitive. Implementations must be thread-safe and must not use ambient
 * credentials (cookies): the dashboard's page sends what the operator pasted in an {@code Authorization}
 * header.
 */
public interface Authorizer {

    /**
     * @param action what the request wants to do
     * @param request the request (its headers hold the credentials)
     * @return the decision
     */
    Decision authorize(DashboardAction action, Dashboard.Request request);

    /** @return {@code false} when no request is ever granted anything: the page then offers no token field */
    default boolean grantsActions() {
        return true;
    }

    /** @return an authorizer that grants nothing: the dashboard is read-only */
    static Authorizer readOnly() {
        return new Authorizer() {
            @Override
            public Decision authorize(DashboardAction action, Dashboard.Request request) {
                return request.header("Authorization") == null
                        ? Decision.unauthenticated("this dashboard is read-only")
                        : Decision.forbidden("this dashboard is read-only: no action is granted to anyone");
            }

            @Override
            public boolean grantsActions() {
                return false;
            }
        };
    }

    /**
     * Grants every action to a request with {@code Authorization: Bearer <token>}, comparing in constant
     * time (digests of equal length, {@code MessageDigest.isEqual}).
     *
     * @param token the shared secret, at least 16 characters
     * @param principal the name actions are logged under, e.g. {@code "admin-token"}
     * @return the authorizer
     * @throws IllegalArgumentException if the token is shorter than 16 characters or the principal blank
     */
    static Authorizer bearerToken(String token, String principal) {
        return new BearerTokenAuthorizer(token, principal);
    }

    /**
     * What an {@link Authorizer} decided.
     *
     * @param outcome granted, or why not
     * @param principal who acts, when granted; else {@code null}
     * @param reason why not, when refused; else {@code null}
     */
    record Decision(Outcome outcome, String principal, String reason) {

        /** Checks that a grant names its principal. */
        public Decision {
            Objects.requireNonNull(outcome, "outcome");
            if (outcome == Outcome.GRANTED && (principal == null || principal.isBlank())) {
                throw new IllegalArgumentException("a grant must name its principal");
            }
        }

        /**
         * @param principal who acts
         * @return a grant (the action goes ahead)
         */
        public static Decision granted(String principal) {
            return new Decision(Outcome.GRANTED, principal, null);
        }

        /**
         * @param reason why
         * @return a refusal for want of credentials (401)
         */
        public static Decision unauthenticated(String reason) {
            return new Decision(Outcome.UNAUTHENTICATED, null, reason);
        }

        /**
         * @param reason why
         * @return a refusal of the credentials given (403)
         */
        public static Decision forbidden(String reason) {
            return new Decision(Outcome.FORBIDDEN, null, reason);
        }

        /** @return whether the action may go ahead */
        public boolean granted() {
            return outcome == Outcome.GRANTED;
        }
    }

    /** How a decision came out. */
    enum Outcome {
        /** The action goes ahead. */
        GRANTED,
        /** No credentials, or none the authorizer understands: 401. */
        UNAUTHENTICATED,
        /** Credentials given and refused: 403. */
        FORBIDDEN
    }
}
