package dev.baton.pipeline.spi;

import dev.baton.pipeline.PipelineException;

/**
 * The failure a {@link StageStore} reports when it cannot do what was asked: the database refused a
 * statement, a connection broke, a network timeout expired. A store wraps its own exceptions (for
 * PostgreSQL, Jdbi's and the driver's) in this type, with the original as the cause, so that callers
 * depend on no database library. Whether the change happened is unknown when the failure came during
 * a commit: callers re-read the row rather than assume either way.
 */
public class StoreException extends PipelineException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what the store was doing (the batch and stage, when there is one) and what went wrong
     * @param cause the database library's exception
     */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
