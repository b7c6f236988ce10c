package dev.baton.example.server;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts the requests being served and, once {@link #drain} has begun, answers new ones 503 at
 * once (a stage call refused this way is retried by the HTTP trigger or re-fired by a sweeper)
 * while the running ones finish. The JDK server's own {@code stop(delay)} waits the whole delay
 * on Java 17 even when nothing is running, so the app drains with this filter first and then stops
 * the server without a delay. Thread-safe.
 */
public final class DrainingFilter extends Filter {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private boolean draining;

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        lock.lock();
        try {
            if (draining) {
                exchange.getResponseHeaders().set("Retry-After", "1");
                exchange.getResponseHeaders().set("Connection", "close");
                try (exchange) {
                    Exchanges.sendError(exchange, 503, "shutting down; try again shortly");
                }
                return;
            }
            inFlight++;
        } finally {
            lock.unlock();
        }
        try {
            chain.doFilter(exchange);
        } finally {
            lock.lock();
            try {
                if (--inFlight == 0) {
                    idle.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Refuses new requests from now on and waits for the running ones.
     *
     * @param wait the longest wait
     * @return how many requests were still running when the wait ended (0 when all finished)
     * @throws InterruptedException if interrupted while waiting
     */
    public int drain(Duration wait) throws InterruptedException {
        long left = wait.toNanos();
        lock.lock();
        try {
            draining = true;
            while (inFlight > 0 && left > 0) {
                left = idle.awaitNanos(left);
            }
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** @return requests being served now */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** @return what this filter does, for the JDK server's listing */
    @Override
    public String description() {
        return "refuses new requests while the app drains for shutdown";
    }
}
