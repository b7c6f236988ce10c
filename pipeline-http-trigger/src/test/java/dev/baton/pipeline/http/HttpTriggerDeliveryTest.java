package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.http.RecordingListener.Event;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How {@link HttpTrigger} delivers, retries, gives up, hands off and sheds load, against scripted receivers. */
class HttpTriggerDeliveryTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    final RecordingListener listener = new RecordingListener();
    TinyServer server;
    HttpTrigger trigger;

    @AfterEach
    void close() {
        if (trigger != null) {
            trigger.close();
        }
        if (server != null) {
            server.close();
        }
    }

    HttpTrigger.Builder trigger(URI base) {
        return HttpTrigger.builder()
                .baseUrl(base.toString())
                .secret(SignatureTest.SECRET)
                .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(200))
                .shutdownWait(Duration.ZERO)
                .listener(listener);
    }

    static HttpTrigger started(HttpTrigger.Builder builder) {
        HttpTrigger built = builder.build();
        built.start();
        return built;
    }

    @Test
    void postsASignedBatchIdToTheStagePath() throws Exception {
        server = TinyServer.start(0, (n, r) -> 200);
        trigger = started(trigger(server.baseUrl()));

        trigger.fire(42, "annotation");

        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 42, "annotation", 200, "attempts=1"));
        TinyServer.Received r = server.received.get(0);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/api/batch-processing/annotation");
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(r.body()).isEqualTo("{\"batchId\":42}");
        assertThat(r.signature()).isEqualTo(SignatureVerifier.Result.VALID);
    }

    @Test
    void retries503UntilTheReceiverAccepts() throws Exception {
        server = TinyServer.start(0, (n, r) -> n <= 2 ? 503 : 200);
        trigger = started(trigger(server.baseUrl()));

        trigger.fire(1, "setup");

        assertThat(listener.next(WAIT)).extracting(Event::kind, Event::number).containsExactly("retrying", 1);
        assertThat(listener.next(WAIT)).extracting(Event::kind, Event::number).containsExactly("retrying", 2);
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 1, "setup", 200, "attempts=3"));
        assertThat(server.requests).hasValue(3);
        assertThat(server.received).allMatch(r -> r.signature() == SignatureVerifier.Result.VALID);
    }

    @Test
    void retriesWhileTheReceiverIsDownAndDeliversOnceItIsUp() throws Exception {
        int port = TinyServer.freePort();
        trigger = started(trigger(URI.create("http://127.0.0.1:" + port)).maxAttempts(20));

        trigger.fire(7, "setup");

        Event refused = listener.next(WAIT);
        assertThat(refused.kind()).isEqualTo("retrying");
        assertThat(refused.reason()).contains("refused");
        server = TinyServer.start(port, (n, r) -> 200);
        Event last = listener.nextFinal(WAIT);
        assertThat(last.kind()).isEqualTo("answered");
        assertThat(last.number()).isEqualTo(200);
        assertThat(server.requests).hasValue(1);
    }

    @Test
    void givesUpAfterTheLastAttemptLogsItAndLeavesItToTheSweeper() throws Exception {
        server = TinyServer.start(0, (n, r) -> 500);
        trigger = started(trigger(server.baseUrl()).maxAttempts(4));

        Event last;
        try (CapturedStderr log = new CapturedStderr()) {
            trigger.fire(13, "metadata");
            last = listener.nextFinal(WAIT);
            assertThat(log.text())
                    .contains("batch 13 stage metadata: could not deliver the trigger")
                    .contains("after 4 attempt(s)")
                    .contains("HTTP 500")
                    .contains("left to the stall sweeper");
        }

        assertThat(last.kind()).isEqualTo("gaveUp");
        assertThat(last.number()).isEqualTo(4);
        assertThat(last.reason()).startsWith("HTTP 500");
        assertThat(server.requests).hasValue(4);
        assertThat(listener.events).isEmpty();
        assertThat(trigger.awaitIdle(WAIT)).isTrue();
    }

    @Test
    void doesNotRetryAnAnswerThatAnotherTryCannotFix() throws Exception {
        server = TinyServer.start(0, (n, r) -> n == 1 ? 401 : 409);
        trigger = started(trigger(server.baseUrl()));

        trigger.fire(2, "setup");
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 2, "setup", 401, "attempts=1"));
        trigger.fire(2, "setup");
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 2, "setup", 409, "attempts=1"));

        assertThat(server.requests).hasValue(2);
    }

    @Test
    void aBurstBeyondTheInFlightLimitIsDroppedOnTheCallersThreadWithoutWaiting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server = TinyServer.start(0, (n, r) -> {
            release.await();
            return 200;
        });
        trigger = started(trigger(server.baseUrl()).maxInFlight(256).handoffTimeout(Duration.ofSeconds(60)));

        assertTimeoutPreemptively(WAIT, () -> {
            for (int i = 1; i <= 10_000; i++) {
                trigger.fire(i, "setup");
            }
        });

        assertThat(trigger.inFlight()).isEqualTo(256);
        assertThat(listener.events)
                .hasSize(10_000 - 256)
                .allMatch(e -> e.kind().equals("dropped")
                        && e.reason().equals("256 deliveries already in flight")
                        && e.batchId() > 256);
        listener.events.clear();
        release.countDown();
        for (int i = 0; i < 256; i++) {
            assertThat(listener.next(WAIT).kind()).isEqualTo("answered");
        }
        assertThat(trigger.awaitIdle(WAIT)).isTrue();
        assertThat(server.requests).hasValue(256);
    }

    @Test
    void aReceiverStillRunningTheStageAfterTheHandoffTimeoutFreesTheSlot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server = TinyServer.start(0, (n, r) -> {
            if (r.body().equals("{\"batchId\":1}")) {
                release.await();
            }
            return 200;
        });
        trigger = started(trigger(server.baseUrl()).maxInFlight(1).handoffTimeout(Duration.ofSeconds(2)));

        trigger.fire(1, "setup");
        assertThat(listener.next(WAIT)).isEqualTo(new Event("handedOff", 1, "setup", 1, ""));
        assertThat(trigger.awaitIdle(WAIT))
                .as("the slot is free while the stage still runs")
                .isTrue();

        trigger.fire(2, "setup");
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 2, "setup", 200, "attempts=1"));
        assertThat(release.getCount()).as("the first stage is still running").isEqualTo(1);
        release.countDown();
        assertThat(server.requests).hasValue(2);
    }

    @Test
    void fireAfterWaitsOnTheTriggersThreadAndIsBounded() throws Exception {
        server = TinyServer.start(0, (n, r) -> 200);
        trigger = started(trigger(server.baseUrl()).maxDelayed(1));

        trigger.fireAfter(3, "validation", Duration.ofSeconds(1));
        trigger.fireAfter(4, "validation", Duration.ofMinutes(10));

        assertThat(listener.next(WAIT))
                .isEqualTo(new Event("dropped", 4, "validation", 0, "1 delayed triggers already waiting"));
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 3, "validation", 200, "attempts=1"));
        trigger.fireAfter(5, "validation", Duration.ZERO);
        assertThat(listener.next(WAIT)).isEqualTo(new Event("answered", 5, "validation", 200, "attempts=1"));
    }

    @Test
    void aClosedTriggerDropsAndAnInvalidStageNameIsRefused() throws Exception {
        server = TinyServer.start(0, (n, r) -> 200);
        trigger = started(trigger(server.baseUrl()));

        assertThatThrownBy(() -> trigger.fire(1, "../admin")).isInstanceOf(IllegalArgumentException.class);
        trigger.close();
        trigger.fire(1, "setup");
        trigger.fireAfter(1, "setup", Duration.ofSeconds(1));

        assertThat(listener.next(WAIT)).isEqualTo(new Event("dropped", 1, "setup", 0, "the trigger is closed"));
        assertThat(listener.next(WAIT)).isEqualTo(new Event("dropped", 1, "setup", 0, "the trigger is closed"));
        assertThat(server.requests).hasValue(0);
    }

    @Test
    void aThrowingListenerDoesNotStopDeliveries() throws IOException, InterruptedException {
        server = TinyServer.start(0, (n, r) -> 200);
        trigger = started(trigger(server.baseUrl()).listener(new DeliveryListener() {
            @Override
            public void answered(long batchId, String stage, int status, int attempts) {
                throw new IllegalStateException("listener bug");
            }
        }));

        trigger.fire(1, "setup");
        trigger.fire(2, "setup");

        assertThat(trigger.awaitIdle(WAIT)).isTrue();
        assertThat(server.requests).hasValue(2);
    }
}
