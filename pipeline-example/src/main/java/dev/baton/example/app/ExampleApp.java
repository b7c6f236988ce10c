package dev.baton.example.app;

import com.sun.net.httpserver.HttpServer;
import dev.baton.example.cli.TriggerKind;
import dev.baton.example.host.AnalysisWriter;
import dev.baton.example.host.HostBatchStatusListener;
import dev.baton.example.host.HostBatches;
import dev.baton.example.host.StoredObjects;
import dev.baton.example.objectstore.ObjectFetcher;
import dev.baton.example.objectstore.ObjectRoute;
import dev.baton.example.objectstore.ObjectUrlSigner;
import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.example.server.BatchListing;
import dev.baton.example.server.DrainingFilter;
import dev.baton.example.server.HostProcessBatchRoute;
import dev.baton.example.server.RootRoute;
import dev.baton.example.stages.ScreenshotPipeline;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.dashboard.Authorizer;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StageHttpServer;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running example host: one HTTP server with Baton's stage endpoint, the host's
 * {@code process-batch}, the signed object store and the operator dashboard; the runner with the six
 * stages; the trigger (HTTP, in-process, or Baton's PostgreSQL queue with a {@link QueueWorker});
 * and the stall sweeper. Built by {@link ExampleAppBuilder}.
 *
 * <p>{@link #close()} shuts down in the order that loses nothing: refuse new requests (503) and let
 * running stage requests finish (up to the stop wait), close the listener, stop the sweeper and the
 * queue worker (which waits for its running stages), then close the runner and its trigger (an
 * in-process trigger waits for its running invocations). Whatever did not finish keeps its lease until it expires and
 * is resumed by a sweeper later. The database is the
 * caller's to close. Thread-safe.
 */
public final class ExampleApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExampleApp.class);
    /** Threads of the in-process trigger. */
    static final int IN_PROCESS_THREADS = 8;
    /** Who the dashboard's actions are logged as when they come with {@code PIPELINE_ADMIN_TOKEN}. */
    public static final String ADMIN_PRINCIPAL = "admin (PIPELINE_ADMIN_TOKEN)";
    /** Threads of the queue worker. */
    static final int QUEUE_WORKER_THREADS = 8;

    private final HttpServer server;
    private final DrainingFilter draining;
    private final ThreadPoolExecutor executor;
    private final PipelineRunner runner;
    private final QueueWorker worker;
    private final StallSweeper sweeper;
    private final HostBatches batches;
    private final URI baseUrl;
    private final TriggerKind triggerKind;
    private final Duration stopWait;

    private ExampleApp(
            HttpServer server,
            DrainingFilter draining,
            ThreadPoolExecutor executor,
            PipelineRunner runner,
            QueueWorker worker,
            StallSweeper sweeper,
            HostBatches batches,
            URI baseUrl,
            TriggerKind triggerKind,
            Duration stopWait) {
        this.worker = worker;
        this.server = server;
        this.draining = draining;
        this.executor = executor;
        this.runner = runner;
        this.sweeper = sweeper;
        this.batches = batches;
        this.baseUrl = baseUrl;
        this.triggerKind = triggerKind;
        this.stopWait = stopWait;
    }

    /** @return a builder */
    public static ExampleAppBuilder builder() {
        return new ExampleAppBuilder();
    }

    static ExampleApp start(ExampleAppBuilder b) throws IOException {
        DataSource ds = Objects.requireNonNull(b.dataSource, "dataSource");
        StageStore store = Objects.requireNonNull(b.store, "store");
        TrialSettings trial = b.trial;
        HttpServer server = HttpServer.create(new InetSocketAddress(b.port), 0);
        int port = server.getAddress().getPort();
        URI baseUrl = b.baseUrl != null ? b.baseUrl : URI.create("http://127.0.0.1:" + port);
        Clock clock = Clock.systemUTC();

        HostBatches batches = new HostBatches(ds, new ScreenshotGenerator());
        ObjectUrlSigner signer = new ObjectUrlSigner(b.signingSecret, baseUrl, clock);
        ScreenshotPipeline parts = new ScreenshotPipeline(
                batches,
                signer,
                new ObjectFetcher(Duration.ofSeconds(10), 20_000_000),
                b.visionModel,
                new AnalysisWriter(ds),
                ScreenshotPipeline.DEFAULT_CONCURRENCY);
        Trigger trigger = trigger(b.triggerKind, baseUrl, b.signingSecret, ds);
        PipelineRunner.Builder rb = PipelineRunner.builder(parts.build(trial), store)
                .trigger(trigger)
                .listener(new HostBatchStatusListener(batches));
        for (PipelineListener l : b.listeners) {
            rb.listener(l);
        }
        PipelineRunner runner = rb.build();
        runner.start();
        QueueWorker worker = null;
        if (trigger instanceof QueueTrigger queue) {
            if (!(store instanceof JdbcStageStore jdbc)) {
                throw new IllegalStateException("--trigger queue needs Baton's PostgreSQL store (JdbcStageStore), not "
                        + store.getClass().getName());
            }
            worker = QueueWorker.builder(runner, jdbc, queue)
                    .threads(QUEUE_WORKER_THREADS)
                    .shutdownWait(b.stopWait)
                    .build()
                    .start();
        }

        StageEndpoint endpoint = StageEndpoint.builder(
                        runner,
                        SignatureVerifier.builder()
                                .secret(b.signingSecret)
                                .clock(clock)
                                .build())
                .build();
        ThreadPoolExecutor executor = executor(b.serverThreads);
        server.setExecutor(executor);
        DrainingFilter draining = new DrainingFilter();
        Dashboard dashboard = Dashboard.builder(runner.client())
                .authorizer(
                        b.adminToken == null
                                ? Authorizer.readOnly()
                                : Authorizer.bearerToken(b.adminToken, ADMIN_PRINCIPAL))
                .stalledAfter(b.pendingGrace)
                .build();
        server.createContext(
                        "/",
                        new RootRoute(
                                dashboard,
                                new BatchListing(runner, batches),
                                store::countByState,
                                StageHttpServer.handler(endpoint)))
                .getFilters()
                .add(draining);
        server.createContext(
                        StageEndpoint.START_PATH,
                        new HostProcessBatchRoute(endpoint, batches, trial.screenshotsPerBatch()))
                .getFilters()
                .add(draining);
        server.createContext(ObjectUrlSigner.PATH_PREFIX, new ObjectRoute(new StoredObjects(ds), signer))
                .getFilters()
                .add(draining);
        server.start();
        StallSweeper.Builder sweeping =
                runner.sweeper().pendingGrace(b.pendingGrace).interval(b.sweepInterval);
        if (b.retention != null) {
            Duration every = b.retention.dividedBy(10);
            sweeping.retention(b.retention, BatchState.COMPLETED, BatchState.CANCELLED)
                    .retentionInterval(
                            every.compareTo(Duration.ofSeconds(1)) < 0
                                    ? Duration.ofSeconds(1)
                                    : every.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : every);
        }
        StallSweeper sweeper = sweeping.build();
        sweeper.start();
        LOG.info("listening on port {}; stages trigger each other through {} ({})", port, b.triggerKind, baseUrl);
        return new ExampleApp(
                server, draining, executor, runner, worker, sweeper, batches, baseUrl, b.triggerKind, b.stopWait);
    }

    private static Trigger trigger(TriggerKind kind, URI baseUrl, String secret, DataSource ds) {
        return switch (kind) {
            case HTTP ->
                HttpTrigger.builder().baseUrl(baseUrl.toString()).secret(secret).build();
            case IN_PROCESS ->
                InProcessTrigger.builder()
                        .threads(IN_PROCESS_THREADS)
                        .queueCapacity(10_000)
                        .shutdownWait(Duration.ofSeconds(30))
                        .build();
            case QUEUE -> QueueTrigger.builder(ds).build();
        };
    }

    private static ThreadPoolExecutor executor(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor =
                new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "example-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    /** @return where the app is reached, e.g. {@code http://127.0.0.1:3000} */
    public URI baseUrl() {
        return baseUrl;
    }

    /** @return the port the server listens on */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the runner, for its operations */
    public PipelineRunner runner() {
        return runner;
    }

    /** @return the host's batches */
    public HostBatches batches() {
        return batches;
    }

    /** @return how stages trigger each other */
    public TriggerKind triggerKind() {
        return triggerKind;
    }

    @Override
    public void close() {
        List<RuntimeException> errors = new ArrayList<>();
        LOG.info(
                "stopping: new requests are refused; waiting up to {} for {} running request(s)",
                stopWait,
                draining.inFlight());
        run(errors, () -> {
            try {
                int left = draining.drain(stopWait);
                if (left > 0) {
                    LOG.warn(
                            "{} request(s) still running after {}; their stages keep their leases until they expire "
                                    + "and a"
                                    + " sweeper resumes them",
                            left,
                            stopWait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server.stop(0);
        });
        run(errors, sweeper::close);
        if (worker != null) {
            run(errors, worker::close);
        }
        run(errors, runner::close);
        run(errors, () -> {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(stopWait.toMillis(), TimeUnit.MILLISECONDS)) {
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                executor.shutdownNow();
            }
        });
        if (!errors.isEmpty()) {
            RuntimeException first = errors.get(0);
            errors.subList(1, errors.size()).forEach(first::addSuppressed);
            throw first;
        }
        LOG.info("stopped");
    }

    private static void run(List<RuntimeException> errors, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }
}
