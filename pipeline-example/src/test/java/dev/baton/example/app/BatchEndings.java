package dev.baton.example.app;

import dev.baton.pipeline.PipelineListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Counts batches that completed or failed, and lets a test wait for a number of them. */
final class BatchEndings implements PipelineListener {
    final Set<Long> completed = ConcurrentHashMap.newKeySet();
    final Set<Long> failed = ConcurrentHashMap.newKeySet();
    private final CountDownLatch ended;

    BatchEndings(int expected) {
        this.ended = new CountDownLatch(expected);
    }

    @Override
    public void batchCompleted(long batchId) {
        if (completed.add(batchId)) {
            ended.countDown();
        }
    }

    @Override
    public void batchFailed(long batchId, String stage, String error) {
        if (failed.add(batchId)) {
            ended.countDown();
        }
    }

    void await() throws InterruptedException {
        while (!ended.await(100, TimeUnit.MILLISECONDS)) {
            // polled inside the test's preemptive timeout
        }
    }
}
