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
import java.util.concurrent.Semaphore;
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
 *
 * <p>For the queue worker's thread scaling there are two more: {@code baton-queue-inline}, the same
 * queue trigger, and {@code baton-queue-every-stage}, {@link QueueTrigger.Builder#everyStageThroughQueue()}
 * (every stage is a {@code NOTIFY} and a {@code FOR UPDATE SKIP LOCKED} claim by the dispatcher, so the
 * hand-off is the queue's). Both keep a bounded number of batches in flight (started and not yet
 * completed) instead of starting every batch at once, so that the hand-off measures the queue rather
 * than the position of stage k+1 behind every batch's stage k. Their tables are in their own schema,
 * {@value #QUEUE_THREADS_SCHEMA}.
 */
public final class BatonContender implements Contender {
    static final String SCHEMA = "bench_baton";
    /** The thread-scaling section's schema, apart from the side-by-side rounds' tables. */
    static final String QUEUE_THREADS_SCHEMA = "bench_queue";

    private final String name;
    private final String schema;
    private final boolean queue;
    private final boolean everyStage;
    private final int inFlightPerWorker;
    private HikariDataSource pool;
    private PipelineRunner runner;
    private QueueWorker worker;
    private CountDownLatch completed;
    private Semaphore window;
    private volatile long claims;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private BatonContender(String name, String schema, boolean queue, boolean everyStage, int inFlightPerWorker) {
        this.name = name;
        this.schema = schema;
        this.queue = queue;
        this.everyStage = everyStage;
        this.inFlightPerWorker = inFlightPerWorker;
    }

    /** @return Baton with its in-process trigger */
    public static BatonContender inProcess() {
        return new BatonContender("baton-inprocess", SCHEMA, false, false, 0);
    }

    /** @return Baton with its PostgreSQL queue trigger and worker */
    public static BatonContender queue() {
        return new BatonContender("baton-queue", SCHEMA, true, false, 0);
    }

    /**
     * @param everyStage {@code true}: {@link QueueTrigger.Builder#everyStageThroughQueue()}; {@code false}: the default
     *     trigger, whose worker thread continues a batch inline
     * @param inFlightPerWorker batches in flight per worker thread; 0 starts every batch at once
     * @return Baton's queue as the thread-scaling section runs it
     * @throws IllegalArgumentException if {@code inFlightPerWorker} is negative
     */
    public static BatonContender queueThreads(boolean everyStage, int inFlightPerWorker) {
        if (inFlightPerWorker < 0) {
            throw new IllegalArgumentException(
                    "batches in flight per worker must not be negative, got " + inFlightPerWorker);
        }
        return new BatonContender(
                everyStage ? "baton-queue-every-stage" : "baton-queue-inline",
                QUEUE_THREADS_SCHEMA,
                true,
                everyStage,
                inFlightPerWorker);
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the trigger's mode: {@code every-stage}, {@code inline} or {@code in-process} */
    public String triggerMode() {
        return !queue ? "in-process" : everyStage ? "every-stage" : "inline";
    }

    /** @return batches in flight per worker thread, 0 for all at once */
    public int inFlightPerWorker() {
        return inFlightPerWorker;
    }

    /** @return the queue worker's claims in the last round (inline continuations not counted), 0 in-process */
    public long lastRoundClaims() {
        return claims;
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema);
        try (HikariDataSource ds = db.pool(applicationName() + "-migrate", 1)) {
            BatonSchema.migrate(ds, schema, "");
        }
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        // queue: the worker threads, the dispatcher's claims, the LISTEN connection it holds, and the
        // starting thread's create + NOTIFY (and a heartbeat); in-process: the threads, the starter, a heartbeat
        pool = db.pool(applicationName(), round.workers() + (queue ? 4 : 2));
        try (Connection c = pool.getConnection();
                var s = c.createStatement()) {
            s.execute("TRUNCATE " + schema + ".batch_processing_queue, " + schema + ".batch_processing_data");
        }
        failures.clear();
        claims = 0;
        completed = new CountDownLatch(round.batches());
        window = inFlightPerWorker == 0 ? null : new Semaphore(inFlightPerWorker * round.workers());
        Semaphore admitted = window;
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
        JdbcStageStore store = JdbcStageStore.builder(pool).schema(schema).build();
        QueueTrigger queueTrigger = !queue
                ? null
                : everyStage
                        ? QueueTrigger.builder(pool).everyStageThroughQueue().build()
                        : QueueTrigger.builder(pool).build();
        runner = PipelineRunner.builder(pipeline.build(), store)
                .trigger(
                        queue
                                ? queueTrigger
                                : InProcessTrigger.builder()
                                        .threads(round.workers())
                                        .queueCapacity(round.batches() + 16)
                                        .shutdownWait(Duration.ofSeconds(30))
                                        .build())
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                        if (admitted != null) {
                            admitted.release();
                        }
                    }

                    @Override
                    public void batchFailed(long batchId, String stage, String error) {
                        failures.add("batch " + batchId + " failed at " + stage + ": " + error);
                        completed.countDown();
                        if (admitted != null) {
                            admitted.release();
                        }
                    }
                })
                .build();
        runner.start();
        if (queue) {
            worker = QueueWorker.builder(runner, store, queueTrigger)
                    .threads(round.workers())
                    .build()
                    .start();
        }
    }

    @Override
    public void run(Round round) throws Exception {
        for (long id = 1; id <= round.batches(); id++) {
            if (window != null && !window.tryAcquire(30, TimeUnit.MINUTES)) {
                throw new TimeoutException(name() + ": no batch completed in 30 minutes");
            }
            runner.client().start(id);
        }
        if (!completed.await(30, TimeUnit.MINUTES)) {
            throw new TimeoutException(
                    name() + ": " + completed.getCount() + " batches still running after 30 minutes");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    name() + ": " + failures.size() + " batches failed, first: " + failures.peek());
        }
    }

    @Override
    public void tearDown() {
        if (worker != null) {
            worker.close();
            claims = worker.claimed();
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
