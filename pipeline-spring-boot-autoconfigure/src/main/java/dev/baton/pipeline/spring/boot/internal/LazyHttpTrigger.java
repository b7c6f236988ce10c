package dev.baton.pipeline.spring.boot.internal;

import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An {@link HttpTrigger} built when it is first needed (at the runner's start, which follows the web server's,
 * or at a first fire), so that a base URL taken from the running server names its actual port, a random test
 * port included. Thread-safe.
 */
public final class LazyHttpTrigger implements Trigger {
    private final Supplier<HttpTrigger> factory;
    private StageHandler handler;
    private HttpTrigger delegate;
    private boolean closed;

    /** @param factory builds the trigger; called once */
    public LazyHttpTrigger(Supplier<HttpTrigger> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /** @return the trigger, built now if it was not yet */
    public synchronized HttpTrigger delegate() {
        if (closed) {
            throw new IllegalStateException("the HTTP trigger was closed with the application context");
        }
        if (delegate == null) {
            delegate = factory.get();
            if (handler != null) {
                delegate.bind(handler);
            }
        }
        return delegate;
    }

    @Override
    public synchronized void bind(StageHandler handler) {
        this.handler = handler;
        if (delegate != null) {
            delegate.bind(handler);
        }
    }

    @Override
    public void start() {
        delegate().start();
    }

    @Override
    public void fire(long batchId, String stage) {
        delegate().fire(batchId, stage);
    }

    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        delegate().fireAfter(batchId, stage, delay);
    }

    @Override
    public void fire(long batchId, String stage, String traceContext) {
        delegate().fire(batchId, stage, traceContext);
    }

    @Override
    public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
        delegate().fireAfter(batchId, stage, delay, traceContext);
    }

    /** Sends the shard through the HTTP trigger ({@link HttpTrigger#fireShard}). */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        delegate().fireShard(batchId, stage, shard, delay, traceContext);
    }

    @Override
    public boolean continuesInline(String nextStage) {
        return false;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (delegate != null) {
            delegate.close();
        }
    }
}
