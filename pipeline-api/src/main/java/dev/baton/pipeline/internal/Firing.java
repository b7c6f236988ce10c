package dev.baton.pipeline.internal;

import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Fires a trigger without letting its failure escape: a fire is a hint, and one that throws is logged
 * while the batch stays due, so the sweeper fires the stage again.
 */
public final class Firing {
    private Firing() {}

    /** {@link Trigger#fire}, a failure logged on {@code log}. */
    public static void fire(Logger log, Trigger trigger, long batchId, String stage) {
        try {
            trigger.fire(batchId, stage);
        } catch (RuntimeException e) {
            failed(log, batchId, stage, e);
        }
    }

    /** {@link Trigger#fireAfter}, a failure logged on {@code log}. */
    public static void fireAfter(Logger log, Trigger trigger, long batchId, String stage, Duration delay) {
        try {
            trigger.fireAfter(batchId, stage, delay);
        } catch (RuntimeException e) {
            failed(log, batchId, stage, e);
        }
    }

    /** {@link Trigger#fire(long, String, String)}, with the batch's trace context; a failure logged on {@code log}. */
    public static void fire(Logger log, Trigger trigger, long batchId, String stage, String traceContext) {
        try {
            trigger.fire(batchId, stage, traceContext);
        } catch (RuntimeException e) {
            failed(log, batchId, stage, e);
        }
    }

    /** {@link Trigger#fireAfter(long, String, Duration, String)}; a failure logged on {@code log}. */
    public static void fireAfter(
            Logger log, Trigger trigger, long batchId, String stage, Duration delay, String traceContext) {
        try {
            trigger.fireAfter(batchId, stage, delay, traceContext);
        } catch (RuntimeException e) {
            failed(log, batchId, stage, e);
        }
    }

    private static void failed(Logger log, long batchId, String stage, RuntimeException e) {
        log.warn(
                "batch {} stage {}: trigger failed ({}); the sweeper will fire it again", batchId, stage, e.toString());
    }
}
