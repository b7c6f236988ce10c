package dev.baton.pipeline.internal;

import dev.baton.pipeline.PipelineListener;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls every registered listener, isolating the pipeline from their exceptions. */
public final class Listeners implements PipelineListener {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);
    private final List<PipelineListener> listeners;

    public Listeners(List<PipelineListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    private void each(String event, long batchId, Consumer<PipelineListener> call) {
        for (PipelineListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.warn(
                        "batch {}: listener {} threw on {}; ignored",
                        batchId,
                        l.getClass().getName(),
                        event,
                        e);
            }
        }
    }

    @Override
    public void stageStarted(long batchId, String stage, int attempt) {
        each("stageStarted", batchId, l -> l.stageStarted(batchId, stage, attempt));
    }

    @Override
    public void stageSucceeded(long batchId, String stage, int attempt, Duration duration) {
        each("stageSucceeded", batchId, l -> l.stageSucceeded(batchId, stage, attempt, duration));
    }

    @Override
    public void stageProgressed(long batchId, String stage, int attempt, Duration duration) {
        each("stageProgressed", batchId, l -> l.stageProgressed(batchId, stage, attempt, duration));
    }

    @Override
    public void stageFailed(long batchId, String stage, int attempt, String error) {
        each("stageFailed", batchId, l -> l.stageFailed(batchId, stage, attempt, error));
    }

    @Override
    public void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {
        each("stageRetried", batchId, l -> l.stageRetried(batchId, stage, nextAttempt, backoff));
    }

    @Override
    public void batchCompleted(long batchId) {
        each("batchCompleted", batchId, l -> l.batchCompleted(batchId));
    }

    @Override
    public void batchFailed(long batchId, String stage, String error) {
        each("batchFailed", batchId, l -> l.batchFailed(batchId, stage, error));
    }

    @Override
    public void stalledRecovered(long batchId, String stage, int attempt) {
        each("stalledRecovered", batchId, l -> l.stalledRecovered(batchId, stage, attempt));
    }
}
