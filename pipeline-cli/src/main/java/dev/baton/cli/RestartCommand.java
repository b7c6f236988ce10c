package dev.baton.cli;

import dev.baton.pipeline.BatchNotFoundException;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.spi.BatchRecord;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code restart ID --stage S}: runs a batch again from a stage. */
@Command(
        name = "restart",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a batch again from a stage, whatever its state: that stage's output and every later one are"
                    + " deleted, the input is kept, and a running invocation commits nothing afterwards.",
            "Without --stages (or PIPELINE_STAGES) the later stages are those the batch reached after STAGE, in the"
                    + " order the database committed their outputs, and STAGE must be one it has reached."
        })
final class RestartCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Parameters(paramLabel = "ID", description = "The batch id.")
    long batchId;

    @Option(names = "--stage", required = true, paramLabel = "S", description = "The stage to run again from.")
    String stage;

    @Mixin
    StageOrder order;

    @Override
    public Integer call() {
        Session session = cli.open();
        BatchRecord batch = session.store().find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        StageOrder.Names names = order.of(cli, session, batch);
        StageOrder.requireReached(names, batch, stage);
        BatchStatus status = StageOrder.client(session, names.names()).restart(batchId, stage);
        cli.printer().status("restarted batch " + batchId + " from stage '" + stage + "'", status);
        return Exit.OK;
    }
}
