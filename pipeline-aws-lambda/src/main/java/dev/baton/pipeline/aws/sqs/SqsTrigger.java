package dev.baton.pipeline.aws.sqs;

import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Hands "run stage S of batch B" (or "run shard k of stage S of batch B", {@link #fireShard}) to an SQS queue as a
 * {@link StageMessage} (ids only); a Lambda function with
 * an event source mapping on the queue runs it ({@code LambdaSqsHandler}). {@link #fire} never blocks: the
 * send happens on the trigger's threads, started by {@link #start()}; {@link #awaitIdle} waits until every
 * message fired has been accepted by SQS or given up, which a Lambda handler calls before it answers. A
 * retry's backoff becomes the message's {@code DelaySeconds} (rounded up) when it is at most 900 s, SQS's
 * limit; a longer one is left to the stall sweeper (due + grace). A send that fails after the SDK's own
 * retries is reported to the runner ({@link StageHandler#undelivered}) and left to the sweeper, as is a
 * fire past {@code maxInFlight} sends in flight. A fire with the batch's trace context sends it as the
 * String message attribute {@link #TRACE_ATTRIBUTE}; the receiving runner reads it back from the store anyway.
 * Thread-safe.
 */
public final class SqsTrigger implements Trigger {
    private static final Logger LOG = LoggerFactory.getLogger(SqsTrigger.class);
    /** The longest delay SQS takes on a message: 900 s. */
    public static final Duration MAX_DELAY = Duration.ofSeconds(900);
    /** The message attribute (String) that carries the batch's W3C trace context: {@code traceparent}. */
    public static final String TRACE_ATTRIBUTE = "traceparent";

    private final SqsClient sqs;
    private final String queueUrl;
    private final int threads;
    private final int maxInFlight;
    private final Duration shutdownWait;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object idle = new Object();
    private volatile StageHandler handler;
    private ExecutorService senders;
    private boolean closed;

    private SqsTrigger(Builder b) {
        this.sqs = b.sqs;
        this.queueUrl = b.queueUrl;
        this.threads = b.threads;
        this.maxInFlight = b.maxInFlight;
        this.shutdownWait = b.shutdownWait;
    }

    /**
     * @param sqs the client (its HTTP client and credentials are the caller's; this trigger never closes it)
     * @param queueUrl the queue's URL
     * @return a builder
     */
    public static Builder builder(SqsClient sqs, String queueUrl) {
        return new Builder(sqs, queueUrl);
    }

    @Override
    public void bind(StageHandler handler) {
        this.handler = handler;
    }

    @Override
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("this SQS trigger was closed; build a new one");
        }
        if (senders == null) {
            AtomicInteger n = new AtomicInteger();
            senders = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "baton-sqs-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    @Override
    public void fire(long batchId, String stage) {
        fire(batchId, stage, null);
    }

    /** Sends the message, with the batch's {@code traceparent} as a String message attribute when given. */
    @Override
    public void fire(long batchId, String stage, String traceContext) {
        send(new StageMessage(batchId, stage), 0, traceContext);
    }

    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        fireAfter(batchId, stage, delay, null);
    }

    /** As {@link #fireAfter(long, String, Duration)}, with the {@code traceparent} attribute when given. */
    @Override
    public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
        if (delay.isZero() || delay.isNegative()) {
            fire(batchId, stage, traceContext);
            return;
        }
        if (delay.compareTo(MAX_DELAY) > 0) {
            LOG.info(
                    "batch {} stage {}: a retry in {} s is longer than SQS's 900 s delay; the stall sweeper fires it",
                    batchId,
                    stage,
                    delay.toSeconds());
            return;
        }
        long seconds = (delay.toMillis() + 999) / 1000;
        send(new StageMessage(batchId, stage), (int) seconds, traceContext);
    }

    /**
     * Sends "run shard {@code shard} of {@code stage} of {@code batchId}" ({@link StageMessage#hasShard()}): now, or
     * after {@code delay} as the message's {@code DelaySeconds} (rounded up) when it is at most 900 s; a longer delay
     * is left to the stall sweeper, which finds the overdue pending shard. The {@code traceparent} attribute, the
     * drops and the reports of failed sends are those of {@link #fireAfter(long, String, Duration, String)}.
     *
     * @throws IllegalArgumentException if {@code shard} is negative
     */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        if (shard < 0) {
            throw new IllegalArgumentException(
                    "batch " + batchId + " stage " + stage + ": shard must be >= 0, got " + shard);
        }
        StageMessage message = new StageMessage(batchId, stage, shard);
        if (delay.isZero() || delay.isNegative()) {
            send(message, 0, traceContext);
            return;
        }
        if (delay.compareTo(MAX_DELAY) > 0) {
            LOG.info(
                    "{}: a retry in {} s is longer than SQS's 900 s delay; the stall sweeper fires it",
                    message.describe(),
                    delay.toSeconds());
            return;
        }
        send(message, (int) ((delay.toMillis() + 999) / 1000), traceContext);
    }

    private void send(StageMessage message, int delaySeconds, String traceContext) {
        ExecutorService pool;
        synchronized (this) {
            pool = senders;
        }
        if (pool == null) {
            throw new IllegalStateException("the SQS trigger is not started (or was closed): call runner.start() first;"
                    + " " + message.describe() + " is left to the stall sweeper");
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            release();
            LOG.warn(
                    "{}: {} SQS sends in flight; this one is dropped and left to the stall sweeper",
                    message.describe(),
                    maxInFlight);
            return;
        }
        try {
            pool.execute(() -> deliver(message, delaySeconds, traceContext));
        } catch (RejectedExecutionException e) {
            release();
            LOG.warn("{}: the SQS trigger is closed; left to the stall sweeper", message.describe());
        }
    }

    private void deliver(StageMessage message, int delaySeconds, String traceContext) {
        try {
            SendMessageRequest.Builder request =
                    SendMessageRequest.builder().queueUrl(queueUrl).messageBody(message.body());
            if (delaySeconds > 0) {
                request.delaySeconds(delaySeconds);
            }
            if (traceContext != null) {
                request.messageAttributes(Map.of(
                        TRACE_ATTRIBUTE,
                        MessageAttributeValue.builder()
                                .dataType("String")
                                .stringValue(traceContext)
                                .build()));
            }
            sqs.sendMessage(request.build());
        } catch (SdkException | IllegalStateException e) {
            String error = "sending to SQS queue " + queueUrl + " failed: " + e.getMessage();
            LOG.warn("{}: {}; left to the stall sweeper", message.describe(), error);
            StageHandler h = handler;
            if (h != null) {
                h.undelivered(
                        message.batchId(),
                        message.stage(),
                        message.hasShard() ? "shard " + message.shard() + ": " + error : error);
            }
        } finally {
            release();
        }
    }

    private void release() {
        if (inFlight.decrementAndGet() == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /**
     * Waits until no send is in flight: every message fired so far was accepted by SQS or given up. A Lambda
     * handler calls this before it answers, since the environment is frozen once the answer is written.
     *
     * @param timeout the longest wait
     * @return {@code true} when idle, {@code false} when the timeout passed first
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return true;
    }

    /** @return the queue's URL */
    public String queueUrl() {
        return queueUrl;
    }

    /**
     * Stops taking triggers, waits up to the shutdown wait for the sends in flight and stops the threads;
     * what was not sent is left to the sweeper. Idempotent. The SQS client stays open.
     */
    @Override
    public void close() {
        ExecutorService pool;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pool = senders;
            senders = null;
        }
        if (pool == null) {
            return;
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "{} SQS sends still in flight after {}; left to the stall sweeper",
                        inFlight.get(),
                        shutdownWait);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }

    /** Builds an {@link SqsTrigger}; every setter checks its value. Building starts nothing. Not thread-safe. */
    public static final class Builder {
        private final SqsClient sqs;
        private final String queueUrl;
        private int threads = 2;
        private int maxInFlight = 1_000;
        private Duration shutdownWait = Duration.ofSeconds(5);

        private Builder(SqsClient sqs, String queueUrl) {
            this.sqs = Objects.requireNonNull(sqs, "sqs");
            this.queueUrl = Objects.requireNonNull(queueUrl, "queueUrl");
            if (queueUrl.isBlank()) {
                throw new IllegalArgumentException("queueUrl is blank");
            }
        }

        /**
         * @param threads threads that send, 1 to 64; default 2
         * @return this
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("threads must be 1..64, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * @param maxInFlight sends in flight at once before a fire is dropped (to the sweeper), 1 to 100,000;
         *     default 1,000
         * @return this
         */
        public Builder maxInFlight(int maxInFlight) {
            if (maxInFlight < 1 || maxInFlight > 100_000) {
                throw new IllegalArgumentException("maxInFlight must be 1..100000, got " + maxInFlight);
            }
            this.maxInFlight = maxInFlight;
            return this;
        }

        /**
         * @param shutdownWait how long {@link SqsTrigger#close()} waits for sends in flight, 0 to 10 min; default 5 s
         * @return this
         */
        public Builder shutdownWait(Duration shutdownWait) {
            if (shutdownWait.isNegative() || shutdownWait.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("shutdownWait must be 0..10min, got " + shutdownWait);
            }
            this.shutdownWait = shutdownWait;
            return this;
        }

        /** @return the trigger, with no thread started */
        public SqsTrigger build() {
            return new SqsTrigger(this);
        }
    }
}
