package dev.baton.cli;

/** A failure the CLI words itself, with its exit code and, for {@code --json}, a kind. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int code;
    private final String kind;

    /**
     * @param code the exit code ({@link Exit})
     * @param kind a word for scripts: {@code usage}, {@code database}, {@code schema}
     * @param message what happened and what to do
     */
    CliException(int code, String kind, String message) {
        super(message);
        this.code = code;
        this.kind = kind;
    }

    int code() {
        return code;
    }

    String kind() {
        return kind;
    }
}
