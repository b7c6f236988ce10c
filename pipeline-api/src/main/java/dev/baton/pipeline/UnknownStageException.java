package dev.baton.pipeline;

/** A stage name that the pipeline does not have was used. */
public final class UnknownStageException extends PipelineException {
    private static final long serialVersionUID = 1L;
    private final String stage;

    /**
     * @param stage the name that was asked for
     * @param message the full explanation, naming the registered stages
     */
    public UnknownStageException(String stage, String message) {
        super(message);
        this.stage = stage;
    }

    /** @return the unknown name */
    public String stage() {
        return stage;
    }
}
