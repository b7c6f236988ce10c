package dev.baton.cli;

/** The exit codes of {@link BatonCli}, as {@code --help} lists them. */
final class Exit {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int CONFLICT = 4;
    static final int UNKNOWN_STAGE = 5;
    static final int DATABASE = 6;
    static final int SCHEMA = 7;

    private Exit() {}
}
