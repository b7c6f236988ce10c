package dev.baton.cli;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code purge --older-than D [--state S…]}: retention, once ({@link BatchClient#purge}). */
@Command(
        name = "purge",
        mixinStandardHelpOptions = true,
        description = "Deletes finished batches that finished longer ago than --older-than, with their outputs and"
                + " inputs, " + BatchClient.PURGE_PAGE + " batches per short transaction; running batches never"
                + " wait on it. A purged batch id is forgotten: starting it again is a new run.")
final class PurgeCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Option(
            names = "--older-than",
            required = true,
            paramLabel = "DURATION",
            converter = DurationText.class,
            description = "How long ago a batch must have finished: 7d, 12h, 30m, P7D, ...")
    Duration olderThan;

    @Option(
            names = "--state",
            split = ",",
            paramLabel = "S",
            converter = StateText.class,
            description = "Finished states to purge: completed, cancelled, failed (default: completed,cancelled).")
    List<BatchState> states = List.of(BatchState.COMPLETED, BatchState.CANCELLED);

    @Override
    public Integer call() {
        Set<BatchState> wanted = EnumSet.copyOf(states);
        for (BatchState s : wanted) {
            if (!s.isFinal()) {
                throw new IllegalArgumentException("--state " + s.dbValue() + ": only finished batches can be purged"
                        + " (completed, cancelled, failed); cancel them first");
            }
        }
        Session session = cli.open();
        long purged = StageOrder.client(session, List.of("purge")).purge(olderThan, wanted);
        List<String> names = wanted.stream().map(BatchState::dbValue).toList();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("purged", purged);
        fields.put("olderThan", olderThan.toString());
        fields.put("states", names);
        cli.printer()
                .done(
                        "purged " + purged + " finished batches (" + String.join(", ", names) + ") older than "
                                + olderThan,
                        fields);
        return Exit.OK;
    }
}
