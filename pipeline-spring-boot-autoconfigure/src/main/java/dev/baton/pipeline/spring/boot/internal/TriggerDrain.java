package dev.baton.pipeline.spring.boot.internal;

import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.Objects;

/**
 * Stops the runner from running a batch's next stage on the thread that finished the one before once shutdown has
 * begun: the in-process and queue triggers continue inline, so without this a stage that finishes while the
 * application stops would run the rest of its batch before the process may exit. After {@link #drain()} the next
 * stage is committed as pending and fired, and a trigger that is closing leaves it to the sweeper (here after a
 * restart, or in another process). Thread-safe.
 */
public final class TriggerDrain {
    private volatile boolean draining;

    /**
     * @param trigger the trigger to wrap
     * @return a trigger that behaves like {@code trigger} but never continues inline once draining
     */
    public Trigger wrap(Trigger trigger) {
        Objects.requireNonNull(trigger, "trigger");
        return new Trigger() {
            @Override
            public void bind(StageHandler handler) {
                trigger.bind(handler);
            }

            @Override
            public void start() {
                trigger.start();
            }

            @Override
            public void fire(long batchId, String stage) {
                trigger.fire(batchId, stage);
            }

            @Override
            public void fireAfter(long batchId, String stage, Duration delay) {
                trigger.fireAfter(batchId, stage, delay);
            }

            @Override
            public void fire(long batchId, String stage, String traceContext) {
                trigger.fire(batchId, stage, traceContext);
            }

            @Override
            public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
                trigger.fireAfter(batchId, stage, delay, traceContext);
            }

            @Override
            public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
                trigger.fireShard(batchId, stage, shard, delay, traceContext);
            }

            @Override
            public boolean continuesInline(String nextStage) {
                return !draining && trigger.continuesInline(nextStage);
            }

            @Override
            public void close() {
                draining = true;
                trigger.close();
            }
        };
    }

    /** From now on no stage continues inline. */
    public void drain() {
        draining = true;
    }

    /** @return whether {@link #drain()} was called */
    public boolean isDraining() {
        return draining;
    }
}
