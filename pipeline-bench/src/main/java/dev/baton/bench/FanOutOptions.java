package dev.baton.bench;

import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of the fan-out section ({@link FanOutBench}), mixed into {@link BenchMain}. */
final class FanOutOptions {
    @Option(
            names = "--fan-out-shards",
            split = ",",
            paramLabel = "K",
            description = "Shard counts of the fan-out section (default 1,2,4,8).")
    List<Integer> shards;

    @Option(
            names = "--fan-out-triggers",
            split = ",",
            paramLabel = "TRIGGER",
            description = "Triggers of the fan-out section (default in-process,queue,http).")
    List<String> triggers;

    @Option(
            names = "--fan-out-items",
            paramLabel = "N",
            description = "Items of the fan-out section's stage (default 64, quick 32).")
    Integer items;

    @Option(
            names = "--fan-out-item-ms",
            paramLabel = "MS",
            description = "Time of one item, a timed wait (default 20, quick 10).")
    Integer itemMs;

    @Option(
            names = "--fan-out-rounds",
            paramLabel = "N",
            description = "Measured batches per trigger and shard count, after one warm-up batch (default 3, quick 1).")
    Integer rounds;

    /**
     * @param spec the command, for errors
     * @param quick whether the run is {@code --quick}
     * @return the section's settings
     * @throws CommandLine.ParameterException naming the option on a value out of range
     */
    FanOutBench.Settings settings(CommandLine.Model.CommandSpec spec, boolean quick) {
        int n = items == null ? (quick ? 32 : 64) : items;
        int ms = itemMs == null ? (quick ? 10 : 20) : itemMs;
        int r = rounds == null ? (quick ? 1 : 3) : rounds;
        if (n < 1 || n > 100_000 || ms < 0 || ms > 60_000 || r < 1 || r > 100) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--fan-out-items must be 1..100000, --fan-out-item-ms 0..60000 and --fan-out-rounds 1..100, got "
                            + n + ", " + ms + " and " + r);
        }
        try {
            return new FanOutBench.Settings(
                    shards == null ? List.of(1, 2, 4, 8) : shards,
                    triggers == null ? FanOutBench.TRIGGERS : triggers,
                    n,
                    Duration.ofMillis(ms),
                    r,
                    1);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--fan-out-shards/--fan-out-triggers: " + e.getMessage());
        }
    }
}
