package dev.baton.pipeline.http;

import dev.baton.pipeline.http.DeliveryAttempt.Kind;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one trigger as signed POSTs, retrying with resilience4j until it is answered, handed off or
 * out of attempts, and reports the end to the log and the {@link DeliveryListener}. Thread-safe.
 */
final class HttpDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTrigger.class);
    private static final int KEPT_RESPONSE_BYTES = 512;

    private final HttpClient client;
    private final URI baseUrl;
    private final StagePath stagePath;
    private final URI stageBase;
    private final RequestSigner signer;
    private final Clock clock;
    private final Duration handoffTimeout;
    private final int maxAttempts;
    private final Retry retry;
    private final ScheduledExecutorService scheduler;
    private final DeliveryListener listener;
    private final Undelivered undelivered;

    HttpDelivery(
            HttpClient client,
            URI baseUrl,
            StagePath stagePath,
            RequestSigner signer,
            Clock clock,
            Duration handoffTimeout,
            int maxAttempts,
            IntervalFunction backoff,
            Duration maxBackoff,
            ScheduledExecutorService scheduler,
            DeliveryListener listener,
            Undelivered undelivered) {
        this.client = client;
        this.baseUrl = baseUrl;
        this.stagePath = stagePath;
        this.stageBase = URI.create(baseUrl.toString() + stagePath.value());
        this.undelivered = undelivered;
        this.signer = signer;
        this.clock = clock;
        this.handoffTimeout = handoffTimeout;
        this.maxAttempts = maxAttempts;
        this.scheduler = scheduler;
        this.listener = listener;
        long cap = maxBackoff.toMillis();
        this.retry = Retry.of(
                "baton-http-trigger",
                RetryConfig.<DeliveryAttempt>custom()
                        .maxAttempts(maxAttempts)
                        .retryOnResult(DeliveryAttempt::retryable)
                        .retryOnException(e -> false)
                        .intervalBiFunction((attempt, result) -> {
                            long wait = backoff.apply(attempt);
                            long asked = result.isRight() ? result.get().retryAfterMillis() : 0;
                            return Math.min(Math.max(wait, asked), cap);
                        })
                        .build());
    }

    /** @return the URI a stage's requests go to */
    URI uri(String stage) {
        return stageBase.resolve(stage);
    }

    /** @return "batch N stage S", with " shard k" when {@code shard} is one, for logs */
    static String where(long batchId, String stage, int shard) {
        return "batch " + batchId + " stage " + stage + (shard == BatchIdBody.NO_SHARD ? "" : " shard " + shard);
    }

    /**
     * @param shard a shard, or {@link BatchIdBody#NO_SHARD}
     * @return the body of the trigger: {@code {"batchId":N}}, or {@code {"batchId":N,"shard":k}}, signed as sent
     */
    static byte[] body(long batchId, int shard) {
        String text = shard == BatchIdBody.NO_SHARD
                ? "{\"batchId\":" + batchId + "}"
                : "{\"batchId\":" + batchId + ",\"shard\":" + shard + "}";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Sends the trigger, with the batch's trace context as the {@code traceparent} header when it has one;
     * call it off the caller's thread.
     *
     * @param shard the shard to run, or {@link BatchIdBody#NO_SHARD} for the stage
     * @return the last attempt, once the delivery has ended
     */
    CompletionStage<DeliveryAttempt> deliver(long batchId, String stage, int shard, String traceContext) {
        URI uri = uri(stage);
        byte[] body = body(batchId, shard);
        AtomicInteger number = new AtomicInteger();
        return retry.executeCompletionStage(
                scheduler, () -> attempt(uri, body, batchId, stage, shard, traceContext, number.incrementAndGet()));
    }

    private CompletionStage<DeliveryAttempt> attempt(
            URI uri, byte[] body, long batchId, String stage, int shard, String traceContext, int number) {
        SentTrackingPublisher publisher = new SentTrackingPublisher(body);
        AtomicInteger status = new AtomicInteger();
        CompletionStage<DeliveryAttempt> result;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(handoffTimeout)
                    .header("Content-Type", "application/json")
                    .header(RequestSigner.HEADER, signer.sign(body, clock))
                    .POST(publisher);
            if (traceContext != null) {
                request.header(HttpTrigger.TRACE_HEADER, traceContext);
            }
            if ("http".equalsIgnoreCase(uri.getScheme())) {
                request.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance on plain HTTP
            }
            result = client.sendAsync(request.build(), BoundedText.handler(KEPT_RESPONSE_BYTES, status::set))
                    .handle((response, error) ->
                            classify(batchId, stage, shard, number, response, error, publisher, status.get()));
        } catch (RuntimeException e) {
            result = CompletableFuture.completedFuture(new DeliveryAttempt(
                    batchId, stage, shard, number, Kind.BROKEN, 0, 0, "request could not be made: " + e));
        }
        return result.thenApply(a -> {
            if (a.retryable() && number < maxAttempts) {
                LOG.debug("{}: attempt {} of {} failed ({}); retrying", a.where(), number, maxAttempts, a.reason());
                notify(l -> l.retrying(batchId, stage, number, a.reason()));
            }
            return a;
        });
    }

    private static DeliveryAttempt classify(
            long batchId,
            String stage,
            int shard,
            int number,
            HttpResponse<String> response,
            Throwable error,
            SentTrackingPublisher publisher,
            int statusSeen) {
        if (response != null) {
            int status = response.statusCode();
            long retryAfter = response.headers()
                            .firstValue("Retry-After")
                            .map(HttpDelivery::seconds)
                            .orElse(0L)
                    * 1000;
            String body = response.body() == null ? "" : response.body().strip();
            return new DeliveryAttempt(
                    batchId,
                    stage,
                    shard,
                    number,
                    Kind.ANSWERED,
                    status,
                    retryAfter,
                    "HTTP " + status + (body.isEmpty() ? "" : " " + body));
        }
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (statusSeen > 0) {
            // the status line came, the body did not (cut off, or the hand-off timer fired meanwhile)
            return new DeliveryAttempt(
                    batchId,
                    stage,
                    shard,
                    number,
                    Kind.ANSWERED,
                    statusSeen,
                    0,
                    "HTTP " + statusSeen + " (the rest of the answer was lost: " + e + ")");
        }
        if (e instanceof HttpConnectTimeoutException) {
            return new DeliveryAttempt(batchId, stage, shard, number, Kind.UNREACHABLE, 0, 0, "connect timed out");
        }
        if (e instanceof HttpTimeoutException) {
            return publisher.sent()
                    ? new DeliveryAttempt(
                            batchId,
                            stage,
                            shard,
                            number,
                            Kind.HANDED_OFF,
                            0,
                            0,
                            "sent; no answer within the hand-off timeout")
                    : new DeliveryAttempt(
                            batchId,
                            stage,
                            shard,
                            number,
                            Kind.UNREACHABLE,
                            0,
                            0,
                            "timed out before the request was sent");
        }
        if (e instanceof ConnectException) {
            return new DeliveryAttempt(
                    batchId,
                    stage,
                    shard,
                    number,
                    Kind.UNREACHABLE,
                    0,
                    0,
                    "connection refused" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
        if (e instanceof IOException) {
            return new DeliveryAttempt(batchId, stage, shard, number, Kind.UNREACHABLE, 0, 0, e.toString());
        }
        return new DeliveryAttempt(batchId, stage, shard, number, Kind.BROKEN, 0, 0, String.valueOf(e));
    }

    private static long seconds(String value) {
        String v = value.trim();
        if (v.length() > 6 || !Ascii.digits(v)) {
            return 0; // an HTTP date or garbage: use our own backoff
        }
        return Long.parseLong(v);
    }

    /** Logs the end of a delivery and tells the listener. */
    void report(long batchId, String stage, int shard, DeliveryAttempt last, Throwable error) {
        if (error != null || last == null) {
            LOG.error(
                    "{}: delivery failed unexpectedly; left to the stall sweeper", where(batchId, stage, shard), error);
            undelivered.failed(
                    batchId,
                    stage,
                    shard,
                    "the trigger to " + uri(stage) + " failed unexpectedly: " + error + "; see the log");
            notify(l -> l.gaveUp(batchId, stage, 0, String.valueOf(error)));
            return;
        }
        int attempts = last.number();
        switch (last.kind()) {
            case HANDED_OFF -> {
                undelivered.delivered(batchId, stage, shard);
                LOG.debug("{}: handed off after {} attempt(s); the receiver is running it", last.where(), attempts);
                notify(l -> l.handedOff(batchId, stage, attempts));
            }
            case ANSWERED -> {
                if (last.retryable()) {
                    gaveUp(last);
                    return;
                }
                answered(last);
            }
            default -> gaveUp(last);
        }
    }

    private void answered(DeliveryAttempt last) {
        int status = last.status();
        if (status / 100 == 2 || status == 409) {
            undelivered.delivered(last.batchId(), last.stage(), last.shard());
            LOG.debug("{}: {}", last.where(), last.reason());
        } else if (status == 401) {
            LOG.error(
                    "{}: the receiver rejected the signature ({}); make {} the same on both sides and"
                            + " check the clocks (tolerance 300 s); left to the stall sweeper",
                    last.where(),
                    last.reason(),
                    RequestSigner.SECRET_ENV);
            undelivered.failed(
                    last.batchId(),
                    last.stage(),
                    last.shard(),
                    "the receiver at " + uri(last.stage()) + " rejected the trigger's signature (" + last.reason()
                            + "); make " + RequestSigner.SECRET_ENV + " the same on both sides and check the clocks");
        } else {
            LOG.error(
                    "{}: the receiver at {} refused the trigger ({}); check the base URL and the"
                            + " receiver's pipeline; left to the stall sweeper",
                    last.where(),
                    uri(last.stage()),
                    last.reason());
            undelivered.failed(
                    last.batchId(),
                    last.stage(),
                    last.shard(),
                    "the receiver at " + uri(last.stage()) + " refused the trigger (" + last.reason() + "); "
                            + whatToCheck());
        }
        notify(l -> l.answered(last.batchId(), last.stage(), status, last.number()));
    }

    private void gaveUp(DeliveryAttempt last) {
        URI uri = uri(last.stage());
        boolean escalate = undelivered.failed(
                last.batchId(),
                last.stage(),
                last.shard(),
                "the trigger could not be delivered to " + uri + " after " + last.number() + " attempt(s), last: "
                        + last.reason() + "; " + whatToCheck());
        if (escalate) {
            LOG.error(
                    "{}: could not deliver the trigger to {} for {} fires in a row ({} attempt(s) "
                            + "each, last: {});"
                            + " the batch cannot move until it arrives: {}; the stall sweeper keeps firing it",
                    last.where(),
                    uri,
                    undelivered.errorAfter(),
                    last.number(),
                    last.reason(),
                    whatToCheck());
        } else {
            LOG.warn(
                    "{}: could not deliver the trigger to {} after {} attempt(s), last: {}; left to "
                            + "the stall sweeper",
                    last.where(),
                    uri,
                    last.number(),
                    last.reason());
        }
        notify(l -> l.gaveUp(last.batchId(), last.stage(), last.number(), last.reason()));
    }

    private String whatToCheck() {
        return "check the base URL (HttpTrigger.builder().baseUrl or " + BaseUrl.PIPELINE_API_URL + ", now " + baseUrl
                + "), that the server there is up and serves the stage path " + stagePath + ", and that "
                + RequestSigner.SECRET_ENV + " is the same on both sides";
    }

    private void notify(Consumer<DeliveryListener> event) {
        notify(listener, event);
    }

    /** Tells {@code listener} of {@code event}; a listener that throws is logged and ignored. */
    static void notify(DeliveryListener listener, Consumer<DeliveryListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.warn("delivery listener {} threw; ignored", listener.getClass().getName(), e);
        }
    }
}
