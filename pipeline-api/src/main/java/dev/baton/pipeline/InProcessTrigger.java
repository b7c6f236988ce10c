package dev.baton.pipeline;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs triggered stages on a bounded pool of threads in this JVM. When the queue is full, a fire is
 * dropped with a warning and the {@link StallSweeper} picks the batch up later: the caller is never
 * blocked. {@link #close()} stops taking work and waits for running invocations to finish, so no
 * stage is cut half-way. A start by the runner's client while a thread is idle is created with its first
 * stage claimed, and that thread runs the claim ({@link #reserveClaimedStart}). Thread-safe.
 */
public final class InProcessTrigger implements Trigger {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessTrigger.class);

    /** Default number of triggers that may wait for a thread. */
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
    /** Default wait of {@link #close()} for running invocations. */
    public static final Duration DEFAULT_SHUTDOWN_WAIT = Duration.ofSeconds(60);

    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor timer;
    private final Duration shutdownWait;
    private final int threads;
    /** Tasks handed to the pool and not finished, plus threads held for claimed starts: below threads, one is idle. */
    private final AtomicInteger busy = new AtomicInteger();

    private volatile StageHandler handler;
    private volatile boolean started;

    private InProcessTrigger(Builder b) {
        AtomicInteger n = new AtomicInteger();
        // thread pools make their threads on demand: nothing runs before start()
        this.pool = new ThreadPoolExecutor(
                b.threads, b.threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(b.queueCapacity), r -> {
                    Thread t = new Thread(r, "baton-stage-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "baton-retry-timer");
            t.setDaemon(true);
            return t;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.shutdownWait = b.shutdownWait;
        this.threads = b.threads;
    }

    /** @return a builder: one thread, a queue of {@value #DEFAULT_QUEUE_CAPACITY}, a 60 s shutdown wait */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts the worker threads; called by {@link PipelineRunner#start()}. */
    @Override
    public void start() {
        if (pool.isShutdown()) {
            throw new IllegalStateException("this InProcessTrigger was closed; build a new one");
        }
        pool.prestartAllCoreThreads();
        started = true;
    }

    @Override
    public void bind(StageHandler handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** @return {@code true}: a pool thread that finished a stage runs the next one itself */
    @Override
    public boolean continuesInline(String nextStage) {
        return true;
    }

    @Override
    public void fire(long batchId, String stage) {
        StageHandler h = boundAndStarted();
        try {
            submit(() -> {
                try {
                    h.runStage(batchId, stage);
                } catch (RuntimeException e) {
                    LOG.error(
                            "batch {} stage {}: invocation threw; the sweeper will recover the batch",
                            batchId,
                            stage,
                            e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("batch {} stage {}: in-process queue full or closed; left to the sweeper", batchId, stage);
        }
    }

    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            fire(batchId, stage);
            return;
        }
        try {
            timer.schedule(() -> fire(batchId, stage), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.warn("batch {} stage {}: trigger closed; the retry is left to the sweeper", batchId, stage);
        }
    }

    /**
     * Runs {@link StageHandler#runShard} for the shard on a pool thread, after {@code delay} (on the retry timer)
     * when it is positive. A full queue drops the shard trigger with a warning, as {@link #fire} does: the
     * sweeper finds the pending shard later.
     */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        StageHandler h = boundAndStarted();
        if (delay.isZero() || delay.isNegative()) {
            submitShard(h, batchId, stage, shard);
            return;
        }
        try {
            timer.schedule(() -> submitShard(h, batchId, stage, shard), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.warn(
                    "batch {} stage {} shard {}: trigger closed; the shard's retry is left to the sweeper",
                    batchId,
                    stage,
                    shard);
        }
    }

    private void submitShard(StageHandler h, long batchId, String stage, int shard) {
        try {
            submit(() -> {
                try {
                    h.runShard(batchId, stage, shard);
                } catch (RuntimeException e) {
                    LOG.error(
                            "batch {} stage {} shard {}: shard invocation threw; the sweeper will recover the shard",
                            batchId,
                            stage,
                            shard,
                            e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn(
                    "batch {} stage {} shard {}: in-process queue full or closed; left to the sweeper",
                    batchId,
                    stage,
                    shard);
        }
    }

    /**
     * Holds an idle pool thread for a start whose first stage the runner's client claims in its create, when the
     * trigger is bound to a handler that claims under {@code owner} and runs claims, is started, and a thread is
     * idle (nothing queued, fewer invocations running than threads). The claim handed to {@link ClaimedStart#run}
     * then runs at once, and its lease never ticks in the queue. With every thread busy it holds nothing, and the
     * start is created pending and fired as usual.
     */
    @Override
    public Optional<ClaimedStart> reserveClaimedStart(long batchId, String stage, String owner) {
        StageHandler h = handler;
        if (h == null || !started || pool.isShutdown() || owner == null || !owner.equals(h.owner())) {
            return Optional.empty();
        }
        int n;
        do {
            n = busy.get();
            if (n >= threads) {
                return Optional.empty();
            }
        } while (!busy.compareAndSet(n, n + 1));
        return Optional.of(new HeldThread(h, batchId, stage));
    }

    /** A pool thread held for one claimed start: {@link #busy} counts it until its claim has run or is given back. */
    private final class HeldThread implements ClaimedStart {
        private final StageHandler handler;
        private final long batchId;
        private final String stage;
        private final AtomicBoolean done = new AtomicBoolean();

        HeldThread(StageHandler handler, long batchId, String stage) {
            this.handler = handler;
            this.batchId = batchId;
            this.stage = stage;
        }

        @Override
        public void run(BatchRecord claim) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            Runnable task = () -> {
                try {
                    handler.runClaimed(claim);
                } catch (RuntimeException e) {
                    LOG.error(
                            "batch {} stage {}: claimed invocation threw; the sweeper will recover the batch",
                            claim.batchId(),
                            claim.stage(),
                            e);
                } finally {
                    busy.decrementAndGet();
                }
            };
            try {
                pool.execute(task);
            } catch (RejectedExecutionException e) {
                busy.decrementAndGet();
                LOG.warn(
                        "batch {} stage {}: trigger closed before its claimed first stage ran; the lease expires at {}"
                                + " and the sweeper rescues the batch",
                        claim.batchId(),
                        claim.stage(),
                        claim.leaseUntil());
            }
        }

        @Override
        public void release() {
            if (done.compareAndSet(false, true)) {
                busy.decrementAndGet();
            }
        }

        @Override
        public String toString() {
            return "thread held for batch " + batchId + " stage " + stage;
        }
    }

    /** Runs {@code task} on the pool, counted in {@link #busy} until it ends. */
    private void submit(Runnable task) {
        busy.incrementAndGet();
        try {
            pool.execute(() -> {
                try {
                    task.run();
                } finally {
                    busy.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            busy.decrementAndGet();
            throw e;
        }
    }

    private StageHandler boundAndStarted() {
        StageHandler h = handler;
        if (h == null) {
            throw new IllegalStateException(
                    "InProcessTrigger is not bound: pass it to PipelineRunner.builder(...).trigger(...)");
        }
        if (!started) {
            throw new IllegalStateException(
                    "InProcessTrigger is not started: call start() on the runner it was given to");
        }
        return h;
    }

    /**
     * Stops taking work, drops queued triggers (the sweeper recovers them) and waits for running ones.
     * Idempotent.
     */
    @Override
    public void close() {
        if (pool.isShutdown()) {
            return;
        }
        timer.shutdownNow();
        pool.shutdown();
        pool.getQueue().clear();
        try {
            if (!pool.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "stage invocations still running after {}; their leases will expire and the sweeper will "
                                + "rescue them",
                        shutdownWait);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }

    /** Builds an {@link InProcessTrigger}; building starts nothing. Not thread-safe. */
    public static final class Builder {
        private int threads = 1;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private Duration shutdownWait = DEFAULT_SHUTDOWN_WAIT;

        private Builder() {}

        /**
         * @param threads worker threads, 1 to 1024
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * @param queueCapacity triggers that may wait for a thread, at least 1; a fire beyond it is left to
         *     the sweeper
         * @return this
         * @throws IllegalArgumentException if below 1
         */
        public Builder queueCapacity(int queueCapacity) {
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
            }
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * @param shutdownWait how long {@link InProcessTrigger#close()} waits for running invocations; zero or more
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder shutdownWait(Duration shutdownWait) {
            Objects.requireNonNull(shutdownWait, "shutdownWait");
            if (shutdownWait.isNegative()) {
                throw new IllegalArgumentException("shutdownWait must not be negative, got " + shutdownWait);
            }
            this.shutdownWait = shutdownWait;
            return this;
        }

        /** @return the trigger, not started */
        public InProcessTrigger build() {
            return new InProcessTrigger(this);
        }
    }
}
