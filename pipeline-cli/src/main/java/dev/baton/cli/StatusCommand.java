package dev.baton.cli;

import dev.baton.pipeline.BatchNotFoundException;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStore;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code status ID}: one batch, with its stages and the shards of those that fanned out. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Shows one batch: state, stage, attempt, error, lease, and per stage the attempts,"
                + " invocations, longest invocation, times and, for a stage that fanned out, its shards.")
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
        BatchStatus status = client.status(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        cli.printer().status(null, withShards(session.store(), status));
        return Exit.OK;
    }

    /**
     * The CLI's pipeline does not know which stages fan out, so the store is asked for every stage's shards.
     *
     * @return {@code status} with the shards of each stage that has any
     */
    static BatchStatus withShards(StageStore store, BatchStatus status) {
        List<BatchStatus.StageView> stages = status.stages().stream()
                .map(v -> {
                    List<ShardRecord> shards =
                            v.shards() == null ? store.shards(status.batchId(), v.name()) : List.of();
                    return shards.isEmpty()
                            ? v
                            : new BatchStatus.StageView(
                                    v.name(),
                                    v.attempts(),
                                    v.invocations(),
                                    v.maxInvocationMs(),
                                    v.startedAt(),
                                    v.finishedAt(),
                                    BatchStatus.Shards.of(shards));
                })
                .toList();
        return new BatchStatus(
                status.batchId(),
                status.stage(),
                status.state(),
                status.attempt(),
                status.error(),
                status.createdAt(),
                status.updatedAt(),
                status.leaseOwner(),
                status.leaseUntil(),
                status.runAfter(),
                status.hasInput(),
                stages);
    }
}
