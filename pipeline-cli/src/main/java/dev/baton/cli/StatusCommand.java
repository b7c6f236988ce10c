package dev.baton.cli;

import dev.baton.pipeline.BatchNotFoundException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code status ID}: one batch, with its stages. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Shows one batch: state, stage, attempt, error, lease, and per stage the attempts,"
                + " invocations, longest invocation and times.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Parameters(paramLabel = "ID", description = "The batch id.")
    long batchId;

    @Mixin
    StageOrder order;

    @Override
    public Integer call() {
        Session session = cli.open();
        var client = order.clientFor(cli, session, batchId);
        cli.printer().status(null, client.status(batchId).orElseThrow(() -> new BatchNotFoundException(batchId)));
        return Exit.OK;
    }
}
