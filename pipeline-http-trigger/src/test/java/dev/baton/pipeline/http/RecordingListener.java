package dev.baton.pipeline.http;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Queues every delivery event so that a test can wait for the next one. */
final class RecordingListener implements DeliveryListener {

    /** One event; {@code number} is the status for {@code answered}, else attempts or the attempt. */
    record Event(String kind, long batchId, String stage, int number, String reason) {}

    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no delivery event within " + timeout);
        }
        return e;
    }

    /** Skips retry events and returns the first final one. */
    Event nextFinal(Duration timeout) throws InterruptedException {
        Event e;
        do {
            e = next(timeout);
        } while (e.kind().equals("retrying"));
        return e;
    }

    @Override
    public void answered(long batchId, String stage, int status, int attempts) {
        events.add(new Event("answered", batchId, stage, status, "attempts=" + attempts));
    }

    @Override
    public void handedOff(long batchId, String stage, int attempts) {
        events.add(new Event("handedOff", batchId, stage, attempts, ""));
    }

    @Override
    public void retrying(long batchId, String stage, int attempt, String reason) {
        events.add(new Event("retrying", batchId, stage, attempt, reason));
    }

    @Override
    public void gaveUp(long batchId, String stage, int attempts, String reason) {
        events.add(new Event("gaveUp", batchId, stage, attempts, reason));
    }

    @Override
    public void dropped(long batchId, String stage, String reason) {
        events.add(new Event("dropped", batchId, stage, 0, reason));
    }
}
