package dev.baton.pipeline.spi;

import dev.baton.pipeline.PipelineException;

/**
 * A {@link StageStore} refused a value it was asked to store (an output, partial output, cursor or
 * input) because it cannot store it faithfully: not one JSON value, a character the database cannot
 * hold (PostgreSQL's {@code jsonb} has no U+0000), an unpaired UTF-16 surrogate, or a streamed source
 * that failed while writing itself. Nothing was written and a claim still holds. Writing the same
 * value again would fail the same way, so the runner fails the batch without retries; the message
 * says what to change.
 */
public class UnstorableValueException extends PipelineException {
    private static final long serialVersionUID = 1L;

    /** @param message which value, what is wrong with it and what to change */
    public UnstorableValueException(String message) {
        super(message);
    }

    /**
     * @param message which value, what is wrong with it and what to change
     * @param cause the parser's or the source's exception
     */
    public UnstorableValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
