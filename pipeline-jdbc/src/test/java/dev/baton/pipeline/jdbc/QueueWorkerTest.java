package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL queue: worker processes, a global stage cap, LISTEN failures, a killed worker. */
class QueueWorkerTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;
    Sql sql;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    @AfterEach
    void killWorkers() {
        processes.forEach(Process::destroyForcibly);
    }

    Process startWorker(String name, int threads, long leaseMs, long annotationDelayMs) throws Exception {
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx192m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        QueueWorkerMain.class.getName(),
                        PG.jdbcUrl(),
                        name,
                        Integer.toString(threads),
                        Long.toString(leaseMs),
                        Long.toString(annotationDelayMs),
                        "170")
                .redirectError(
                        Path.of("target", "queue-worker-" + name + ".log").toFile())
                .start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> assertThat(out.readLine()).isEqualTo("READY " + name));
        return p;
    }

    void createBatches(int from, int to) {
        for (long id = from; id <= to; id++) {
            store.create(id, "setup");
        }
        QueueTrigger.builder(PG.dataSource()).build().fire(0, "setup");
    }

    void awaitCompleted(long batches) throws InterruptedException {
        while (sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'completed'") < batches) {
            Thread.sleep(50);
        }
    }

    /**
     * Runs {@code count} queue workers in this JVM, owners {@code w0, w1, …}, until batches 1 to
     * {@code batches} have completed, then closes them.
     *
     * @return the closed workers, for their counters
     */
    List<QueueWorker> runWorkersInThisJvm(
            int count, int threads, Function<String, Pipeline> pipeline, QueueTrigger trigger, int batches) {
        List<QueueWorker> workers = new ArrayList<>();
        List<PipelineRunner> runners = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                String owner = "w" + i;
                PipelineRunner runner = PipelineRunner.builder(pipeline.apply(owner), store)
                        .trigger(trigger)
                        .owner(owner)
                        .build();
                runners.add(runner);
                workers.add(QueueWorker.builder(runner, store, trigger)
                        .threads(threads)
                        .pollInterval(Duration.ofMillis(100))
                        .build()
                        .start());
            }
            createBatches(1, batches);
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> awaitCompleted(batches));
        } finally {
            workers.forEach(QueueWorker::close);
            runners.forEach(PipelineRunner::close);
        }
        return workers;
    }

    void assertEveryStageAdvancedOnce(int batches) {
        SixStages.assertAllCompletedWithOneOutputPerStage(sql, batches);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data d WHERE d.stage = 'persistence'"
                        + " AND (d.data->>'checksum')::bigint <> (SELECT ((((((d.batch_id * 31 + 1) * "
                        + "31 + 2) * 31 + 3) * 31 + 4) * 31 + 5) * 31 + 6))"))
                .as("batches whose chain of outputs is wrong")
                .isZero();
    }

    @Test
    void three_worker_processes_complete_500_batches_and_each_does_a_share() throws Exception {
        int batches = 500;
        for (String name : List.of("w1", "w2", "w3")) {
            startWorker(name, 2, 5_000, 1);
        }
        createBatches(1, batches);
        assertTimeoutPreemptively(Duration.ofSeconds(150), () -> awaitCompleted(batches));
        assertEveryStageAdvancedOnce(batches);
        List<Map<String, Object>> shares = sql.rows(
                "SELECT data->>'worker' AS worker, count(*) AS n FROM batch_processing_data GROUP BY 1 ORDER BY 1");
        assertThat(shares).extracting(r -> r.get("worker")).containsExactly("w1", "w2", "w3");
        assertThat(shares).allSatisfy(r -> assertThat((Long) r.get("n")).isGreaterThanOrEqualTo(30));
    }

    @Test
    void a_killed_worker_process_is_finished_by_the_others_and_the_sweeper() throws Exception {
        int batches = 150;
        Process doomed = startWorker("doomed", 2, 600, 10);
        startWorker("survivor", 2, 600, 10);
        createBatches(1, batches);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            while (sql.count("SELECT count(*) FROM batch_processing_data WHERE data->>'worker' = 'doomed'") < 20) {
                Thread.sleep(20);
            }
        });
        doomed.destroyForcibly().waitFor();
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource()).build();
        try (PipelineRunner runner = PipelineRunner.builder(
                                QueueWorkerMain.pipeline("sweeper", Duration.ofMillis(600), Duration.ZERO), store)
                        .trigger(trigger)
                        .build();
                StallSweeper sweeper = runner.sweeper()
                        .pendingGrace(Duration.ofSeconds(2))
                        .interval(Duration.ofMillis(200))
                        .build()) {
            sweeper.start();
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> awaitCompleted(batches));
        }
        assertEveryStageAdvancedOnce(batches);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE data->>'worker' = 'sweeper'"))
                .isZero();
    }

    @Test
    void a_global_cap_of_two_on_a_stage_is_never_exceeded_across_workers() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        Pipeline base = SixStages.pipeline();
        Pipeline.Builder b = Pipeline.builder().retry(base.stage("setup").retry());
        for (String name : SixStages.NAMES) {
            b.stage(
                    name,
                    !name.equals("annotation")
                            ? SixStages.stage(name)
                            : ctx -> {
                                max.accumulateAndGet(running.incrementAndGet(), Math::max);
                                try {
                                    Thread.sleep(15);
                                    return SixStages.stage("annotation").execute(ctx);
                                } finally {
                                    running.decrementAndGet();
                                }
                            });
        }
        Pipeline pipeline = b.build();
        QueueTrigger trigger =
                QueueTrigger.builder(PG.dataSource()).stageCap("annotation", 2).build();
        runWorkersInThisJvm(3, 4, worker -> pipeline, trigger, 60);
        assertEveryStageAdvancedOnce(60);
        assertThat(max.get()).as("most annotation stages running at once").isEqualTo(2);
    }

    @Test
    void every_stage_through_the_queue_claims_each_stage_once_and_spreads_a_batch_over_workers() throws Exception {
        QueueTrigger trigger =
                QueueTrigger.builder(PG.dataSource()).everyStageThroughQueue().build();
        assertThat(trigger.continuesInline("extraction")).isFalse();
        assertThat(QueueTrigger.builder(PG.dataSource()).build().continuesInline("extraction"))
                .isTrue();
        List<QueueWorker> workers = runWorkersInThisJvm(
                2, 2, worker -> QueueWorkerMain.pipeline(worker, Duration.ofSeconds(30), Duration.ZERO), trigger, 40);
        assertEveryStageAdvancedOnce(40);
        assertThat(workers.stream().mapToLong(QueueWorker::claimed).sum())
                .as("claims: one per stage of every batch")
                .isEqualTo(6L * 40);
        assertThat(sql.count("SELECT count(*) FROM (SELECT batch_id FROM batch_processing_data GROUP BY batch_id"
                        + " HAVING count(DISTINCT data->>'worker') > 1) spread"))
                .as("batches whose stages ran on both workers")
                .isPositive();
    }

    @Test
    void close_stops_claiming_and_leaves_no_claim_behind() throws Exception {
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource()).build();
        for (int round = 0; round < 5; round++) {
            try (PipelineRunner runner = PipelineRunner.builder(
                            QueueWorkerMain.pipeline("w", Duration.ofSeconds(30), Duration.ZERO), store)
                    .trigger(trigger)
                    .build()) {
                QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                        .threads(4)
                        .pollInterval(Duration.ofMillis(10))
                        .build()
                        .start();
                createBatches(round * 100 + 1, round * 100 + 100);
                while (worker.claimed() < 10) {
                    Thread.sleep(1);
                }
                worker.close();
                assertThat(worker.active()).isZero();
            }
            assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'in_progress'"))
                    .as("claims left behind by a closed worker in round %d", round)
                    .isZero();
        }
    }

    @Test
    void work_goes_on_when_the_listen_connection_is_terminated() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(6);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            JdbcStageStore pooled = JdbcStageStore.builder(pool).build();
            QueueTrigger trigger = QueueTrigger.builder(pool).build();
            // polling alone would take a minute: only NOTIFY on a re-established LISTEN finishes in time
            try (PipelineRunner runner = PipelineRunner.builder(SixStages.pipeline(), pooled)
                            .trigger(trigger)
                            .build();
                    QueueWorker worker = QueueWorker.builder(runner, pooled, trigger)
                            .threads(2)
                            .pollInterval(Duration.ofSeconds(60))
                            .build()
                            .start()) {
                createBatches(1, 10);
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> awaitCompleted(10));
                assertThat(PG.terminateConnections()).isPositive();
                for (int round = 0;
                        round < 50
                                && sql.count("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'") == 0;
                        round++) {
                    Thread.sleep(50);
                }
                createBatches(11, 20);
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> awaitCompleted(20));
            }
        }
        assertEveryStageAdvancedOnce(20);
    }
}
