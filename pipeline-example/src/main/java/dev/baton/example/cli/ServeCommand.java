package dev.baton.example.cli;

import dev.baton.example.app.Database;
import dev.baton.example.app.ExampleApp;
import dev.baton.example.app.ShutdownSignal;
import dev.baton.example.app.SigningSecret;
import dev.baton.example.app.VisionModels;
import dev.baton.example.host.HostSchema;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.http.BaseUrl;
import dev.baton.pipeline.spi.StageStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code serve}: runs the app until SIGTERM or Ctrl-C. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Serves the six-stage screenshot pipeline over HTTP: the stage endpoints, POST /api/process-batch,"
                        + " GET /api/batches/{id}, /health and the operator dashboard at /. Stops cleanly on SIGTERM or"
                        + " Ctrl-C.",
        footer = {
            "",
            "Environment: PORT, PIPELINE_JDBC_URL, PIPELINE_SIGNING_SECRET, PIPELINE_ADMIN_TOKEN (grants the"
                    + " dashboard's retry, cancel and restart; without it the dashboard is read-only),"
                    + " PIPELINE_API_URL (how other instances reach"
                    + " this one), PIPELINE_DATA_DIR (embedded database), MOONDREAM_URL and MOONDREAM_API_KEY (a real "
                    + "detector)."
        })
public final class ServeCommand implements Callable<Integer> {
    private final CommandContext context;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--port",
            paramLabel = "N",
            defaultValue = "${env:PORT:-3000}",
            description = "Port to listen on (default: $PORT or 3000; 0 picks a free one).")
    int port;

    @Option(
            names = "--jdbc-url",
            paramLabel = "URL",
            defaultValue = "${env:PIPELINE_JDBC_URL}",
            description = "PostgreSQL to use, e.g. jdbc:postgresql://localhost:5432/app?user=app&password=secret"
                    + " (default: $PIPELINE_JDBC_URL, else an embedded PostgreSQL).")
    String jdbcUrl;

    @Option(
            names = "--trigger",
            paramLabel = "http|in-process|queue",
            defaultValue = "http",
            converter = TriggerKind.Converter.class,
            description = "How a finished stage starts the next one (default: ${DEFAULT-VALUE}).")
    TriggerKind trigger;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = "${env:PIPELINE_DATA_DIR:-${sys:user.home}/.baton-example}",
            description = "Where the embedded PostgreSQL keeps its data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--retention",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Purge Baton's rows (queue row, outputs, input) of batches completed or cancelled longer"
                    + " ago than this, e.g. 7d or 12h; the host's tables are kept (default: keep everything).")
    Duration retention;

    @Mixin
    TrialOptions trial;

    /** @param context the environment and streams */
    public ServeCommand(CommandContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    @Override
    public Integer call() throws Exception {
        TrialSettings settings = trial.toSettings(spec);
        if (port < 0 || port > 65_535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port must be 0..65535, got " + port);
        }
        String secret = SigningSecret.resolve(context.env(), context.out());
        ShutdownSignal shutdown = context.shutdown().get();
        try (Database db = jdbcUrl == null || jdbcUrl.isBlank()
                ? Database.embedded(dataDir.resolve("postgres"), true)
                : Database.external(jdbcUrl)) {
            context.out().println("database: " + db.description());
            StageStore store = context.stores().open(db.dataSource());
            HostSchema.migrate(db.dataSource());
            ExampleApp app = ExampleApp.builder()
                    .database(db.dataSource(), store)
                    .port(port)
                    .baseUrl(configuredBaseUrl())
                    .signingSecret(secret)
                    .trigger(trigger)
                    .trial(settings)
                    .retention(retention)
                    .visionModel(VisionModels.fromEnvironment(context.env()))
                    .adminToken(adminToken())
                    .start();
            try {
                context.out()
                        .println("serving on http://localhost:" + app.port()
                                + "  (dashboard: /, "
                                + (adminToken() == null ? "read-only" : "actions with the admin token")
                                + "; start a batch: curl -X POST -d '{\"batchId\":1}' "
                                + "http://localhost:"
                                + app.port() + "/api/process-batch)");
                if (retention != null) {
                    context.out()
                            .println("retention: completed and cancelled batches leave Baton's tables " + retention
                                    + " after they finish");
                }
                context.out()
                        .println("trigger: " + trigger + ", stages call " + app.baseUrl()
                                + "; stop with Ctrl-C or SIGTERM");
                String signal = shutdown.await();
                context.out().println(signal + ": shutting down");
            } finally {
                app.close();
            }
        }
        context.out().println("stopped");
        return 0;
    }

    /** @return {@code PIPELINE_ADMIN_TOKEN}, or {@code null} when it is not set (the dashboard is read-only) */
    private String adminToken() {
        String token = context.env().apply("PIPELINE_ADMIN_TOKEN");
        return token == null || token.isBlank() ? null : token.strip();
    }

    /** @return the base URL from the environment when one is set, else {@code null} (the app's own address) */
    private URI configuredBaseUrl() {
        for (String name : new String[] {BaseUrl.PIPELINE_API_URL, BaseUrl.NEXT_PUBLIC_API_URL, BaseUrl.VERCEL_URL}) {
            String v = context.env().apply(name);
            if (v != null && !v.isBlank()) {
                return BaseUrl.resolve(null, context.env());
            }
        }
        return null;
    }
}
