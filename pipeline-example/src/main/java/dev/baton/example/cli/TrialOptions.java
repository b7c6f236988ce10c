package dev.baton.example.cli;

import dev.baton.example.trial.TrialSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The trial flags shared by {@code serve}, {@code demo} and {@code PIPELINE_EXAMPLE_ARGS}: delays, faults, budget,
 * attempts, lease, batch size, fan-out.
 */
public final class TrialOptions {

    @Option(
            names = "--stage-delay",
            paramLabel = "STAGE=DURATION",
            converter = {StageNameConverter.class, DurationConverter.class},
            description = "Extra time per invocation of STAGE, e.g. annotation=2s. Repeatable.")
    Map<String, Duration> stageDelays = new LinkedHashMap<>();

    @Option(
            names = "--item-delay",
            paramLabel = "STAGE=DURATION",
            converter = {StageNameConverter.class, DurationConverter.class},
            description =
                    "Extra time per screenshot in STAGE, so its work grows with the batch, e.g. extraction=250ms. "
                            + "Repeatable.")
    Map<String, Duration> itemDelays = new LinkedHashMap<>();

    @Option(
            names = "--fail-rate",
            paramLabel = "STAGE=P",
            converter = {StageNameConverter.class, ProbabilityConverter.class},
            description = "Fail an attempt of STAGE with probability P (transient, retried), e.g. extraction=0.3. "
                    + "Repeatable.")
    Map<String, Double> failRates = new LinkedHashMap<>();

    @Option(
            names = "--fail-always",
            paramLabel = "STAGE",
            converter = StageNameConverter.class,
            description = "Fail every attempt of STAGE, so its batches end failed. Repeatable.")
    List<String> failAlways = new ArrayList<>();

    @Option(
            names = "--fan-out",
            paramLabel = "STAGE=K",
            converter = {StageNameConverter.class, ShardCountConverter.class},
            description = "Split STAGE into K shards that run in parallel, each its own invocation, and join their "
                    + "results, e.g. annotation=8; K is 1.." + TrialSettings.MAX_SHARDS + ", 1 runs it unsharded. "
                    + "Stages that can: extraction, annotation, metadata. Repeatable.")
    Map<String, Integer> fanOut = new LinkedHashMap<>();

    @Option(
            names = "--budget",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            defaultValue = "50s",
            description = "Time budget of one stage invocation (default: ${DEFAULT-VALUE}).")
    Duration budget;

    @Option(
            names = "--max-attempts",
            paramLabel = "N",
            defaultValue = "" + TrialSettings.DEFAULT_MAX_ATTEMPTS,
            description =
                    "Tries of a stage before its batch fails, the first one included (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(
            names = "--lease",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            defaultValue = "30s",
            description = "How long a running stage's claim holds without a heartbeat (default: ${DEFAULT-VALUE}).")
    Duration lease;

    @Option(
            names = "--screenshots",
            paramLabel = "M",
            defaultValue = "" + TrialSettings.DEFAULT_SCREENSHOTS,
            description = "Screenshots created for each new batch (default: ${DEFAULT-VALUE}).")
    int screenshots;

    @Option(
            names = "--fault-seed",
            paramLabel = "N",
            defaultValue = "1",
            description = "Seeds the draws of --fail-rate; the same seed fails the same attempts (default: "
                    + "${DEFAULT-VALUE}).")
    long faultSeed;

    /**
     * @param spec the command, for error messages
     * @return the settings
     * @throws CommandLine.ParameterException when a value is out of range
     */
    public TrialSettings toSettings(CommandLine.Model.CommandSpec spec) {
        try {
            return new TrialSettings(
                    stageDelays,
                    itemDelays,
                    failRates,
                    new LinkedHashSet<>(failAlways),
                    budget,
                    maxAttempts,
                    lease,
                    screenshots,
                    faultSeed,
                    fanOut);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
