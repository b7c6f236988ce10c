package dev.baton.example.cli;

import dev.baton.example.app.Database;
import dev.baton.example.app.ExampleApp;
import dev.baton.example.app.SigningSecret;
import dev.baton.example.app.VisionModels;
import dev.baton.example.demo.DemoLog;
import dev.baton.example.demo.DemoRecorder;
import dev.baton.example.demo.DemoRun;
import dev.baton.example.host.HostResults;
import dev.baton.example.host.HostSchema;
import dev.baton.example.stages.StageNames;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.spi.StageStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code demo}: everything embedded, N batches end to end through the HTTP trigger, a progress bar and a summary. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Starts an embedded PostgreSQL and the app on a free port, runs N batches end to end through the HTTP"
                        + " trigger with a live progress bar, then prints a summary. Exits 0 only when every batch "
                        + "completed.")
public final class DemoCommand implements Callable<Integer> {
    private final CommandContext context;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--batches",
            paramLabel = "N",
            defaultValue = "20",
            description = "Batches to run (default: ${DEFAULT-VALUE}).")
    int batches;

    @Mixin
    TrialOptions trial;

    /** @param context the environment and streams */
    public DemoCommand(CommandContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    @Override
    public Integer call() throws Exception {
        TrialSettings settings = trial.toSettings(spec);
        if (batches < 1 || batches > 10_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batches must be 1..10000, got " + batches);
        }
        Path work = Files.createTempDirectory("baton-demo-");
        Path logFile = work.resolveSibling(work.getFileName() + ".log");
        context.out()
                .printf(
                        "demo: %d batches x %d screenshots, 6 stages each, HTTP trigger%s%s%n",
                        batches,
                        settings.screenshotsPerBatch(),
                        fanOut(settings),
                        settings.injectsFaults() || !settings.itemDelays().isEmpty()
                                ? ", with injected faults and delays"
                                : "");
        context.out().println("log: " + logFile);
        boolean allCompleted;
        try (DemoLog log = DemoLog.redirectTo(logFile);
                Database db = Database.embedded(work.resolve("postgres"), false)) {
            context.out().println("database: " + db.description() + " (removed afterwards)");
            StageStore store = context.stores().open(db.dataSource());
            HostSchema.migrate(db.dataSource());
            DemoRecorder recorder = new DemoRecorder();
            try (ExampleApp app = ExampleApp.builder()
                    .database(db.dataSource(), store)
                    .port(0)
                    .signingSecret(SigningSecret.generate())
                    .trial(settings)
                    .visionModel(VisionModels.fromEnvironment(context.env()))
                    .listener(recorder)
                    .stopWait(Duration.ofSeconds(5))
                    .start()) {
                Duration idle = Duration.ofMinutes(2).plus(settings.budget().multipliedBy(2));
                allCompleted = new DemoRun(
                                app.baseUrl(), app.runner(), recorder, context.out(), context.terminal(), idle)
                        .run(batches);
            }
            context.out().println("host results: " + HostResults.of(db.dataSource()));
        } finally {
            deleteRecursively(work);
        }
        context.out()
                .println(
                        allCompleted
                                ? "all " + batches + " batches completed"
                                : "not every batch completed; see " + logFile);
        return allCompleted ? 0 : 1;
    }

    /** @return e.g. {@code ", annotation in 8 shards"}, or nothing without {@code --fan-out} */
    private static String fanOut(TrialSettings settings) {
        StringBuilder b = new StringBuilder();
        for (String stage : StageNames.ALL) {
            int k = settings.shards(stage);
            if (k > 1) {
                b.append(", ").append(stage).append(" in ").append(k).append(" shards");
            }
        }
        return b.toString();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
