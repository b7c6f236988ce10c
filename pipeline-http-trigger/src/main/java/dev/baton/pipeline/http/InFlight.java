package dev.baton.pipeline.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A counter of deliveries in flight with an upper bound, which threads may wait to see at zero. Thread-safe. */
final class InFlight {
    private final int max;
    private final AtomicInteger count = new AtomicInteger();
    private final Object idle = new Object();

    InFlight(int max) {
        this.max = max;
    }

    /** @return {@code true} if a slot was taken, {@code false} when all {@code max} are taken */
    boolean tryTake() {
        while (true) {
            int n = count.get();
            if (n >= max) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (count.decrementAndGet() == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    int count() {
        return count.get();
    }

    int max() {
        return max;
    }

    /** @return {@code true} once no slot is taken, {@code false} if {@code timeout} passed first */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (count.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return true;
    }
}
