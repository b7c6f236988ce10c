package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StageHttpServer;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.spi.Trigger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * Baton as a host would run it: {@link JdbcStageStore} on a HikariCP pool, a {@link PipelineRunner},
 * and {@link PipelineRunner#start} for every batch, with one of three triggers of {@code workers}
 * threads. {@code baton-inprocess}: an {@link InProcessTrigger} in this JVM.
 * {@code baton-queue}: Baton's PostgreSQL queue, a {@link QueueTrigger} whose {@code NOTIFY} wakes a
 * {@link QueueWorker} that claims due batches with {@code FOR UPDATE SKIP LOCKED} (one extra
 * connection holds its {@code LISTEN}). Either way a worker thread chains the stages of a batch inline
 * (the advance and the next claim in one transaction). The round ends when the runner's listener has
 * heard every batch complete. {@code baton-http}: the serverless shape, Baton's signed {@link HttpTrigger} posting
 * every stage to a {@link StageEndpoint} behind the JDK HTTP server ({@link StageHttpServer}, {@code workers}
 * request threads) on loopback in this JVM; each stage runs inside its request, and the runner behind the endpoint
 * fires the next one (an HTTP trigger never continues inline). It keeps {@value #HTTP_IN_FLIGHT_PER_WORKER}
 * batches per request thread in flight, so that its requests do not queue behind each other in the server.
 *
 * <p>{@link #withStore} makes a variant of any of them with the store built differently, under its own name.
 *
 * <p>For the queue worker's thread scaling there are two more: {@code baton-queue-inline}, the same
 * queue trigger, and {@code baton-queue-every-stage}, {@link QueueTrigger.Builder#everyStageThroughQueue()}
 * (every stage is a {@code NOTIFY} and a {@code FOR UPDATE SKIP LOCKED} claim by the dispatcher, so the
 * hand-off is the queue's). Both keep a bounded number of batches in flight (started and not yet
 * completed) instead of starting every batch at once, so that the hand-off measures the queue rather
 * than the position of stage k+1 behind every batch's stage k. Their tables are in their own schema,
 * {@value #QUEUE_THREADS_SCHEMA}.
 */
public final class BatonContender implements Contender {
    static final String SCHEMA = "bench_baton";
    /** The thread-scaling section's schema, apart from the side-by-side rounds' tables. */
    static final String QUEUE_THREADS_SCHEMA = "bench_queue";
    /** Batches in flight per request thread of {@code baton-http}: enough to keep its threads busy, not a backlog. */
    public static final int HTTP_IN_FLIGHT_PER_WORKER = 2;

    private static final String HTTP_SECRET = "pipeline-bench-http-secret-0123456789abcdef";

    /** How stages reach the worker threads. */
    private enum Mode {
        IN_PROCESS,
        QUEUE,
        QUEUE_EVERY_STAGE,
        HTTP
    }

    private final String name;
    private final String schema;
    private final Mode mode;
    private final int inFlightPerWorker;
    private final UnaryOperator<JdbcStageStore.Builder> storeSettings;
    private HikariDataSource pool;
    private PipelineRunner runner;
    private QueueWorker worker;
    private StageHttpServer server;
    private CountDownLatch completed;
    private Semaphore window;
    private volatile long claims;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private BatonContender(
            String name,
            String schema,
            Mode mode,
            int inFlightPerWorker,
            UnaryOperator<JdbcStageStore.Builder> storeSettings) {
        this.name = name;
        this.schema = schema;
        this.mode = mode;
        this.inFlightPerWorker = inFlightPerWorker;
        this.storeSettings = Objects.requireNonNull(storeSettings, "storeSettings");
    }

    /** @return Baton with its in-process trigger */
    public static BatonContender inProcess() {
        return new BatonContender("baton-inprocess", SCHEMA, Mode.IN_PROCESS, 0, UnaryOperator.identity());
    }

    /** @return Baton with its PostgreSQL queue trigger and worker */
    public static BatonContender queue() {
        return new BatonContender("baton-queue", SCHEMA, Mode.QUEUE, 0, UnaryOperator.identity());
    }

    /**
     * @return Baton with its signed HTTP trigger posting every stage to a {@link StageHttpServer} of {@code workers}
     *     request threads on loopback in this JVM, {@value #HTTP_IN_FLIGHT_PER_WORKER} batches in flight per worker
     */
    public static BatonContender http() {
        return new BatonContender("baton-http", SCHEMA, Mode.HTTP, HTTP_IN_FLIGHT_PER_WORKER, UnaryOperator.identity());
    }

    /**
     * @param everyStage {@code true}: {@link QueueTrigger.Builder#everyStageThroughQueue()}; {@code false}: the default
     *     trigger, whose worker thread continues a batch inline
     * @param inFlightPerWorker batches in flight per worker thread; 0 starts every batch at once
     * @return Baton's queue as the thread-scaling section runs it
     * @throws IllegalArgumentException if {@code inFlightPerWorker} is negative
     */
    public static BatonContender queueThreads(boolean everyStage, int inFlightPerWorker) {
        if (inFlightPerWorker < 0) {
            throw new IllegalArgumentException(
                    "batches in flight per worker must not be negative, got " + inFlightPerWorker);
        }
        return new BatonContender(
                everyStage ? "baton-queue-every-stage" : "baton-queue-inline",
                QUEUE_THREADS_SCHEMA,
                everyStage ? Mode.QUEUE_EVERY_STAGE : Mode.QUEUE,
                inFlightPerWorker,
                UnaryOperator.identity());
    }

    /**
     * The same contender under another name with its store built differently, e.g. a variant with other store
     * settings side by side with the original. The settings apply after the schema, on every round's store.
     *
     * @param variantName the name in the report, a lower-case word with dashes
     * @param storeSettings changes the store's builder (it gets one with the pool and the schema set)
     * @return the variant
     * @throws IllegalArgumentException if the name is not such a word
     */
    public BatonContender withStore(String variantName, UnaryOperator<JdbcStageStore.Builder> storeSettings) {
        if (variantName == null || !variantName.matches("[a-z][a-z0-9-]{0,40}")) {
            throw new IllegalArgumentException(
                    "a contender's name must be a lower-case word with dashes, got '" + variantName + "'");
        }
        UnaryOperator<JdbcStageStore.Builder> mine = this.storeSettings;
        return new BatonContender(
                variantName, schema, mode, inFlightPerWorker, b -> storeSettings.apply(mine.apply(b)));
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the trigger's mode: {@code every-stage}, {@code inline}, {@code in-process} or {@code http} */
    public String triggerMode() {
        return switch (mode) {
            case IN_PROCESS -> "in-process";
            case QUEUE -> "inline";
            case QUEUE_EVERY_STAGE -> "every-stage";
            case HTTP -> "http";
        };
    }

    /** @return batches in flight per worker thread, 0 for all at once */
    public int inFlightPerWorker() {
        return inFlightPerWorker;
    }

    /** @return the queue worker's claims in the last round (inline continuations not counted), 0 without a queue */
    public long lastRoundClaims() {
        return claims;
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema);
        try (HikariDataSource ds = db.pool(applicationName() + "-migrate", 1)) {
            BatonSchema.migrate(ds, schema, "");
        }
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException, IOException {
        // queue: the worker threads, the dispatcher's claims, the LISTEN connection it holds, and the
        // starting thread's create + NOTIFY (and a heartbeat); http: the request threads, the starter, a heartbeat
        // and the sweeper; in-process: the threads, the starter, a heartbeat
        pool = db.pool(applicationName(), round.workers() + (mode == Mode.IN_PROCESS ? 2 : 4));
        try (Connection c = pool.getConnection();
                var s = c.createStatement()) {
            s.execute("TRUNCATE " + schema + ".batch_processing_queue, " + schema + ".batch_processing_data");
        }
        failures.clear();
        claims = 0;
        completed = new CountDownLatch(round.batches());
        window = inFlightPerWorker == 0 ? null : new Semaphore(inFlightPerWorker * round.workers());
        Semaphore admitted = window;
        Pipeline.Builder pipeline = Pipeline.builder();
        StageTimeline timeline = round.timeline();
        for (int i = 0; i < STAGES; i++) {
            int stage = i;
            pipeline.stage("stage" + (i + 1), ctx -> {
                int batch = (int) ctx.batchId() - 1;
                timeline.begin(batch, stage);
                Object output = round.payload().asObject();
                timeline.end(batch, stage);
                return StageResult.done(output);
            });
        }
        JdbcStageStore store =
                storeSettings.apply(JdbcStageStore.builder(pool).schema(schema)).build();
        QueueTrigger queueTrigger = switch (mode) {
            case QUEUE -> QueueTrigger.builder(pool).build();
            case QUEUE_EVERY_STAGE ->
                QueueTrigger.builder(pool).everyStageThroughQueue().build();
            default -> null;
        };
        int port = mode == Mode.HTTP ? freePort() : 0;
        Trigger trigger = switch (mode) {
            case IN_PROCESS ->
                InProcessTrigger.builder()
                        .threads(round.workers())
                        .queueCapacity(round.batches() + 16)
                        .shutdownWait(Duration.ofSeconds(30))
                        .build();
            case QUEUE, QUEUE_EVERY_STAGE -> queueTrigger;
            case HTTP ->
                HttpTrigger.builder()
                        .baseUrl("http://127.0.0.1:" + port)
                        .secret(HTTP_SECRET)
                        .maxInFlight(
                                Math.max(HttpTrigger.DEFAULT_MAX_IN_FLIGHT, 4 * inFlightPerWorker * round.workers()))
                        .shutdownWait(Duration.ofSeconds(5))
                        .build();
        };
        runner = PipelineRunner.builder(pipeline.build(), store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                        if (admitted != null) {
                            admitted.release();
                        }
                    }

                    @Override
                    public void batchFailed(long batchId, String stage, String error) {
                        failures.add("batch " + batchId + " failed at " + stage + ": " + error);
                        completed.countDown();
                        if (admitted != null) {
                            admitted.release();
                        }
                    }
                })
                .build();
        runner.start();
        if (queueTrigger != null) {
            worker = QueueWorker.builder(runner, store, queueTrigger)
                    .threads(round.workers())
                    .build()
                    .start();
        }
        if (mode == Mode.HTTP) {
            StageEndpoint endpoint = StageEndpoint.builder(
                            runner,
                            SignatureVerifier.builder().secret(HTTP_SECRET).build())
                    .build();
            server = StageHttpServer.builder(endpoint)
                    .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                    .threads(round.workers())
                    .queueCapacity(
                            Math.max(StageHttpServer.DEFAULT_QUEUE_CAPACITY, 4 * inFlightPerWorker * round.workers()))
                    // every batch has ended when the round is torn down; idle keep-alive connections need no wait
                    .stopWait(Duration.ofMillis(500))
                    .build();
            server.start();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void run(Round round) throws Exception {
        for (long id = 1; id <= round.batches(); id++) {
            if (window != null && !window.tryAcquire(30, TimeUnit.MINUTES)) {
                throw new TimeoutException(name() + ": no batch completed in 30 minutes");
            }
            runner.client().start(id);
        }
        if (!completed.await(30, TimeUnit.MINUTES)) {
            throw new TimeoutException(
                    name() + ": " + completed.getCount() + " batches still running after 30 minutes");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    name() + ": " + failures.size() + " batches failed, first: " + failures.peek());
        }
    }

    @Override
    public void tearDown() {
        if (worker != null) {
            worker.close();
            claims = worker.claimed();
            worker = null;
        }
        if (runner != null) {
            // first, so that the HTTP trigger has the answers to its last deliveries before the server stops
            runner.close();
            runner = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
