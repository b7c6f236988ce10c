package dev.baton.pipeline.testing;

/** The exception {@link Faults} throw, so a test can tell an injected failure from a real one. */
public final class InjectedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was injected */
    public InjectedFailure(String message) {
        super(message);
    }
}
