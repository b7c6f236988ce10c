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
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Baton as a host would run it: {@link JdbcStageStore} on a HikariCP pool, a {@link PipelineRunner},
 * and {@link PipelineRunner#start} for every batch, with one of two triggers of {@code workers}
 * threads. {@code baton-inprocess}: an {@link InProcessTrigger} in this JVM.
 * {@code baton-queue}: Baton's PostgreSQL queue, a {@link QueueTrigger} whose {@code NOTIFY} wakes a
 * {@link QueueWorker} that claims due batches with {@code FOR UPDATE SKIP LOCKED} (one extra
 * connection holds its {@code LISTEN}). Either way a worker thread chains the stages of a batch inline
 * (the advance and the next claim in one transaction). The round ends when the runner's listener has
 * heard every batch complete.
 */
public final class BatonContender implements Contender {
    static final String SCHEMA = "bench_baton";

    private final boolean queue;
    private HikariDataSource pool;
    private PipelineRunner runner;
    private QueueWorker worker;
    private CountDownLatch completed;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private BatonContender(boolean queue) {
        this.queue = queue;
    }

    /** @return Baton with its in-process trigger */
    public static BatonContender inProcess() {
        return new BatonContender(false);
    }

    /** @return Baton with its PostgreSQL queue trigger and worker */
    public static BatonContender queue() {
        return new BatonContender(true);
    }

    @Override
    public String name() {
        return queue ? "baton-queue" : "baton-inprocess";
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
        pool = db.pool(applicationName(), round.workers() + (queue ? 4 : 2));
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
        JdbcStageStore store = JdbcStageStore.builder(pool).schema(SCHEMA).build();
        QueueTrigger queueTrigger = queue ? QueueTrigger.of(pool) : null;
        runner = PipelineRunner.builder(pipeline.build(), store)
                .trigger(queue ? queueTrigger : new InProcessTrigger(round.workers(), round.batches() + 16, Duration.ofSeconds(30)))
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
        if (queue) {
            worker = QueueWorker.builder(runner, store, queueTrigger).threads(round.workers()).build().start();
        }
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
        if (worker != null) {
            worker.close();
            worker = null;
        }
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
