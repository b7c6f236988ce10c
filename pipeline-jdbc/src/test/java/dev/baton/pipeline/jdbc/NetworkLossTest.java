package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The network path to PostgreSQL loses its state while stages run (a NAT or load balancer timing out its
 * flows, a failover): every open connection is dead for good, new ones work once the network is back. The
 * workers reach the database through a {@link FreezingProxy} and a HikariCP pool with the pool's own
 * defaults (no socket timeout, no keepalive): Baton bounds its own waits, so heartbeats, claims, sweeps and
 * commits that met a dead connection fail instead of blocking for ever, and every batch completes within
 * about a lease, a sweep interval and a network timeout of the network coming back.
 */
class NetworkLossTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final int BATCHES = 5;
    static final Duration LEASE = Duration.ofSeconds(2);
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(1);
    static final Duration SWEEP_INTERVAL = Duration.ofMillis(200);
    static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    /**
     * For a busy CI machine and for the pool: it validates each dead idle connection for 5 s and backs off
     * reconnecting.
     */
    static final Duration MARGIN = Duration.ofSeconds(30);

    static final Duration RECOVERY =
            LEASE.plus(SWEEP_INTERVAL).plus(NETWORK_TIMEOUT).plus(MARGIN);
    /** Long enough for the pool to give up on a connection during the outage (HikariCP's connectionTimeout is 30 s). */
    static final Duration OUTAGE_STEP = Duration.ofSeconds(90);

    FreezingProxy proxy;
    HikariDataSource pool;
    JdbcStageStore store;
    Sql sql;
    final CountDownLatch firstAttemptsRunning = new CountDownLatch(BATCHES);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch completed = new CountDownLatch(BATCHES);
    final Set<Long> rescued = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void networkAndPool() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        sql = new Sql(PG.dataSource());
        Matcher server =
                Pattern.compile("jdbc:postgresql://([^:/?]+):([0-9]+)/").matcher(PG.jdbcUrl());
        assertThat(server.find()).as("host and port in %s", PG.jdbcUrl()).isTrue();
        proxy = new FreezingProxy(server.group(1), Integer.parseInt(server.group(2)));
        PGSimpleDataSource throughProxy = new PGSimpleDataSource();
        throughProxy.setURL(server.replaceFirst("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/"));
        HikariConfig config =
                new HikariConfig(); // the pool's defaults: no socket timeout, no keepalive, 30 min lifetime
        config.setDataSource(throughProxy);
        config.setPoolName("through-proxy");
        pool = new HikariDataSource(config);
        store = JdbcStageStore.builder(pool).networkTimeout(NETWORK_TIMEOUT).build();
    }

    @AfterEach
    void close() throws Exception {
        release.countDown();
        proxy.close();
        pool.close();
    }

    Pipeline pipeline() {
        return Pipeline.builder()
                .lease(LEASE)
                .retry(RetryPolicy.exponential(5, Duration.ofMillis(100)))
                .stage("work", ctx -> {
                    if (ctx.attempt() == 1) {
                        firstAttemptsRunning.countDown();
                        assertThat(release.await(5, TimeUnit.MINUTES))
                                .as("released")
                                .isTrue();
                    }
                    return StageResult.done(Map.of("batch", ctx.batchId()));
                })
                .stage("finish", ctx -> StageResult.done(Map.of("finished", ctx.batchId())))
                .build();
    }

    PipelineListener events() {
        return new PipelineListener() {
            @Override
            public void batchCompleted(long batchId) {
                completed.countDown();
            }

            @Override
            public void stalledRecovered(long batchId, String stage, int attempt) {
                rescued.add(batchId);
            }
        };
    }

    @Test
    void queue_workers_complete_every_batch_soon_after_a_network_that_dropped_every_connection_comes_back()
            throws Exception {
        // the trigger's NOTIFY has its own data source; a timed one keeps it from blocking the sweeper's rescues
        QueueTrigger trigger =
                QueueTrigger.builder(pool).networkTimeout(NETWORK_TIMEOUT).build();
        PipelineRunner runner = PipelineRunner.builder(pipeline(), store)
                .trigger(trigger)
                .listener(events())
                .owner("w")
                .build();
        QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                .threads(BATCHES + 2)
                .pollInterval(POLL_INTERVAL)
                .shutdownWait(Duration.ofSeconds(1))
                .build()
                .start();
        StallSweeper sweeper = runner.sweeper()
                .pendingGrace(Duration.ofSeconds(1))
                .interval(SWEEP_INTERVAL)
                .build();
        sweeper.start();
        try {
            for (long id = 1; id <= BATCHES; id++) {
                store.create(id, "work");
            }
            trigger.fire(0, "work");
            outage(() -> worker.active() == 0);
        } finally {
            proxy.close(); // a thread still blocked on a dead connection (the defect) is let go before the closes
            // wait for it
            worker.close();
            sweeper.close();
            runner.close();
        }
        assertEveryBatchCompletedAfterARescue();
    }

    @Test
    void in_process_stages_and_the_sweeper_complete_every_batch_once_a_network_that_dropped_every_connection_is_back()
            throws Exception {
        CountingTrigger trigger = new CountingTrigger(InProcessTrigger.builder()
                .threads(BATCHES + 2)
                .queueCapacity(100)
                .shutdownWait(Duration.ofSeconds(1))
                .build());
        PipelineRunner runner = PipelineRunner.builder(pipeline(), store)
                .trigger(trigger)
                .listener(events())
                .owner("p")
                .build();
        runner.start();
        StallSweeper sweeper = runner.sweeper()
                .pendingGrace(Duration.ofSeconds(1))
                .interval(SWEEP_INTERVAL)
                .build();
        sweeper.start();
        try {
            for (long id = 1; id <= BATCHES; id++) {
                runner.client().start(id);
            }
            outage(() -> trigger.running() == 0);
        } finally {
            proxy.close();
            sweeper.close();
            runner.close();
        }
        assertEveryBatchCompletedAfterARescue();
    }

    /**
     * Freezes the network while every batch's first attempt runs, keeps it frozen until their leases have
     * expired (heartbeats, claims and sweeps meet dead connections meanwhile) and the first attempts, released,
     * have failed to commit, then brings it back and waits for every batch to complete.
     */
    void outage(BooleanSupplier firstAttemptsEnded) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> firstAttemptsRunning.await(), "first attempts started");
        proxy.freeze();
        await(
                "every lease expired while the network was down",
                () -> sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'in_progress' AND "
                                + "lease_until < now()")
                        == BATCHES);
        release.countDown();
        await("the first attempts' commits failed on the dead network", firstAttemptsEnded);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'completed'"))
                .isZero();
        assertThat(proxy.swallowedRequests()).as("requests lost in the outage").isPositive();

        proxy.networkBack();
        long back = System.nanoTime();
        assertTimeoutPreemptively(
                RECOVERY, () -> completed.await(), "every batch completed after the network came back");
        System.out.printf(
                "NetworkLossTest: network back -> %d batches completed in %d ms (bound %d ms)%n",
                BATCHES, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back), RECOVERY.toMillis());
    }

    /** Waits, checking every 50 ms, up to {@link #OUTAGE_STEP} for {@code condition}. */
    static void await(String what, BooleanSupplier condition) {
        assertTimeoutPreemptively(
                OUTAGE_STEP,
                () -> {
                    while (!condition.getAsBoolean()) {
                        TimeUnit.MILLISECONDS.sleep(50);
                    }
                },
                what);
    }

    void assertEveryBatchCompletedAfterARescue() {
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE status = 'completed'"))
                .isEqualTo(BATCHES);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE stage IN ('work', 'finish')"))
                .isEqualTo(2L * BATCHES);
        assertThat(rescued)
                .as("batches the sweeper rescued after their first attempt's commit was lost")
                .hasSize(BATCHES);
    }

    /** Delegates to a trigger and counts the invocations it is running. */
    static final class CountingTrigger implements Trigger {
        private final Trigger delegate;
        private final AtomicInteger running = new AtomicInteger();

        CountingTrigger(Trigger delegate) {
            this.delegate = delegate;
        }

        int running() {
            return running.get();
        }

        @Override
        public void bind(StageHandler handler) {
            delegate.bind((batchId, stage) -> {
                running.incrementAndGet();
                try {
                    return handler.runStage(batchId, stage);
                } finally {
                    running.decrementAndGet();
                }
            });
        }

        @Override
        public void fire(long batchId, String stage) {
            delegate.fire(batchId, stage);
        }

        @Override
        public void fireAfter(long batchId, String stage, Duration delay) {
            delegate.fireAfter(batchId, stage, delay);
        }

        @Override
        public boolean continuesInline(String nextStage) {
            return delegate.continuesInline(nextStage);
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
}
