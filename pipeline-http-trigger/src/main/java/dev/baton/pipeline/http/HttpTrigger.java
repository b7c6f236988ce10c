package dev.baton.pipeline.http;

import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import io.github.resilience4j.core.IntervalFunction;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fire-and-forget {@link Trigger} over HTTP: {@code fire(b, s)} POSTs {@code {"batchId":b}} (and
 * {@code fireShard(b, s, k, …)} POSTs {@code {"batchId":b,"shard":k}}), signed
 * (see {@link RequestSigner}), to {@code <base URL><stage path><s>} (the stage path is
 * {@value #DEFAULT_STAGE_PATH} unless {@link Builder#stagePath} says otherwise), where a
 * {@link StageEndpoint} serving the same {@link StagePath} runs the stage inside the request. The base URL is resolved
 * by {@link BaseUrl}; the secret comes from {@link #builder()}'s {@code secret} or
 * {@value RequestSigner#SECRET_ENV}.
 *
 * <pre>{@code
 * HttpTrigger trigger = HttpTrigger.builder().build();   // PIPELINE_API_URL / VERCEL_URL, PIPELINE_SIGNING_SECRET
 * PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
 * runner.start();                                         // starts the trigger's threads
 * runner.client().start(123);                             // POST <base>/api/batch-processing/setup
 * }</pre>
 *
 * <p>Building resolves and checks the settings but starts nothing: {@link #start()} (called by
 * {@link dev.baton.pipeline.PipelineRunner#start()}) makes the delivery thread and the HTTP client, and
 * a fire before it is refused with an {@link IllegalStateException}. A serverless handler, which runs
 * stages through {@code runStage} inside its requests, still starts the runner once when the process
 * starts, so that each stage can trigger the next.
 *
 * <h2>What "fire-and-forget" means here</h2>
 * {@link #fire} only takes one of {@code maxInFlight} slots and hands the delivery to the trigger's
 * own thread; it never does I/O and never blocks, whatever the receiver does. Without a free slot the
 * trigger is dropped with a warning (a burst logs one warning per second with a count) and the
 * {@link StallSweeper} fires it again later, so a burst of 10,000 triggers holds at most
 * {@code maxInFlight} sockets and requests.
 *
 * <p>A slot is held until the request is <em>handed off</em>, not until the stage ends. The receiver
 * only answers when the stage is done (up to its budget, say 50 s), so the delivery waits at most
 * {@code handoffTimeout} (default 2 s) for that answer. A quick answer is used: 2xx and 409 (a
 * duplicate) end the delivery; 5xx and 429 are retried; another 4xx is logged as a misconfiguration.
 * When the window passes and the request was fully sent, the receiver has it and is running the
 * stage: the trigger stops waiting, closes that connection and frees the slot. Receivers must
 * therefore keep running a stage when the caller disconnects, which the JDK {@code HttpServer},
 * servlet containers and serverless platforms do. Setting {@code handoffTimeout} above the stage
 * budget makes every delivery wait for the stage's answer instead, at the cost of one slot per
 * running stage.
 *
 * <p>Connection refused or reset, connect timeouts, 5xx and 429 (honouring a {@code Retry-After}
 * in seconds) are retried with a resilience4j {@code Retry}: at most {@code maxAttempts} requests,
 * exponential backoff with jitter, scheduled on the trigger's thread, each request signed afresh. A
 * trigger that still cannot be delivered is logged with its batch and stage and left to the sweeper;
 * its error is noted on the batch (through the runner, {@link StageHandler#undelivered}), so the
 * batch's status says why it does not move, and after {@code errorAfterUndelivered} such fires in a
 * row (default 3) of the same batch and stage the trigger logs ERROR once, naming the URL and what
 * to check.
 *
 * <p>Thread-safe. {@link #close()} stops taking triggers and waits a little for those in flight.
 */
public final class HttpTrigger implements Trigger {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTrigger.class);
    private static final Pattern STAGE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
    /** A burst of drops logs one warning per second with a count, the rest at debug level. */
    private static final long DROP_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Default path under the base URL that stage requests go to; the stage name is appended ({@link
     * StagePath#DEFAULT}).
     */
    public static final String DEFAULT_STAGE_PATH = StagePath.DEFAULT_VALUE;
    /**
     * The W3C trace-context header a stage request carries the batch's trace context in, and a start request
     * ({@code POST /api/process-batch}) may carry the caller's in.
     */
    public static final String TRACE_HEADER = "traceparent";
    /** Default number of deliveries in flight before further triggers are dropped. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;
    /** Default number of triggers waiting for {@link #fireAfter} before further ones are dropped. */
    public static final int DEFAULT_MAX_DELAYED = 10_000;
    /** Default requests per trigger, the first included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** Default wait before the second request. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(250);
    /** Default longest wait between two requests. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
    /** Default connect timeout. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default wait for the receiver's answer before the request counts as handed off. */
    public static final Duration DEFAULT_HANDOFF_TIMEOUT = Duration.ofSeconds(2);
    /** Default number of fires in a row of one (batch, stage) not delivered before it is logged at ERROR. */
    public static final int DEFAULT_ERROR_AFTER_UNDELIVERED = 3;
    /** (batch, stage) pairs whose undelivered fires are counted at most; the least recently failed is forgotten. */
    static final int MAX_TRACKED_UNDELIVERED = 10_000;
    /** Default wait of {@link #close()} for deliveries in flight. */
    public static final Duration DEFAULT_SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final URI baseUrl;
    private final StagePath stagePath;
    private final URI stageBase;
    private final RequestSigner signer;
    private final Clock clock;
    private final Duration handoffTimeout;
    private final int maxAttempts;
    private final IntervalFunction backoff;
    private final Duration maxBackoff;
    private final Duration connectTimeout;
    private final HttpClient hostClient;
    private final DeliveryListener listener;
    private final Undelivered undelivered;
    private final InFlight inFlight;
    private final int maxDelayed;
    private final Duration shutdownWait;
    private final AtomicInteger delayed = new AtomicInteger();
    private final AtomicLong lastDropWarning = new AtomicLong(System.nanoTime() - DROP_WARNING_INTERVAL_NANOS);
    private final AtomicLong droppedSinceWarning = new AtomicLong();
    private volatile Running running;
    private volatile boolean closed;

    /** What {@link #start()} makes: the delivery thread, the client's threads when the client is ours, the delivery. */
    private record Running(
            ScheduledThreadPoolExecutor worker, ExecutorService ownedClientExecutor, HttpDelivery delivery) {}

    private HttpTrigger(Builder b, URI baseUrl, RequestSigner signer) {
        this.baseUrl = baseUrl;
        this.stagePath = b.stagePath;
        this.stageBase = URI.create(baseUrl.toString() + b.stagePath.value());
        this.signer = signer;
        this.clock = b.clock;
        this.handoffTimeout = b.handoffTimeout;
        this.maxAttempts = b.maxAttempts;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(
                Math.max(1, b.initialBackoff.toMillis()), b.multiplier, 0.5, Math.max(1, b.maxBackoff.toMillis()));
        this.maxBackoff = b.maxBackoff;
        this.connectTimeout = b.connectTimeout;
        this.hostClient = b.httpClient;
        this.listener = b.listener;
        this.undelivered = new Undelivered(b.errorAfterUndelivered, MAX_TRACKED_UNDELIVERED);
        this.inFlight = new InFlight(b.maxInFlight);
        this.maxDelayed = b.maxDelayed;
        this.shutdownWait = b.shutdownWait;
    }

    /** @return a builder with the defaults above */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the delivery thread and, unless the builder was given a client of the host's, the HTTP
     * client and its threads. Called by {@link dev.baton.pipeline.PipelineRunner#start()}; a second call
     * does nothing.
     *
     * @throws IllegalStateException if the trigger was closed
     */
    @Override
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("this HttpTrigger was closed; build a new one");
        }
        if (running != null) {
            return;
        }
        ScheduledThreadPoolExecutor worker = new ScheduledThreadPoolExecutor(1, daemon("baton-http-trigger"));
        worker.setRemoveOnCancelPolicy(true);
        ExecutorService ownedClientExecutor = null;
        HttpClient client = hostClient;
        if (client == null) {
            int threads = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
            // tasks are bounded by maxInFlight deliveries, each a handful of callbacks
            ownedClientExecutor = new ThreadPoolExecutor(
                    threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon("baton-http-client"));
            client = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .executor(ownedClientExecutor)
                    .build();
        }
        HttpDelivery delivery = new HttpDelivery(
                client,
                baseUrl,
                stagePath,
                signer,
                clock,
                handoffTimeout,
                maxAttempts,
                backoff,
                maxBackoff,
                worker,
                listener,
                undelivered);
        running = new Running(worker, ownedClientExecutor, delivery);
    }

    /** @return the resolved base URL, without a trailing slash */
    public URI baseUrl() {
        return baseUrl;
    }

    /**
     * @return the path under the base URL that stage requests go to; give the receiving
     *     {@link StageEndpoint.Builder#stagePath} the same
     */
    public StagePath stagePath() {
        return stagePath;
    }

    /**
     * @param stage a stage name
     * @return the URL a trigger of that stage is POSTed to
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name
     */
    public URI stageUrl(String stage) {
        return stageBase.resolve(checkStage(stage));
    }

    /**
     * Keeps the runner's handler, which is told of each trigger finally not delivered (its retries
     * spent, or refused by the receiver) so that the batch's status shows the error. Stages are never
     * run through it: they run where the requests go.
     *
     * @param handler the runner
     */
    @Override
    public void bind(StageHandler handler) {
        undelivered.bind(Objects.requireNonNull(handler, "handler"));
    }

    /** @return (batch, stage) pairs whose last fires were not delivered, tracked now (at most 10,000) */
    int undeliveredTracked() {
        return undelivered.tracked();
    }

    /** @return deliveries in flight right now (taken slots) */
    public int inFlight() {
        return inFlight.count();
    }

    /**
     * @param nextStage the stage that would run next
     * @return {@code false}: every stage runs in its own request, on whichever instance receives it,
     *     never chained on the thread that finished the previous one
     */
    @Override
    public boolean continuesInline(String nextStage) {
        return false;
    }

    /**
     * Sends the trigger in the background and returns at once. Drops it, with a warning and a
     * {@link DeliveryListener#dropped} event, when {@code maxInFlight} deliveries are in flight or the
     * trigger is closed: the stall sweeper fires it again.
     *
     * @param batchId the batch
     * @param stage the stage
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name (a programming error)
     * @throws IllegalStateException if the trigger has not been started
     */
    @Override
    public void fire(long batchId, String stage) {
        fire(batchId, stage, null);
    }

    /**
     * {@link #fire(long, String)}, with the batch's trace context sent as the W3C {@code traceparent} header
     * ({@link #TRACE_HEADER}), so that a host whose HTTP server is traced continues the batch's trace.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param traceContext the batch's W3C {@code traceparent}, or {@code null} to send none
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name (a programming error)
     * @throws IllegalStateException if the trigger has not been started
     */
    @Override
    public void fire(long batchId, String stage, String traceContext) {
        checkStage(stage);
        send(batchId, stage, BatchIdBody.NO_SHARD, traceContext);
    }

    private void send(long batchId, String stage, int shard, String traceContext) {
        if (closed) {
            drop(batchId, stage, shard, "the trigger is closed");
            return;
        }
        Running r = started(batchId, stage);
        if (!inFlight.tryTake()) {
            drop(batchId, stage, shard, inFlight.max() + " deliveries already in flight");
            return;
        }
        try {
            r.worker().execute(() -> deliver(r.delivery(), batchId, stage, shard, traceContext));
        } catch (RejectedExecutionException e) {
            inFlight.release();
            drop(batchId, stage, shard, "the trigger is closed");
        }
    }

    private Running started(long batchId, String stage) {
        Running r = running;
        if (r == null) {
            throw new IllegalStateException("batch " + batchId + " stage " + stage + ": the HttpTrigger is not started;"
                    + " call start() on the runner it was given to (PipelineRunner.start()), or on the trigger");
        }
        return r;
    }

    private void deliver(HttpDelivery delivery, long batchId, String stage, int shard, String traceContext) {
        try {
            delivery.deliver(batchId, stage, shard, traceContext).whenComplete((last, error) -> {
                try {
                    delivery.report(batchId, stage, shard, last, error);
                } finally {
                    inFlight.release();
                }
            });
        } catch (RuntimeException e) {
            inFlight.release();
            LOG.error(
                    "{}: could not start the delivery; left to the stall sweeper",
                    HttpDelivery.where(batchId, stage, shard),
                    e);
        }
    }

    /**
     * Fires after {@code delay} (a stage retry's backoff), timed on the trigger's thread; at most
     * {@code maxDelayed} wait at once, more are dropped for the sweeper.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param delay how long to wait first
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name
     * @throws IllegalStateException if the trigger has not been started
     */
    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        fireAfter(batchId, stage, delay, null);
    }

    /**
     * {@link #fireAfter(long, String, Duration)}, with the batch's trace context, as {@link #fire(long, String,
     * String)}.
     *
     * @param batchId the batch
     * @param stage the stage
     * @param delay how long to wait first
     * @param traceContext the batch's W3C {@code traceparent}, or {@code null} to send none
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name
     * @throws IllegalStateException if the trigger has not been started
     */
    @Override
    public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
        checkStage(stage);
        sendAfter(batchId, stage, BatchIdBody.NO_SHARD, delay, traceContext);
    }

    /**
     * Sends one shard of a fanned-out stage: {@code {"batchId":b,"shard":k}}, signed (so the shard is covered by
     * the signature), to the stage's URL, where the {@link StageEndpoint} runs it through
     * {@link dev.baton.pipeline.PipelineRunner#runShard}. Delivery, retries, hand-off, delays and drops are those of
     * {@link #fireAfter(long, String, Duration, String)}; a shard that is finally not delivered is told to the runner
     * ({@link StageHandler#undelivered}) with an error that starts with {@code "shard k: "}, and counted apart from
     * the stage's other shards. The {@link DeliveryListener} hears of it under its stage.
     *
     * @throws IllegalArgumentException if {@code stage} is not a valid stage name or {@code shard} is negative
     * @throws IllegalStateException if the trigger has not been started
     */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        checkStage(stage);
        if (shard < 0) {
            throw new IllegalArgumentException(
                    "batch " + batchId + " stage " + stage + ": shard must be >= 0, got " + shard);
        }
        sendAfter(batchId, stage, shard, delay, traceContext);
    }

    private void sendAfter(long batchId, String stage, int shard, Duration delay, String traceContext) {
        if (delay.isZero() || delay.isNegative()) {
            send(batchId, stage, shard, traceContext);
            return;
        }
        if (closed) {
            drop(batchId, stage, shard, "the trigger is closed");
            return;
        }
        Running r = started(batchId, stage);
        if (delayed.incrementAndGet() > maxDelayed) {
            delayed.decrementAndGet();
            drop(batchId, stage, shard, maxDelayed + " delayed triggers already waiting");
            return;
        }
        try {
            r.worker()
                    .schedule(
                            () -> {
                                delayed.decrementAndGet();
                                send(batchId, stage, shard, traceContext);
                            },
                            delay.toMillis(),
                            TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            delayed.decrementAndGet();
            drop(batchId, stage, shard, "the trigger is closed");
        }
    }

    /**
     * Waits until no delivery is in flight: every trigger fired so far was answered, handed off,
     * given up or dropped. A host on a platform that freezes the process once a response is written
     * calls this before writing it, so the next stage's request leaves the process.
     *
     * @param timeout the longest wait
     * @return {@code true} when idle, {@code false} when the timeout passed first
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return inFlight.awaitIdle(timeout);
    }

    /**
     * Stops taking triggers, drops delayed ones and waits up to the shutdown wait for deliveries in
     * flight; whatever is left is recovered by the stall sweeper. Idempotent; a trigger never started
     * only stops taking triggers.
     */
    @Override
    public void close() {
        Running r;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            r = running;
        }
        if (r == null) {
            return;
        }
        try {
            if (!awaitIdle(shutdownWait)) {
                LOG.warn(
                        "{} trigger deliveries still in flight after {}; left to the stall sweeper",
                        inFlight.count(),
                        shutdownWait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int waiting = r.worker().getQueue().size();
        if (waiting > 0) {
            LOG.info("{} delayed triggers dropped on close; left to the stall sweeper", waiting);
        }
        r.worker().shutdownNow();
        if (r.ownedClientExecutor() != null) {
            r.ownedClientExecutor().shutdownNow();
        }
    }

    private void drop(long batchId, String stage, int shard, String why) {
        String where = HttpDelivery.where(batchId, stage, shard);
        long now = System.nanoTime();
        long last = lastDropWarning.get();
        if (now - last >= DROP_WARNING_INTERVAL_NANOS && lastDropWarning.compareAndSet(last, now)) {
            long more = droppedSinceWarning.getAndSet(0);
            LOG.warn(
                    "{}: trigger dropped ({}){}; left to the stall sweeper",
                    where,
                    why,
                    more == 0 ? "" : ", and " + more + " more since the last warning");
        } else {
            droppedSinceWarning.incrementAndGet();
            LOG.debug("{}: trigger dropped ({}); left to the stall sweeper", where, why);
        }
        String told = shard == BatchIdBody.NO_SHARD ? why : "shard " + shard + ": " + why;
        HttpDelivery.notify(listener, l -> l.dropped(batchId, stage, told));
    }

    private static String checkStage(String stage) {
        if (stage == null || !STAGE_NAME.matcher(stage).matches()) {
            throw new IllegalArgumentException(
                    "'" + stage + "' is not a stage name (lower-case letters, digits, '_' or '-',"
                            + " starting with a letter, at most 63)");
        }
        return stage;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Builds an {@link HttpTrigger}; every setter validates its value and {@link #build()} resolves the
     * base URL and the secret, failing fast. Building starts nothing. Not thread-safe.
     */
    public static final class Builder {
        private String baseUrl;
        private Function<String, String> env = System::getenv;
        private String secret;
        private Clock clock = Clock.systemUTC();
        private StagePath stagePath = StagePath.DEFAULT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxDelayed = DEFAULT_MAX_DELAYED;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private int errorAfterUndelivered = DEFAULT_ERROR_AFTER_UNDELIVERED;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private double multiplier = 2.0;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration handoffTimeout = DEFAULT_HANDOFF_TIMEOUT;
        private Duration shutdownWait = DEFAULT_SHUTDOWN_WAIT;
        private HttpClient httpClient;
        private DeliveryListener listener = new DeliveryListener() {};

        private Builder() {}

        /**
         * @param baseUrl an absolute http(s) URL, e.g. {@code https://api.example.com}; wins over the environment
         * @return this
         * @throws IllegalArgumentException if it is not an absolute http(s) URL
         */
        public Builder baseUrl(String baseUrl) {
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalArgumentException("baseUrl must be an absolute http(s) URL, got '" + baseUrl
                        + "'; leave it unset to resolve it from the environment");
            }
            this.baseUrl = BaseUrl.resolve(baseUrl, name -> null).toString();
            return this;
        }

        /**
         * @param env looks up an environment variable, {@code null} when unset; default {@code System::getenv}
         * @return this
         */
        public Builder environment(Function<String, String> env) {
            this.env = Objects.requireNonNull(env, "env");
            return this;
        }

        /**
         * @param secret the shared signing secret, at least 16 bytes; default {@value RequestSigner#SECRET_ENV}
         * @return this
         * @throws IllegalArgumentException if shorter than 16 bytes
         */
        public Builder secret(String secret) {
            RequestSigner.builder().secret(secret);
            this.secret = secret;
            return this;
        }

        /**
         * @param clock the clock for signature timestamps
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param stagePath the path under the base URL, e.g. {@code /jobs/stages/} (rules in {@link StagePath});
         *     default {@value HttpTrigger#DEFAULT_STAGE_PATH}; the receiving {@link StageEndpoint} must serve the same
         * @return this
         * @throws IllegalArgumentException if it is not a valid stage path
         */
        public Builder stagePath(String stagePath) {
            return stagePath(StagePath.of(stagePath));
        }

        /**
         * @param stagePath the path under the base URL; give the receiving {@link StageEndpoint} the same
         * @return this
         */
        public Builder stagePath(StagePath stagePath) {
            this.stagePath = Objects.requireNonNull(stagePath, "stagePath");
            return this;
        }

        /**
         * @param maxInFlight deliveries in flight at once, 1 to 100,000; default {@value
         *     HttpTrigger#DEFAULT_MAX_IN_FLIGHT}
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = range("maxInFlight", maxInFlight, 1, 100_000);
            return this;
        }

        /**
         * @param maxDelayed triggers waiting in {@link HttpTrigger#fireAfter} at once, 0 to 1,000,000
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxDelayed(int maxDelayed) {
            this.maxDelayed = range("maxDelayed", maxDelayed, 0, 1_000_000);
            return this;
        }

        /**
         * @param maxAttempts requests per trigger, the first included, 1 to 100; default {@value
         *     HttpTrigger#DEFAULT_MAX_ATTEMPTS}
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = range("maxAttempts", maxAttempts, 1, 100);
            return this;
        }

        /**
         * @param fires how many fires in a row of one (batch, stage) may fail to be delivered (each after
         *     its {@code maxAttempts}) before the trigger logs it at ERROR, once, with what to check;
         *     1 to 1,000; default {@value HttpTrigger#DEFAULT_ERROR_AFTER_UNDELIVERED}. The others are
         *     logged at WARN.
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder errorAfterUndelivered(int fires) {
            this.errorAfterUndelivered = range("errorAfterUndelivered", fires, 1, 1000);
            return this;
        }

        /**
         * @param initialBackoff wait before the second request, 1 ms to the max backoff
         * @param multiplier growth of the wait per attempt, 1.0 to 10.0
         * @param maxBackoff the longest wait, at most 10 min
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder backoff(Duration initialBackoff, double multiplier, Duration maxBackoff) {
            Objects.requireNonNull(initialBackoff, "initialBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (initialBackoff.toMillis() < 1
                    || maxBackoff.compareTo(initialBackoff) < 0
                    || maxBackoff.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("backoff needs 1ms <= initialBackoff <= maxBackoff <= 10min, got "
                        + initialBackoff + " and " + maxBackoff);
            }
            if (!(multiplier >= 1.0 && multiplier <= 10.0)) {
                throw new IllegalArgumentException("multiplier must be between 1.0 and 10.0, got " + multiplier);
            }
            this.initialBackoff = initialBackoff;
            this.multiplier = multiplier;
            this.maxBackoff = maxBackoff;
            return this;
        }

        /**
         * @param connectTimeout how long to wait for a connection, 1 ms to 1 min; ignored with {@link #httpClient}
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = duration("connectTimeout", connectTimeout, Duration.ofMinutes(1));
            return this;
        }

        /**
         * @param handoffTimeout how long a sent request waits for the receiver's answer before it counts
         *     as handed off, 1 ms to 15 min; above the stage budget, every answer is awaited
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder handoffTimeout(Duration handoffTimeout) {
            this.handoffTimeout = duration("handoffTimeout", handoffTimeout, Duration.ofMinutes(15));
            return this;
        }

        /**
         * @param shutdownWait how long {@link HttpTrigger#close()} waits for deliveries in flight, 0 to 10 min
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder shutdownWait(Duration shutdownWait) {
            Objects.requireNonNull(shutdownWait, "shutdownWait");
            if (shutdownWait.isNegative() || shutdownWait.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("shutdownWait must be between 0 and 10min, got " + shutdownWait);
            }
            this.shutdownWait = shutdownWait;
            return this;
        }

        /**
         * @param httpClient a client of the host's (proxy, TLS settings); its connect timeout and
         *     executor are then the host's
         * @return this
         */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
            return this;
        }

        /**
         * @param listener hears how each delivery ended
         * @return this
         */
        public Builder listener(DeliveryListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @return the trigger, not started
         * @throws IllegalStateException in production without a base URL (see {@link BaseUrl})
         * @throws IllegalArgumentException if a URL from the environment is malformed, or no secret is
         *     configured and {@value RequestSigner#SECRET_ENV} is unset or too short
         */
        public HttpTrigger build() {
            URI url = BaseUrl.resolve(baseUrl, env);
            RequestSigner.Builder signing = RequestSigner.builder().environment(env);
            RequestSigner signer = (secret != null ? signing.secret(secret) : signing).build();
            return new HttpTrigger(this, url, signer);
        }

        private static int range(String setting, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(
                        setting + " must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        }

        private static Duration duration(String setting, Duration value, Duration max) {
            Objects.requireNonNull(value, setting);
            if (value.toMillis() < 1 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(setting + " must be between 1ms and " + max + ", got " + value);
            }
            return value;
        }
    }
}
