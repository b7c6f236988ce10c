package dev.baton.cli;

import dev.baton.pipeline.StallSweeper;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code stalled}: what a sweeper would pick up now. */
@Command(
        name = "stalled",
        mixinStandardHelpOptions = true,
        description = "Lists stalled batches: running ones whose lease expired, and pending ones due for longer"
                + " than the grace whose trigger never came; what a sweeper would pick up.")
final class StalledCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Option(
            names = "--grace",
            paramLabel = "DURATION",
            converter = DurationText.class,
            description = "How long a due pending batch may wait for its trigger (default: 30s, the sweeper's).")
    Duration grace = StallSweeper.DEFAULT_PENDING_GRACE;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "100",
            description = "At most this many rows, 1 to 1000 (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("--limit must be 1..1000, got " + limit);
        }
        Session session = cli.open();
        cli.printer()
                .rows(
                        session.store().findStalled(grace, limit).stream()
                                .map(Printer.Row::of)
                                .toList(),
                        "no stalled batches");
        return Exit.OK;
    }
}
