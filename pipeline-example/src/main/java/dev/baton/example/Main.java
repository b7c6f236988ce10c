package dev.baton.example;

import dev.baton.example.app.ShutdownSignal;
import dev.baton.example.cli.CommandContext;
import dev.baton.example.cli.DemoCommand;
import dev.baton.example.cli.ServeCommand;
import dev.baton.example.cli.StoreFactory;
import dev.baton.example.cli.TestBatchApiCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar pipeline-example.jar serve | demo | test-batch-api}: the example host app's
 * command line (see the module's README).
 */
@Command(
        name = "pipeline-example",
        mixinStandardHelpOptions = true,
        version = "Baton example 0.1.0",
        description = "A six-stage screenshot-analysis pipeline on Baton: setup, extraction, annotation, validation, "
                + "metadata,"
                + " persistence, each a short invocation whose state lives in PostgreSQL.",
        footer = {"", "Try: java -jar pipeline-example/target/pipeline-example.jar demo --batches 20"})
public final class Main implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param context what the commands need from outside
     * @return the command line, ready to {@code execute(args)}
     */
    public static CommandLine commandLine(CommandContext context) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(new ServeCommand(context));
        cl.addSubcommand(new DemoCommand(context));
        cl.addSubcommand(new TestBatchApiCommand(context));
        cl.setOut(new java.io.PrintWriter(context.out(), true));
        cl.setErr(new java.io.PrintWriter(context.err(), true));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + message(e));
            return 1;
        });
        return cl;
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: serve, demo or test-batch-api");
    }

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        StoreFactory stores = BatonStorage::open;
        CommandContext context = new CommandContext(
                System::getenv, System.out, System.err, stores, ShutdownSignal::install, System.console() != null);
        System.exit(commandLine(context).execute(args));
    }
}
