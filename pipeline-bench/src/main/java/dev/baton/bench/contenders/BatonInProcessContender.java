package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Baton as a host would run it in one long-lived service: {@link JdbcStageStore} on a HikariCP pool,
 * a {@link PipelineRunner} with an {@link InProcessTrigger} of {@code workers} threads, and
 * {@link PipelineRunner#start} for every batch. Its worker threads chain the stages of a batch
 * inline (the advance and the next claim in one transaction). The round ends when the runner's
 * listener has heard every batch complete.
 */
public final class BatonInProcessContender implements Contender {
    static final String SCHEMA = "bench_baton";

    private HikariDataSource pool;
    private PipelineRunner runner;
    private CountDownLatch completed;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return "baton-inprocess";
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        try (HikariDataSource ds = db.pool(applicationName() + "-migrate", 1)) {
            BatonSchema.migrate(ds, SCHEMA, "");
        }
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        pool = db.pool(applicationName(), round.workers() + 2);
        try (Connection c = pool.getConnection(); var s = c.createStatement()) {
            s.execute("TRUNCATE " + SCHEMA + ".batch_processing_queue, " + SCHEMA + ".batch_processing_data");
        }
        failures.clear();
        completed = new CountDownLatch(round.batches());
        Pipeline.Builder pipeline = Pipeline.builder();
        StageTimeline timeline = round.timeline();
        for (int i = 0; i < STAGES; i++) {
            int stage = i;
            pipeline.stage("stage" + (i + 1), ctx -> {
                int batch = (int) ctx.batchId() - 1;
                timeline.begin(batch, stage);
                Object output = round.payload().asObject();
                timeline.end(batch, stage);
                return StageResult.done(output);
            });
        }
        runner = PipelineRunner.builder(pipeline.build(), JdbcStageStore.builder(pool).schema(SCHEMA).build())
                .trigger(new InProcessTrigger(round.workers(), round.batches() + 16, Duration.ofSeconds(30)))
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }

                    @Override
                    public void batchFailed(long batchId, String stage, String error) {
                        failures.add("batch " + batchId + " failed at " + stage + ": " + error);
                        completed.countDown();
                    }
                })
                .build();
    }

    @Override
    public void run(Round round) throws Exception {
        for (long id = 1; id <= round.batches(); id++) {
            runner.start(id);
        }
        if (!completed.await(30, TimeUnit.MINUTES)) {
            throw new TimeoutException(name() + ": " + completed.getCount() + " batches still running after 30 minutes");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(name() + ": " + failures.size() + " batches failed, first: " + failures.peek());
        }
    }

    @Override
    public void tearDown() {
        if (runner != null) {
            runner.close();
            runner = null;
        }
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
