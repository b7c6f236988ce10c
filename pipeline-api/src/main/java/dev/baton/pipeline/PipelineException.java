package dev.baton.pipeline;

/**
 * Base of the exceptions Baton throws; its message names the batch and stage, says what was wrong
 * and what to do. Catch a subtype to act on one kind of failure.
 */
public abstract class PipelineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and what to do */
    protected PipelineException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong and what to do
     * @param cause the underlying failure
     */
    protected PipelineException(String message, Throwable cause) {
        super(message, cause);
    }
}
