package dev.baton.bench.contenders;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code workers} threads that take batch indices 0, 1, 2, … from a shared counter and run each
 * batch to its end before taking the next: the shape of a worker pool whose workers run a whole job.
 */
final class BatchWorkers {
    /** Runs one batch on the calling worker thread. */
    @FunctionalInterface
    interface BatchBody {
        void run(int batchIndex, int worker) throws Exception;
    }

    private BatchWorkers() {}

    /**
     * @param name thread name prefix
     * @param workers threads
     * @param batches batches
     * @param timeout longest the whole run may take
     * @param body runs one batch
     * @throws Exception the first failure of a batch, or a {@link TimeoutException}
     */
    static void run(String name, int workers, int batches, Duration timeout, BatchBody body) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, name + "-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                running.add(pool.submit(() -> {
                    for (int b = next.getAndIncrement(); b < batches; b = next.getAndIncrement()) {
                        body.run(b, worker);
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<?> f : running) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            pool.shutdownNow();
        }
    }
}
