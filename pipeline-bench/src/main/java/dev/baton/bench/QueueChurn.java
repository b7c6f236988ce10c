package dev.baton.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The queue-table churn section: many transitions through Baton's PostgreSQL queue ({@link QueueTrigger}
 * with its default inline continuation, {@link QueueWorker}) on the shipped schema (fill factor 70 and
 * aggressive autovacuum on {@code batch_processing_queue}), in a fresh schema {@value #SCHEMA}. At most
 * {@code inFlight} batches are in flight: the starting thread starts a batch whenever one completes
 * (and, when paced, no sooner than the rate allows) until the run has its transitions; then it stops
 * admitting, the worker finishes what it runs, and batches not yet claimed stay {@code pending}: the
 * queue's state at that moment, frozen. With retention {@code delete} Baton's retention
 * ({@code BatchClient.purge} of completed batches, period zero: queue row, outputs and input, in pages of one
 * short transaction each) runs every {@value #RETENTION_EVERY_MILLIS} ms; with {@code keep} they stay. The
 * tables' sizes and statistics are read before, at even steps on the way (by a sampler thread, so admission
 * never waits for it), and after every connection of the run has closed, so that every backend's statistics
 * are flushed. Not thread-safe.
 */
final class QueueChurn {
    /** The schema, dropped and recreated for each run. */
    static final String SCHEMA = "bench_churn";

    static final String QUEUE = SCHEMA + ".batch_processing_queue";
    static final String DATA = SCHEMA + ".batch_processing_data";
    /** How often Baton's retention purges completed batches. */
    static final long RETENTION_EVERY_MILLIS = 100;

    static final String APPLICATION = "baton-bench-churn";

    private final Database db;
    private final BenchSettings.Churn settings;
    private final Payload payload;
    private final PrintStream out;
    private final LongSupplier clockSeconds;

    /**
     * @param db the database
     * @param settings the section's settings
     * @param payload each stage's output
     * @param out where progress goes
     * @param clockSeconds seconds since the bench started, for progress lines
     */
    QueueChurn(Database db, BenchSettings.Churn settings, Payload payload, PrintStream out, LongSupplier clockSeconds) {
        this.db = db;
        this.settings = settings;
        this.payload = payload;
        this.out = out;
        this.clockSeconds = clockSeconds;
    }

    /**
     * @param run the retention and pace
     * @return what the run measured
     * @throws Exception if a batch fails, the run times out or the database fails
     */
    ChurnResult run(BenchSettings.Churn.Run run) throws Exception {
        String label = run.label();
        boolean delete = BenchSettings.Churn.DELETE.equals(run.retention());
        db.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        try (HikariDataSource ds = db.pool(APPLICATION + "-migrate", 1)) {
            BatonSchema.migrate(ds, SCHEMA, "");
        }
        db.awaitGone(APPLICATION + "-migrate", Duration.ofSeconds(30));
        db.checkpoint();
        ChurnResult.Snapshot before = snapshot(0, 0, true);
        Database.DbCounters countersBefore = db.counters();

        AtomicLong transitions = new AtomicLong();
        AtomicLong completed = new AtomicLong();
        AtomicLong deleted = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Semaphore window = new Semaphore(settings.inFlight());
        List<ChurnResult.Snapshot> samples = new CopyOnWriteArrayList<>();
        long started = 0;
        long elapsed;
        long atStop;
        // the worker threads, the dispatcher, the LISTEN connection, the starter's create + NOTIFY, the retention job
        HikariDataSource pool = db.pool(APPLICATION, settings.threads() + 5);
        QueueWorker worker = null;
        PipelineRunner runner = null;
        ScheduledExecutorService retentionJob = null;
        try {
            Pipeline.Builder pipeline = Pipeline.builder();
            for (int i = 0; i < Contender.STAGES; i++) {
                pipeline.stage("stage" + (i + 1), ctx -> StageResult.done(payload.asObject()));
            }
            JdbcStageStore store = JdbcStageStore.builder(pool).schema(SCHEMA).build();
            QueueTrigger trigger = QueueTrigger.builder(pool).build();
            runner = PipelineRunner.builder(pipeline.build(), store)
                    .trigger(trigger)
                    .listener(new PipelineListener() {
                        @Override
                        public void stageSucceeded(long batchId, String stage, int attempt, Duration duration) {
                            transitions.incrementAndGet();
                        }

                        @Override
                        public void batchCompleted(long batchId) {
                            completed.incrementAndGet();
                            window.release();
                        }

                        @Override
                        public void batchFailed(long batchId, String stage, String error) {
                            failures.add("batch " + batchId + " failed at " + stage + ": " + error);
                            window.release();
                        }
                    })
                    .build();
            worker = QueueWorker.builder(runner, store, trigger)
                    .threads(settings.threads())
                    .build()
                    .start();
            PipelineRunner finalRunner = runner;
            if (delete) {
                retentionJob = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "churn-retention");
                    t.setDaemon(true);
                    return t;
                });
                retentionJob.scheduleWithFixedDelay(
                        () -> {
                            try {
                                deleted.addAndGet(deleteCompleted(finalRunner));
                            } catch (RuntimeException e) {
                                failures.add(e.getMessage());
                            }
                        },
                        RETENTION_EVERY_MILLIS,
                        RETENTION_EVERY_MILLIS,
                        TimeUnit.MILLISECONDS);
            }

            long target = settings.transitions();
            long start = System.nanoTime();
            // the sampler reads the tables on its own thread, so that admission never waits for it
            Thread sampler = new Thread(
                    () -> {
                        try {
                            for (int next = 1;
                                    next < settings.samples()
                                            && !Thread.currentThread().isInterrupted(); ) {
                                long done = transitions.get();
                                if (done >= target * next / settings.samples()) {
                                    ChurnResult.Snapshot s = snapshot(done, (System.nanoTime() - start) / 1e9, false);
                                    samples.add(s);
                                    progress(label, "sample " + next + "/" + settings.samples(), s);
                                    next++;
                                } else {
                                    Thread.sleep(10);
                                }
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (SQLException | RuntimeException e) {
                            failures.add("sampling failed: " + e);
                        }
                    },
                    "churn-sampler");
            sampler.setDaemon(true);
            sampler.start();
            // 30 minutes, or 10 ms per transition for a long run on a slow machine
            long limitNanos = Math.max(TimeUnit.MINUTES.toNanos(30), TimeUnit.MILLISECONDS.toNanos(10) * target);
            long deadline = start + limitNanos;
            try {
                while (transitions.get() < target) {
                    if (!failures.isEmpty()) {
                        throw new IllegalStateException(
                                "churn " + label + ": " + failures.size() + " failures, first: " + failures.peek());
                    }
                    if (System.nanoTime() > deadline) {
                        throw new TimeoutException("churn " + label + ": " + transitions.get() + " of " + target
                                + " transitions after " + TimeUnit.NANOSECONDS.toMinutes(limitNanos) + " minutes");
                    }
                    long due = run.rate() == 0 ? 0 : start + (long) (started * Contender.STAGES * 1e9 / run.rate());
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(Math.max(1, Math.min(20, wait / 1_000_000)));
                    } else if (window.tryAcquire(20, TimeUnit.MILLISECONDS)) {
                        runner.client().start(++started);
                    }
                }
            } finally {
                sampler.interrupt();
                sampler.join(TimeUnit.SECONDS.toMillis(30));
            }
            elapsed = System.nanoTime() - start;
            atStop = transitions.get();
            worker.close(); // stops claiming; the batches it runs finish (inline: to their last stage)
            worker = null;
            if (retentionJob != null) {
                retentionJob.shutdown();
                if (!retentionJob.awaitTermination(30, TimeUnit.SECONDS)) {
                    throw new TimeoutException("the retention job did not stop");
                }
                retentionJob = null;
                deleted.addAndGet(deleteCompleted(runner));
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException(
                        "churn " + label + ": " + failures.size() + " failures, first: " + failures.peek());
            }
        } finally {
            if (retentionJob != null) {
                retentionJob.shutdownNow();
            }
            if (worker != null) {
                worker.close();
            }
            if (runner != null) {
                runner.close();
            }
            pool.close();
        }
        db.awaitGone(APPLICATION, Duration.ofSeconds(30));
        Database.DbCounters used = db.counters().minus(countersBefore);
        ChurnResult.Snapshot after = snapshot(transitions.get(), elapsed / 1e9, true);
        long queuePacked = db.packedSize(QUEUE, 70);
        long dataPacked = db.packedSize(DATA, 100);
        ChurnResult result = new ChurnResult(
                label,
                run.retention(),
                run.rate(),
                settings.threads(),
                settings.inFlight(),
                settings.transitions(),
                transitions.get(),
                started,
                completed.get(),
                deleted.get(),
                elapsed,
                atStop,
                used.commits(),
                used.walBytes(),
                before,
                after,
                List.copyOf(samples),
                queuePacked,
                dataPacked,
                db.rowWidthByStatus(QUEUE));
        progress(label, "after", after);
        return result;
    }

    /**
     * Baton's retention: {@link dev.baton.pipeline.BatchClient#purge} of every completed batch (period zero), in
     * pages of {@value dev.baton.pipeline.BatchClient#PURGE_PAGE} batches, one short transaction each.
     */
    private static long deleteCompleted(PipelineRunner runner) {
        return runner.client().purge(Duration.ZERO, Set.of(BatchState.COMPLETED));
    }

    private ChurnResult.Snapshot snapshot(long transitions, double seconds, boolean full) throws SQLException {
        return new ChurnResult.Snapshot(
                transitions,
                seconds,
                full ? db.countByStatus(QUEUE) : Map.of(),
                db.tableStats(QUEUE, true),
                db.tableStats(DATA, full));
    }

    private void progress(String run, String label, ChurnResult.Snapshot s) {
        long t = clockSeconds.getAsLong();
        out.printf(
                Locale.ROOT,
                "[%02d:%02d] churn %-10s %-12s %,9d transitions in %6.1f s  queue %,6d rows heap %9s total %9s dead "
                        + "%,6d autovacuums %d"
                        + "  data heap %9s total %9s%n",
                t / 60,
                t % 60,
                run,
                label,
                s.transitions(),
                s.seconds(),
                s.queue().rows(),
                Sizes.readable(s.queue().relationBytes()),
                Sizes.readable(s.queue().totalBytes()),
                s.queue().deadTuples(),
                s.queue().autovacuumCount(),
                Sizes.readable(s.data().relationBytes()),
                Sizes.readable(s.data().totalBytes()));
    }
}
