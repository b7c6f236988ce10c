package dev.baton.cli;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchNotFoundException;
import dev.baton.pipeline.UnknownStageException;
import dev.baton.pipeline.spi.StoreException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code baton}: the admin command line over Baton's tables, for operators of deployments with no long-lived
 * process. {@code java -jar baton.jar [--jdbc-url URL] migrate|status|list|stalled|retry|cancel|restart|purge}.
 * It works on the store alone: it has no pipeline and runs no stage (see {@link StageOrder} for what that
 * means for {@code restart}).
 */
@Command(
        name = "baton",
        mixinStandardHelpOptions = true,
        version = "baton 0.2.0-SNAPSHOT",
        sortOptions = false,
        description = {
            "Operates Baton's tables in PostgreSQL: migrates them, reads and steers batches, purges finished ones.",
            "Prints tables for people and, with --json, one JSON document on stdout for scripts."
        },
        subcommands = {
            MigrateCommand.class,
            StatusCommand.class,
            ListCommand.class,
            StalledCommand.class,
            RetryCommand.class,
            CancelCommand.class,
            RestartCommand.class,
            PurgeCommand.class
        },
        footer = {
            "",
            "Environment: PIPELINE_JDBC_URL when --jdbc-url is not given,",
            "  PIPELINE_STAGES when --stages is not.",
            "Tables: batch_processing_queue and batch_processing_data in the URL's",
            "  schema (to choose one, add ?currentSchema=NAME to the URL).",
            "",
            "Exit codes:",
            "  0  done",
            "  1  an unexpected failure",
            "  2  bad arguments",
            "  3  no such batch",
            "  4  the batch's state does not allow it",
            "  5  unknown stage",
            "  6  database unreachable or failing",
            "  7  Baton's tables missing or outdated: run migrate"
        })
public final class BatonCli implements Callable<Integer> {
    /** The environment variable naming the database when {@code --jdbc-url} is not given. */
    public static final String JDBC_URL_VARIABLE = "PIPELINE_JDBC_URL";

    final PrintWriter out;
    final PrintWriter err;
    final UnaryOperator<String> env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--jdbc-url",
            paramLabel = "URL",
            scope = ScopeType.INHERIT,
            description = "PostgreSQL, e.g. jdbc:postgresql://db:5432/app?user=ops&password=secret"
                    + " (default: $PIPELINE_JDBC_URL).")
    String jdbcUrl;

    @Option(
            names = "--json",
            scope = ScopeType.INHERIT,
            description = "Print JSON on stdout (and errors as JSON on stderr) instead of tables.")
    boolean json;

    @Option(
            names = "--connect-timeout",
            paramLabel = "DURATION",
            scope = ScopeType.INHERIT,
            defaultValue = "5s",
            converter = DurationText.class,
            description = "Longest wait to connect and log in (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    /**
     * @param out where results go
     * @param err where errors go
     * @param env reads an environment variable (null when unset)
     */
    BatonCli(PrintWriter out, PrintWriter err, UnaryOperator<String> env) {
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.env = Objects.requireNonNull(env, "env");
    }

    /**
     * Runs the CLI and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(execute(out, err, System::getenv, args));
    }

    /**
     * Runs one command in this JVM.
     *
     * @param out where results go
     * @param err where errors go
     * @param env reads an environment variable
     * @param args the arguments
     * @return the exit code ({@code --help} lists them)
     */
    public static int execute(PrintWriter out, PrintWriter err, UnaryOperator<String> env, String... args) {
        BatonCli cli = new BatonCli(out, err, env);
        CommandLine line = new CommandLine(cli)
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> cli.fail(e));
        try {
            return line.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Without a command: the usage, and the exit code of bad arguments. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return Exit.USAGE;
    }

    /** @return the database of this run, from {@code --jdbc-url} or {@value #JDBC_URL_VARIABLE} */
    Session open() {
        String url = jdbcUrl != null && !jdbcUrl.isBlank() ? jdbcUrl : env.apply(JDBC_URL_VARIABLE);
        if (url == null || url.isBlank()) {
            throw new CliException(Exit.USAGE, "usage", "no database: pass --jdbc-url URL or set " + JDBC_URL_VARIABLE);
        }
        return Session.open(url, connectTimeout);
    }

    /** @return how results are printed */
    Printer printer() {
        return new Printer(out, json);
    }

    /** Prints what went wrong, in words or as JSON, and picks the exit code. */
    private int fail(Exception e) {
        int code;
        String kind;
        if (e instanceof CliException c) {
            code = c.code();
            kind = c.kind();
        } else if (e instanceof BatchNotFoundException) {
            code = Exit.NOT_FOUND;
            kind = "not_found";
        } else if (e instanceof BatchConflictException) {
            code = Exit.CONFLICT;
            kind = "conflict";
        } else if (e instanceof UnknownStageException) {
            code = Exit.UNKNOWN_STAGE;
            kind = "unknown_stage";
        } else if (e instanceof StoreException) {
            code = Exit.DATABASE;
            kind = "database";
        } else if (e instanceof IllegalArgumentException) {
            code = Exit.USAGE;
            kind = "usage";
        } else {
            code = Exit.FAILED;
            kind = "failed";
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (json) {
            err.println(Printer.errorJson(kind, code, message));
        } else {
            err.println("baton: " + message);
        }
        return code;
    }
}
