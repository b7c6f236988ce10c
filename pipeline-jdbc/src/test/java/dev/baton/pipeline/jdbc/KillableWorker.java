package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.spi.StageStore;
import java.time.Duration;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A worker process for {@link ChaosTest}: starts batches on the given database and hangs inside the
 * annotation stage, printing {@code ANNOTATING <batchId>} so that the test knows when to SIGKILL it.
 */
public final class KillableWorker {
    private KillableWorker() {}

    /**
     * @param args JDBC URL, number of batches
     * @throws Exception when the database is unreachable
     */
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        int batches = Integer.parseInt(args[1]);
        StageStore store = JdbcStageStore.builder(ds).build();
        var pipeline = SixStages.builder(Map.of("annotation", ctx -> {
                    System.out.println("ANNOTATING " + ctx.batchId());
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                    throw new IllegalStateException("unreachable");
                }))
                .lease(Duration.ofMillis(400))
                .build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(InProcessTrigger.builder().threads(2).build())
                .owner("doomed")
                .build();
        runner.start();
        for (long id = 1; id <= batches; id++) {
            store.create(id, "setup");
        }
        for (long id = 1; id <= batches; id++) {
            runner.runStage(id, "setup");
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
