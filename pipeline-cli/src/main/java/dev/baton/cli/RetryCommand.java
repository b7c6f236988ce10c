package dev.baton.cli;

import dev.baton.pipeline.BatchStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code retry ID}: a failed or cancelled batch, from the stage it stopped at. */
@Command(
        name = "retry",
        mixinStandardHelpOptions = true,
        description = "Retries a failed or cancelled batch from the stage it stopped at, with fresh attempts. It is"
                + " due at once: queue workers claim it, or a sweeper fires it once its pending grace has passed.")
final class RetryCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Parameters(paramLabel = "ID", description = "The batch id.")
    long batchId;

    @Mixin
    StageOrder order;

    @Override
    public Integer call() {
        Session session = cli.open();
        BatchStatus status = order.clientFor(cli, session, batchId).retry(batchId);
        cli.printer().status("retried batch " + batchId + " from stage '" + status.stage() + "'", status);
        return Exit.OK;
    }
}
