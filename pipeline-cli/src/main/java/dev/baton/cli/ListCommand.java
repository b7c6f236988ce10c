package dev.baton.cli;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code list}: batches by state and stage, oldest change first. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists batches, oldest change first.")
final class ListCommand implements Callable<Integer> {
    /** Rows read per query while filtering by stage. */
    static final int SCAN_PAGE = 1000;

    @ParentCommand
    BatonCli cli;

    @Option(
            names = "--state",
            split = ",",
            paramLabel = "S",
            converter = StateText.class,
            description = "Only these states: pending, in_progress, completed, failed, cancelled (default: all).")
    List<BatchState> states = List.of();

    @Option(
            names = "--stage",
            split = ",",
            paramLabel = "S",
            description = "Only batches at these stages (current_stage; completed ones are at 'completed').")
    List<String> stages = List.of();

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "50",
            description = "At most this many rows, 1 to 1000 (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(
            names = "--offset",
            paramLabel = "N",
            defaultValue = "0",
            description = "Skip this many matching rows first (default: ${DEFAULT-VALUE}).")
    int offset;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 1000 || offset < 0) {
            throw new IllegalArgumentException(
                    "--limit must be 1..1000 and --offset 0 or more, got " + limit + " and " + offset);
        }
        Session session = cli.open();
        Set<BatchState> wanted = states.isEmpty() ? Set.of() : EnumSet.copyOf(states);
        List<Printer.Row> rows = new ArrayList<>();
        if (stages.isEmpty()) {
            session.store().list(wanted, offset, limit).forEach(r -> rows.add(Printer.Row.of(r)));
        } else {
            // the store lists by state only: the stage is filtered here, reading the listed pages in order
            int skip = offset;
            for (int at = 0; rows.size() < limit; at += SCAN_PAGE) {
                List<BatchRecord> page = session.store().list(wanted, at, SCAN_PAGE);
                for (BatchRecord r : page) {
                    if (stages.contains(r.stage()) && rows.size() < limit && skip-- <= 0) {
                        rows.add(Printer.Row.of(r));
                    }
                }
                if (page.size() < SCAN_PAGE) {
                    break;
                }
            }
        }
        cli.printer().rows(rows, "no batches");
        return Exit.OK;
    }
}
