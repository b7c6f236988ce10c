package dev.baton.pipeline;

/**
 * A value a stage handed to Baton or asked of it cannot be converted: an output, partial output,
 * cursor or input that Jackson cannot write as JSON, or a stored one that cannot be read as the type
 * asked for. A stage that returns such a value fails at once, without retries, since a retry would
 * produce the same; the message names the batch, the stage and the value.
 */
public final class StageValueException extends PipelineException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and what to do */
    public StageValueException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong and what to do
     * @param cause Jackson's exception
     */
    public StageValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
