package dev.baton.example.demo;

import dev.baton.pipeline.PipelineListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what the demo shows: stages finished, batches ended, and per stage the duration of
 * every invocation, the attempts started and the retries scheduled. Thread-safe.
 */
public final class DemoRecorder implements PipelineListener {
    private final Map<String, List<Long>> invocationMillis = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> started = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> retries = new ConcurrentHashMap<>();
    private final Map<Long, String> failures = new ConcurrentHashMap<>();
    private final AtomicInteger stagesDone = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();

    @Override
    public void stageStarted(long batchId, String stage, int attempt) {
        started.computeIfAbsent(stage, s -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void stageSucceeded(long batchId, String stage, int attempt, Duration duration) {
        record(stage, duration);
        stagesDone.incrementAndGet();
    }

    @Override
    public void stageProgressed(long batchId, String stage, int attempt, Duration duration) {
        record(stage, duration);
    }

    @Override
    public void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {
        retries.computeIfAbsent(stage, s -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void batchCompleted(long batchId) {
        completed.incrementAndGet();
    }

    @Override
    public void batchFailed(long batchId, String stage, String error) {
        failures.putIfAbsent(batchId, stage + ": " + error);
    }

    private void record(String stage, Duration d) {
        List<Long> list = invocationMillis.computeIfAbsent(stage, s -> new ArrayList<>());
        synchronized (list) {
            list.add(d.toMillis());
        }
    }

    /** @return stages that succeeded, over every batch */
    public int stagesDone() {
        return stagesDone.get();
    }

    /** @return batches completed */
    public int completed() {
        return completed.get();
    }

    /** @return batches failed, with the stage and error of each */
    public Map<Long, String> failures() {
        return Map.copyOf(failures);
    }

    /**
     * @param stage a stage
     * @return the durations of its invocations, in milliseconds, sorted
     */
    public List<Long> invocationMillis(String stage) {
        List<Long> list = invocationMillis.getOrDefault(stage, List.of());
        List<Long> copy;
        synchronized (list) {
            copy = new ArrayList<>(list);
        }
        copy.sort(null);
        return copy;
    }

    /**
     * @param stage a stage
     * @return invocations that started (tries, retries and slices)
     */
    public int invocations(String stage) {
        AtomicInteger n = started.get(stage);
        return n == null ? 0 : n.get();
    }

    /**
     * @param stage a stage
     * @return retries scheduled after a failure
     */
    public int retries(String stage) {
        AtomicInteger n = retries.get(stage);
        return n == null ? 0 : n.get();
    }
}
