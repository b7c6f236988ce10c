package dev.baton.pipeline;

/** Base of every exception Baton throws; its message says what was wrong and what to do. */
public class PipelineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and what to do */
    public PipelineException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong and what to do
     * @param cause the underlying failure
     */
    public PipelineException(String message, Throwable cause) {
        super(message, cause);
    }
}
