package dev.baton.cli;

import dev.baton.pipeline.BatchStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cancel ID}: a pending or running batch. */
@Command(
        name = "cancel",
        mixinStandardHelpOptions = true,
        description = "Cancels a pending or running batch; a running invocation finishes and commits nothing.")
final class CancelCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Parameters(paramLabel = "ID", description = "The batch id.")
    long batchId;

    @Mixin
    StageOrder order;

    @Override
    public Integer call() {
        Session session = cli.open();
        BatchStatus status = order.clientFor(cli, session, batchId).cancel(batchId);
        cli.printer().status("cancelled batch " + batchId + " at stage '" + status.stage() + "'", status);
        return Exit.OK;
    }
}
