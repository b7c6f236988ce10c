package dev.baton.example.cli;

import dev.baton.example.app.ShutdownSignal;
import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the commands get from outside: the environment, the output streams, how to open Baton's
 * store, and how to wait for a shutdown signal. Tests give their own.
 *
 * @param env looks up environment variables
 * @param out normal output
 * @param err errors and warnings
 * @param stores opens Baton's store
 * @param shutdown installs the wait for SIGTERM / SIGINT
 * @param terminal whether {@code out} is an interactive terminal (progress bars redraw in place)
 */
public record CommandContext(
        Function<String, String> env,
        PrintStream out,
        PrintStream err,
        StoreFactory stores,
        Supplier<ShutdownSignal> shutdown,
        boolean terminal) {

    /** @throws NullPointerException if a part is missing */
    public CommandContext {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(stores, "stores");
        Objects.requireNonNull(shutdown, "shutdown");
    }
}
