package dev.baton.pipeline.dashboard;

import java.util.Locale;

/** What an operator can do to a batch from the dashboard; each needs an {@link Authorizer}'s grant. */
public enum DashboardAction {
    /** Run a failed or cancelled batch again from the stage it stopped at, with fresh attempts. */
    RETRY,
    /** Stop a pending or running batch; a running invocation commits nothing. */
    CANCEL,
    /** Run a batch again from a chosen stage, deleting that stage's and later outputs. */
    RESTART;

    /** @return the name in paths and JSON: {@code retry}, {@code cancel}, {@code restart} */
    public String pathName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
