package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due batches from the PostgreSQL queue and runs their stages on a bounded pool. Start one
 * per process, in as many processes as you like: claims use {@code FOR UPDATE SKIP LOCKED}, so
 * workers never wait on each other and never claim the same batch.
 *
 * <p>A dispatcher thread claims as many due shards of fanned-out stages and due batches as it has free threads
 * (shards first: they finish batches already under way), oldest {@code run_after} first, then sleeps until a
 * {@code NOTIFY} on the trigger's channel, a thread coming free, or the poll interval. A second thread holds
 * the {@code LISTEN} connection, proves every few seconds that it is alive with a round trip bounded by the
 * store's {@linkplain JdbcStageStore.Builder#networkTimeout network timeout}, and replaces it when it fails;
 * polling covers the gap. A claim that fails, times out or throws is logged and tried again at the next poll;
 * one that takes longer than the poll interval is logged too.
 *
 * <p>{@link Builder#build()} starts nothing; {@link #start()} starts the threads; {@link #close()} stops
 * claiming and waits for running stages (a stage still running after the wait keeps its lease until it
 * expires and the sweeper takes over). A closed worker cannot start again: build a new one.
 *
 * <pre>{@code
 * QueueTrigger trigger = QueueTrigger.builder(dataSource).build();
 * PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
 * QueueWorker worker = QueueWorker.builder(runner, store, trigger).threads(4).build().start();
 * }</pre>
 *
 * Thread-safe.
 */
public final class QueueWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueWorker.class);

    /** Default worker threads. */
    public static final int DEFAULT_THREADS = 4;
    /** Default time between polls when no notification arrives. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** Default wait for running stages on close. */
    public static final Duration DEFAULT_SHUTDOWN_WAIT = Duration.ofSeconds(30);

    private static final long LISTEN_WAIT_MILLIS = 250;
    /** Polls between two round trips that prove the LISTEN connection alive. */
    private static final int POLLS_PER_LISTEN_CHECK = 5;

    private static final long MIN_LISTEN_CHECK_MILLIS = 1_000;
    private static final long MAX_LISTEN_CHECK_MILLIS = 5_000;

    private final PipelineRunner runner;
    private final JdbcStageStore store;
    private final QueueTrigger trigger;
    private final DataSource dataSource;
    private final int threads;
    private final Duration pollInterval;
    private final Duration shutdownWait;
    private final ThreadPoolExecutor pool;
    private final String listen;
    private final String ping = SqlText.PING.text();
    private final Semaphore wake = new Semaphore(0);
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong claimedShards = new AtomicLong();
    private final ShardClaims shardClaims;
    private final ShardRun shardRun;
    private volatile boolean running;
    private boolean closed;
    private Thread dispatcher;
    private Thread listener;

    private QueueWorker(Builder b) {
        this.runner = b.runner;
        this.store = b.store;
        this.trigger = b.trigger;
        this.dataSource = new TimedDataSource(b.store.dataSource(), b.store.networkTimeout());
        this.threads = b.threads;
        this.pollInterval = b.pollInterval;
        this.shutdownWait = b.shutdownWait;
        this.listen = SqlText.LISTEN.render(Map.of("channel", trigger.channel()));
        this.shardClaims = b.shardClaims != null ? b.shardClaims : b.store::claimDueShards;
        this.shardRun = b.shardRun != null ? b.shardRun : b.runner::runClaimedShard;
        AtomicInteger n = new AtomicInteger();
        this.pool =
                new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "baton-queue-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * @param runner runs the claimed stages; its trigger should be {@code trigger}
     * @param store the queue's store
     * @param trigger gives the NOTIFY channel and the global stage caps
     * @return a builder
     */
    public static Builder builder(PipelineRunner runner, JdbcStageStore store, QueueTrigger trigger) {
        return new Builder(runner, store, trigger);
    }

    /**
     * Starts claiming: the dispatcher and {@code LISTEN} threads, and the pool's threads as stages come.
     *
     * @return this
     * @throws IllegalStateException if already started, or closed
     */
    public synchronized QueueWorker start() {
        if (closed) {
            throw new IllegalStateException("this queue worker was closed; build a new one to claim again");
        }
        if (dispatcher != null) {
            throw new IllegalStateException("this queue worker is already started");
        }
        running = true;
        listener = new Thread(this::listen, "baton-queue-listen");
        listener.setDaemon(true);
        listener.start();
        dispatcher = new Thread(this::dispatch, "baton-queue-dispatch");
        dispatcher.setDaemon(true);
        dispatcher.start();
        return this;
    }

    /** @return stage claims this worker has taken (inline continuations and shards not counted) */
    public long claimed() {
        return claimed.get();
    }

    /** @return shard claims this worker has taken */
    public long claimedShards() {
        return claimedShards.get();
    }

    /** @return stages running now */
    public int active() {
        return active.get();
    }

    private void dispatch() {
        long pollMillis = pollInterval.toMillis();
        while (running) {
            int free = threads - active.get();
            int got = 0;
            if (free > 0) {
                long started = System.nanoTime();
                try {
                    List<ShardRecord> shards = shardClaims.claimDue(
                            runner.owner(), runner.pipeline().lease(), free, trigger.stageCaps());
                    got = shards.size();
                    shards.forEach(this::submitShard);
                } catch (Exception | Error e) {
                    stopOnFatal(e);
                    LOG.warn("claiming due shards failed ({}); trying again in {} ms", e.toString(), pollMillis);
                }
                try {
                    if (got < free) {
                        List<BatchRecord> claims = store.claimDue(
                                runner.owner(), runner.pipeline().lease(), free - got, trigger.stageCaps());
                        got += claims.size();
                        claims.forEach(this::submit);
                    }
                } catch (Exception | Error e) {
                    stopOnFatal(e);
                    LOG.warn("claiming due batches failed ({}); trying again in {} ms", e.toString(), pollMillis);
                }
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                if (tookMillis > pollMillis) {
                    LOG.warn(
                            "claiming due batches took {} ms, longer than the poll interval of {} ms (a slow or "
                                    + "unreachable"
                                    + " database; each round trip waits at most the store's network timeout of {} ms)",
                            tookMillis,
                            pollMillis,
                            store.networkTimeout().toMillis());
                }
            }
            if (got > 0 && got == free) {
                continue;
            }
            try {
                wake.tryAcquire(pollMillis, TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void stopOnFatal(Throwable e) {
        if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
            LOG.error("the queue dispatcher stops claiming: {}; restart the process", fatal.toString());
            throw fatal;
        }
    }

    private void submitShard(ShardRecord claim) {
        active.incrementAndGet();
        claimedShards.incrementAndGet();
        pool.execute(() -> {
            try {
                shardRun.run(claim);
            } catch (RuntimeException e) {
                LOG.error(
                        "batch {} stage {} shard {}: shard invocation threw; the sweeper will recover the shard",
                        claim.batchId(),
                        claim.stage(),
                        claim.shard(),
                        e);
            } finally {
                active.decrementAndGet();
                wake.release();
            }
        });
    }

    private void submit(BatchRecord claim) {
        active.incrementAndGet();
        claimed.incrementAndGet();
        pool.execute(() -> {
            try {
                runner.runClaimed(claim);
            } catch (RuntimeException e) {
                LOG.error(
                        "batch {} stage {}: invocation threw; the sweeper will recover the batch",
                        claim.batchId(),
                        claim.stage(),
                        e);
            } finally {
                active.decrementAndGet();
                wake.release();
            }
        });
    }

    private void listen() {
        long backoff = 100;
        while (running) {
            try (Connection c = dataSource.getConnection();
                    Statement s = c.createStatement()) {
                s.execute(listen);
                backoff = 100;
                wake.release(); // catch up on anything notified while we were not listening
                PGConnection pg = c.unwrap(PGConnection.class);
                // short waits: the connection is only ever used (and closed) by this thread, which sees close() soon
                int waitMillis = (int) Math.min(pollInterval.toMillis(), LISTEN_WAIT_MILLIS);
                long checkNanos = TimeUnit.MILLISECONDS.toNanos(listenCheckMillis());
                long lastCheck = System.nanoTime();
                while (running) {
                    PGNotification[] received = pg.getNotifications(waitMillis);
                    if (received != null && received.length > 0) {
                        wake.release();
                    }
                    if (System.nanoTime() - lastCheck >= checkNanos) {
                        // waiting for notifications never notices a connection the network dropped: a round trip
                        // does, within the network timeout, and its failure replaces the connection
                        s.execute(ping);
                        lastCheck = System.nanoTime();
                    }
                }
            } catch (Exception | Error e) {
                if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
                    LOG.error("the LISTEN thread stops: {}; polling goes on, restart the process", fatal.toString());
                    throw fatal;
                }
                if (!running) {
                    return;
                }
                LOG.warn(
                        "LISTEN connection lost ({}); reconnecting in {} ms, polling meanwhile", e.toString(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    /** @return the time between two round trips on the LISTEN connection: a few poll intervals, 1 to 5 s */
    private long listenCheckMillis() {
        return Math.max(
                MIN_LISTEN_CHECK_MILLIS,
                Math.min(MAX_LISTEN_CHECK_MILLIS, pollInterval.toMillis() * POLLS_PER_LISTEN_CHECK));
    }

    /**
     * Stops claiming, waits up to the shutdown wait for running stages, and closes the LISTEN connection.
     * Idempotent; closing a worker that never started only stops it from starting.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (!running) {
                pool.shutdown();
                return;
            }
            running = false;
        }
        wake.release();
        listener.interrupt(); // only ends a reconnect backoff; a waiting getNotifications returns within
        // LISTEN_WAIT_MILLIS
        try {
            // the dispatcher first: a claim it is making now still reaches the pool, which is not shut down yet
            dispatcher.join(shutdownWait.toMillis());
            pool.shutdown();
            if (!pool.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "{} stages still running after {}; their leases will expire and the sweeper will rescue them",
                        active.get(),
                        shutdownWait);
                pool.shutdownNow();
            }
            listener.join(LISTEN_WAIT_MILLIS * 4);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }

    /** Claims due shards for a worker, in bulk, under the trigger's caps ({@link DueClaims#claimShards}). */
    @FunctionalInterface
    interface ShardClaims {
        /**
         * @param owner the claiming runner's owner
         * @param lease each claim's lease
         * @param limit at most this many, at least 1
         * @param stageCaps the trigger's global caps per stage
         * @return the shards claimed, {@code in_progress} under {@code owner}
         */
        List<ShardRecord> claimDue(String owner, Duration lease, int limit, Map<String, Integer> stageCaps);
    }

    /** Runs a shard the worker claimed: {@link PipelineRunner#runClaimedShard}, unless a test says otherwise. */
    @FunctionalInterface
    interface ShardRun {
        /** @return what the shard invocation did */
        StageOutcome run(ShardRecord claim);
    }

    /** Builds a {@link QueueWorker}; setters validate. Not thread-safe. */
    public static final class Builder {
        private final PipelineRunner runner;
        private final JdbcStageStore store;
        private final QueueTrigger trigger;
        private ShardClaims shardClaims;
        private ShardRun shardRun;
        private int threads = DEFAULT_THREADS;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration shutdownWait = DEFAULT_SHUTDOWN_WAIT;

        private Builder(PipelineRunner runner, JdbcStageStore store, QueueTrigger trigger) {
            this.runner = Objects.requireNonNull(runner, "runner");
            this.store = Objects.requireNonNull(store, "store");
            this.trigger = Objects.requireNonNull(trigger, "trigger");
        }

        /**
         * @param threads stages run at once by this worker, 1 to 256
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * @param pollInterval how often to look for due batches without a notification, 10 ms to 10 min
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval.toMillis() < 10 || pollInterval.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("pollInterval must be between 10ms and 10min, got " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * @param shutdownWait how long {@link QueueWorker#close()} waits for running stages; not negative
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder shutdownWait(Duration shutdownWait) {
            if (shutdownWait.isNegative()) {
                throw new IllegalArgumentException("shutdownWait must not be negative, got " + shutdownWait);
            }
            this.shutdownWait = shutdownWait;
            return this;
        }

        /**
         * @param claims claims due shards; default the store's {@code claimDueShards}
         * @param run runs a claimed shard; default the runner's {@link PipelineRunner#runClaimedShard}
         * @return this
         */
        Builder shards(ShardClaims claims, ShardRun run) {
            this.shardClaims = Objects.requireNonNull(claims, "claims");
            this.shardRun = Objects.requireNonNull(run, "run");
            return this;
        }

        /** @return the worker, not yet started */
        public QueueWorker build() {
            return new QueueWorker(this);
        }
    }
}
