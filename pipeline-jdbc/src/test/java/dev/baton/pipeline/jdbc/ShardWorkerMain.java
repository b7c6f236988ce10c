package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A worker process for {@link FanOutTest}: runs shard 0 of the fanned-out stage 'squares' of one batch and hangs
 * inside it, printing {@code SHARD <batchId>} so that the test knows when to SIGKILL it.
 */
public final class ShardWorkerMain {
    private ShardWorkerMain() {}

    /**
     * @param args JDBC URL, batch id
     * @throws Exception when the database is unreachable
     */
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        long batchId = Long.parseLong(args[1]);
        Pipeline pipeline = Pipeline.builder()
                .lease(Duration.ofMillis(400))
                .stage(
                        "squares",
                        FanOut.<Integer>of(FanOutTest::items, (ctx, items) -> {
                                    System.out.println("SHARD " + ctx.batchId());
                                    System.out.flush();
                                    Thread.sleep(Long.MAX_VALUE);
                                    return StageResult.done(items);
                                })
                                .shards(2))
                .stage("sum", ctx -> StageResult.done(0))
                .build();
        PipelineRunner runner = PipelineRunner.builder(
                        pipeline, JdbcStageStore.builder(ds).build())
                .trigger(InProcessTrigger.builder().threads(1).build())
                .owner("doomed")
                .build();
        runner.runShard(batchId, "squares", 0);
    }
}
