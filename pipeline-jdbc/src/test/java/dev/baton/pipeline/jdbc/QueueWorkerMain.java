package dev.baton.pipeline.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import java.time.Duration;

/**
 * A queue worker process for {@link QueueWorkerTest}: runs the six test stages, each output signed
 * with the worker's name, until killed or until its lifetime runs out (so it never outlives a test
 * run that died).
 */
public final class QueueWorkerMain {
    private QueueWorkerMain() {}

    /** A stage output that names the process that produced it. */
    record Signed(String stage, long batchId, long checksum, String worker) {}

    static Pipeline pipeline(String worker, Duration lease, Duration annotationDelay) {
        Pipeline.Builder b = Pipeline.builder()
                .retry(RetryPolicy.exponential(10, Duration.ofMillis(20)))
                .lease(lease);
        for (String name : SixStages.NAMES) {
            int index = SixStages.NAMES.indexOf(name);
            b.stage(name, ctx -> {
                if (name.equals("annotation")) {
                    Thread.sleep(annotationDelay.toMillis());
                }
                long previous = index == 0
                        ? ctx.batchId()
                        : ctx.output(SixStages.NAMES.get(index - 1), Signed.class)
                                .checksum();
                return StageResult.done(new Signed(name, ctx.batchId(), previous * 31 + index + 1, worker));
            });
        }
        return b.build();
    }

    /**
     * @param args JDBC URL, worker name, threads, lease ms, annotation delay ms, lifetime s
     * @throws Exception when the database is unreachable
     */
    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setMaximumPoolSize(Integer.parseInt(args[2]) + 3); // stages, heartbeats, LISTEN, dispatcher
        HikariDataSource ds = new HikariDataSource(config);
        String name = args[1];
        JdbcStageStore store = JdbcStageStore.builder(ds).build();
        QueueTrigger trigger = QueueTrigger.builder(ds).build();
        PipelineRunner runner = PipelineRunner.builder(
                        pipeline(
                                name,
                                Duration.ofMillis(Long.parseLong(args[3])),
                                Duration.ofMillis(Long.parseLong(args[4]))),
                        store)
                .trigger(trigger)
                .owner(name)
                .build();
        QueueWorker.builder(runner, store, trigger)
                .threads(Integer.parseInt(args[2]))
                .pollInterval(Duration.ofMillis(200))
                .build()
                .start();
        System.out.println("READY " + name);
        System.out.flush();
        Thread.sleep(Long.parseLong(args[5]) * 1000);
        System.exit(3);
    }
}
