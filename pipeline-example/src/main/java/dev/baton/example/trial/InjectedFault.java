package dev.baton.example.trial;

/** A failure injected by {@code --fail-rate} or {@code --fail-always}: transient, so the stage is retried. */
public final class InjectedFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message which flag caused it, for which stage and attempt */
    public InjectedFault(String message) {
        super(message);
    }
}
