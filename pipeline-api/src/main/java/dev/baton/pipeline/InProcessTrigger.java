package dev.baton.pipeline;

import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs triggered stages on a bounded pool of threads in this JVM. When the queue is full, a fire is
 * dropped with a warning and the {@link StallSweeper} picks the batch up later: the caller is never
 * blocked. {@link #close()} stops taking work and waits for running invocations to finish, so no
 * stage is cut half-way. Thread-safe.
 */
public final class InProcessTrigger implements Trigger {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessTrigger.class);

    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor timer;
    private final Duration shutdownWait;
    private volatile StageHandler handler;

    /**
     * @param threads worker threads, at least 1
     * @param queueCapacity triggers waiting for a thread, at least 1
     * @param shutdownWait how long {@link #close()} waits for running invocations
     * @throws IllegalArgumentException on a value out of range
     */
    public InProcessTrigger(int threads, int queueCapacity, Duration shutdownWait) {
        if (threads < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("threads and queueCapacity must be at least 1, got " + threads + " and " + queueCapacity);
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
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
        this.shutdownWait = Objects.requireNonNull(shutdownWait, "shutdownWait");
    }

    /**
     * @param threads worker threads, at least 1
     * @return a trigger with a queue of 10,000 and a 60 s shutdown wait
     */
    public static InProcessTrigger withThreads(int threads) {
        return new InProcessTrigger(threads, 10_000, Duration.ofSeconds(60));
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
        StageHandler h = handler;
        if (h == null) {
            throw new IllegalStateException("InProcessTrigger is not bound: pass it to PipelineRunner.builder(...).trigger(...)");
        }
        try {
            pool.execute(() -> {
                try {
                    h.runStage(batchId, stage);
                } catch (RuntimeException e) {
                    LOG.error("batch {} stage {}: invocation threw; the sweeper will recover the batch", batchId, stage, e);
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

    /** Stops taking work, drops queued triggers (the sweeper recovers them) and waits for running ones. */
    @Override
    public void close() {
        timer.shutdownNow();
        pool.shutdown();
        pool.getQueue().clear();
        try {
            if (!pool.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("stage invocations still running after {}; their leases will expire and the sweeper will rescue them", shutdownWait);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }
}
