package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The invariants of docs/architecture.md, section 3, under faults: with processes killed, connections killed
 * and triggers lost, every batch still completes with each stage committed once, and racing sweepers rescue each
 * stalled batch once (I5, I6, I13, I16).
 */
class ChaosTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    StageStore store;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    /** Waits, polling the database, until every batch has ended; bounded by the caller's timeout. */
    void awaitAllEnded(int batches) throws InterruptedException {
        while (sql.count("SELECT count(*) FROM batch_processing_queue WHERE status IN "
                        + "('completed','failed','cancelled')")
                < batches) {
            Thread.sleep(50);
        }
    }

    void assertAllCompletedCorrectly(int batches) {
        SixStages.assertAllCompletedWithOneOutputPerStage(sql, batches);
        for (long id = 1; id <= batches; id++) {
            assertThat(store.readOutput(id, "persistence").orElseThrow()).matches(SixStages.finalOutput(id));
        }
    }

    @Test
    void a_worker_killed_mid_stage_is_recovered_by_the_sweeper_and_every_batch_completes() throws Exception {
        int batches = 8;
        Path log = Path.of("target", "killable-worker.log");
        Process worker = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        KillableWorker.class.getName(),
                        PG.jdbcUrl(),
                        Integer.toString(batches))
                .redirectError(log.toFile())
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("ANNOTATING")) {
                    // the worker prints nothing else on stdout
                }
                assertThat(line)
                        .as("worker output, see " + log.toAbsolutePath())
                        .startsWith("ANNOTATING");
            });
            worker.destroyForcibly().waitFor();
        } finally {
            worker.destroyForcibly();
        }
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'in_progress' AND "
                        + "lease_owner = 'doomed'"))
                .isPositive();

        Pipeline pipeline =
                SixStages.builder(Map.of()).lease(Duration.ofMillis(400)).build();
        try (PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                        .trigger(InProcessTrigger.builder().threads(2).build())
                        .build();
                StallSweeper sweeper = runner.sweeper()
                        .pendingGrace(Duration.ofMillis(200))
                        .interval(Duration.ofMillis(100))
                        .build()) {
            runner.start();
            sweeper.start();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> awaitAllEnded(batches));
        }
        assertAllCompletedCorrectly(batches);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE "
                        + "(stage_stats->'annotation'->>0)::int >= 2"))
                .as("the batch whose annotation died was rescued as a new attempt")
                .isPositive();
    }

    @Test
    void every_batch_completes_while_all_its_connections_are_terminated_again_and_again() throws Exception {
        int batches = 40;
        Pipeline pipeline = SixStages.builder(Map.of("annotation", ctx -> {
                    Thread.sleep(5);
                    return SixStages.stage("annotation").execute(ctx);
                }))
                .retry(RetryPolicy.exponential(20, Duration.ofMillis(10)))
                .lease(Duration.ofMillis(500))
                .build();
        try (PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                        .trigger(InProcessTrigger.builder().threads(4).build())
                        .build();
                StallSweeper sweeper = runner.sweeper()
                        .pendingGrace(Duration.ofMillis(200))
                        .interval(Duration.ofMillis(100))
                        .build()) {
            runner.start();
            sweeper.start();
            for (long id = 1; id <= batches; id++) {
                runner.client().start(id);
            }
            int terminated = 0;
            for (int round = 0; round < 5; round++) {
                Thread.sleep(60);
                terminated += PG.terminateConnections();
            }
            assertThat(terminated).as("connections killed mid-run").isPositive();
            assertTimeoutPreemptively(Duration.ofSeconds(90), () -> awaitAllEnded(batches));
        }
        assertAllCompletedCorrectly(batches);
    }

    /** Drops every third fire, as a flaky network would, and never chains stages inline. */
    static final class DroppingTrigger implements Trigger {
        private final InProcessTrigger delegate =
                InProcessTrigger.builder().threads(2).build();
        private final AtomicInteger fires = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();

        @Override
        public void bind(StageHandler handler) {
            delegate.bind(handler);
        }

        @Override
        public void fire(long batchId, String stage) {
            if (fires.incrementAndGet() % 3 == 0) {
                dropped.incrementAndGet();
                return;
            }
            delegate.fire(batchId, stage);
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @Test
    void a_trigger_that_drops_every_third_call_still_completes_every_batch_through_the_sweeper() throws Exception {
        int batches = 30;
        DroppingTrigger trigger = new DroppingTrigger();
        try (PipelineRunner runner = PipelineRunner.builder(SixStages.pipeline(), store)
                        .trigger(trigger)
                        .build();
                StallSweeper sweeper = runner.sweeper()
                        .pendingGrace(Duration.ofMillis(100))
                        .interval(Duration.ofMillis(50))
                        .build()) {
            runner.start();
            sweeper.start();
            for (long id = 1; id <= batches; id++) {
                runner.client().start(id);
            }
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> awaitAllEnded(batches));
        }
        assertThat(trigger.dropped).hasPositiveValue();
        assertAllCompletedCorrectly(batches);
    }

    /** Records fires and runs nothing. */
    static final class RecordingTrigger implements Trigger {
        final Map<Long, AtomicInteger> fired = new ConcurrentHashMap<>();

        @Override
        public void fire(long batchId, String stage) {
            fired.computeIfAbsent(batchId, b -> new AtomicInteger()).incrementAndGet();
        }
    }

    @Test
    void two_sweepers_racing_over_two_hundred_stalled_batches_rescue_each_exactly_once() throws Exception {
        int batches = 200;
        Pipeline pipeline = SixStages.builder(Map.of("setup", ctx -> StageResult.done(null)))
                .build();
        for (long id = 1; id <= batches; id++) {
            store.create(id, "setup");
            assertThat(store.claim(id, "setup", "dead-worker", Duration.ofMinutes(5)))
                    .isPresent();
        }
        sql.update("UPDATE batch_processing_queue SET lease_until = now() - interval '1 second'");
        RecordingTrigger a = new RecordingTrigger();
        RecordingTrigger b = new RecordingTrigger();
        PipelineRunner runnerA =
                PipelineRunner.builder(pipeline, store).trigger(a).build();
        PipelineRunner runnerB =
                PipelineRunner.builder(pipeline, store).trigger(b).build();
        StallSweeper sweeperA =
                runnerA.sweeper().pendingGrace(Duration.ofMinutes(1)).build();
        StallSweeper sweeperB =
                runnerB.sweeper().pendingGrace(Duration.ofMinutes(1)).build();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> rescued = List.of(sweeperA, sweeperB).stream()
                    .map(s -> pool.submit(() -> {
                        go.await();
                        int total = 0;
                        int n;
                        while ((n = s.sweepOnce()) > 0
                                || !store.findStalled(Duration.ofMinutes(1), 1).isEmpty()) {
                            total += n;
                        }
                        return total;
                    }))
                    .toList();
            go.countDown();
            assertThat(rescued.get(0).get() + rescued.get(1).get()).isEqualTo(batches);
        } finally {
            pool.shutdownNow();
        }
        for (long id = 1; id <= batches; id++) {
            int fires = a.fired.getOrDefault(id, new AtomicInteger()).get()
                    + b.fired.getOrDefault(id, new AtomicInteger()).get();
            assertThat(fires).as("fires of batch %d", id).isEqualTo(1);
        }
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'pending' AND attempt = 2"))
                .isEqualTo(batches);
    }
}
