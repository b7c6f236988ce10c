package dev.baton.example.lambda;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.example.app.VisionModels;
import dev.baton.example.host.AnalysisWriter;
import dev.baton.example.host.HostBatchStatusListener;
import dev.baton.example.host.HostBatches;
import dev.baton.example.host.HostSchema;
import dev.baton.example.host.StoredObjects;
import dev.baton.example.objectstore.ObjectFetcher;
import dev.baton.example.objectstore.ObjectRoute;
import dev.baton.example.objectstore.ObjectUrlSigner;
import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.example.stages.ScreenshotPipeline;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.aws.lambda.HandOff;
import dev.baton.pipeline.aws.lambda.LambdaHttpHandler;
import dev.baton.pipeline.aws.lambda.LambdaSqsHandler;
import dev.baton.pipeline.aws.lambda.LambdaSweepHandler;
import dev.baton.pipeline.aws.sqs.SqsTrigger;
import dev.baton.pipeline.http.BaseUrl;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.Trigger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Everything one Lambda execution environment builds once: the pool, Baton's store, the migrations (Baton's,
 * then the host's), the runner with the six stages, the trigger, the endpoint and the handlers. Read from
 * the environment: {@code PIPELINE_JDBC_URL}, {@code PIPELINE_SIGNING_SECRET}, {@code PIPELINE_API_URL} (the
 * function URL, where stage requests go), {@code PIPELINE_EXAMPLE_ARGS} (the trial flags of {@code serve}),
 * and, optional, {@code PIPELINE_STAGE_MARGIN} and {@code PIPELINE_PENDING_GRACE} (durations such as
 * {@code 3s}), {@code PIPELINE_HAND_OFF_WAIT} (default 2.5 s) and {@code PIPELINE_SQS_QUEUE_URL} (hand
 * stages off through that queue, run by {@link QueueFunction}, instead of the function URL).
 *
 * <p>The screenshots are served to the setup stage by a small object route on the environment's loopback
 * interface (the JDK server of {@code serve}), so that the stage does not call its own function URL;
 * a real host would sign S3 URLs.
 */
final class LambdaEnvironment {
    private static final Logger LOG = LoggerFactory.getLogger(LambdaEnvironment.class);
    /** Connections per environment: one stage request at a time, its heartbeat, its slices, the sweeper. */
    static final int POOL_SIZE = 6;
    /** When set, stages hand off through this SQS queue (and {@link QueueFunction}) instead of the function URL. */
    static final String QUEUE_URL = "PIPELINE_SQS_QUEUE_URL";

    private static volatile LambdaEnvironment current;

    final PipelineRunner runner;
    final LambdaHttpHandler http;
    final LambdaSweepHandler sweep;
    final LambdaSqsHandler queue;
    final ColdStart coldStart;

    private LambdaEnvironment(
            PipelineRunner runner,
            LambdaHttpHandler http,
            LambdaSweepHandler sweep,
            LambdaSqsHandler queue,
            ColdStart coldStart) {
        this.runner = runner;
        this.http = http;
        this.sweep = sweep;
        this.queue = queue;
        this.coldStart = coldStart;
    }

    /** @return this environment's parts, built on the first call (the handler's construction, in Lambda's init) */
    static LambdaEnvironment get() {
        LambdaEnvironment e = current;
        if (e == null) {
            synchronized (LambdaEnvironment.class) {
                e = current;
                if (e == null) {
                    e = build(System::getenv);
                    current = e;
                }
            }
        }
        return e;
    }

    static LambdaEnvironment build(Function<String, String> env) {
        long began = System.nanoTime();
        String jdbcUrl = required(env, "PIPELINE_JDBC_URL");
        String secret = required(env, "PIPELINE_SIGNING_SECRET");
        TrialSettings trial = LambdaArgs.parse(env.apply("PIPELINE_EXAMPLE_ARGS"));
        Duration margin = duration(env, "PIPELINE_STAGE_MARGIN", LambdaHttpHandler.DEFAULT_MARGIN);
        Duration pendingGrace = duration(env, "PIPELINE_PENDING_GRACE", Duration.ofSeconds(10));
        Duration handOffWait = duration(env, "PIPELINE_HAND_OFF_WAIT", LambdaHttpHandler.DEFAULT_HAND_OFF_WAIT);

        HikariDataSource ds = pool(jdbcUrl);
        BatonSchema.migrate(ds);
        try {
            HostSchema.migrate(ds);
        } catch (SQLException e) {
            throw new IllegalStateException("the host's migrations failed: " + e.getMessage(), e);
        }
        JdbcStageStore store = JdbcStageStore.builder(ds).build();
        Clock clock = Clock.systemUTC();
        HostBatches batches = new HostBatches(ds, new ScreenshotGenerator());
        URI objects = objectServer(ds, secret, clock);
        ObjectUrlSigner signer = new ObjectUrlSigner(secret, objects, clock);
        ScreenshotPipeline parts = new ScreenshotPipeline(
                batches,
                signer,
                new ObjectFetcher(Duration.ofSeconds(10), 20_000_000),
                VisionModels.fromEnvironment(env),
                new AnalysisWriter(ds),
                ScreenshotPipeline.DEFAULT_CONCURRENCY);
        String queueUrl = env.apply(QUEUE_URL);
        Trigger trigger;
        HandOff handOff;
        if (queueUrl != null && !queueUrl.isBlank()) {
            SqsTrigger sqs = SqsTrigger.builder(
                            SqsClient.builder()
                                    .httpClient(UrlConnectionHttpClient.create())
                                    .build(),
                            queueUrl)
                    .build();
            trigger = sqs;
            handOff = sqs::awaitIdle;
        } else {
            HttpTrigger http = HttpTrigger.builder()
                    .baseUrl(BaseUrl.resolve(null, env).toString())
                    .secret(secret)
                    // the next stage runs inside its request: once the request has left, wait no longer for its answer
                    .handoffTimeout(Duration.ofSeconds(1))
                    .build();
            trigger = http;
            handOff = http::awaitIdle;
        }
        ColdStart coldStart = new ColdStart();
        PipelineRunner runner = runner(parts, trial, store, trigger, batches, coldStart);
        runner.start();
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner,
                        SignatureVerifier.builder().secret(secret).clock(clock).build())
                .build();
        HostStart start = new HostStart(endpoint, batches, trial.screenshotsPerBatch());
        LambdaHttpHandler http = LambdaHttpHandler.builder(endpoint)
                .handOff(handOff)
                .margin(margin)
                .handOffWait(handOffWait)
                .route(StageEndpoint.START_PATH, start::handle)
                .build();
        StallSweeper sweeper = runner.sweeper().pendingGrace(pendingGrace).build();
        LambdaSweepHandler sweep = new LambdaSweepHandler(sweeper, handOff, margin);
        LambdaSqsHandler queue = LambdaSqsHandler.builder(runner, store)
                .handOff(handOff)
                .margin(margin)
                .handOffWait(handOffWait)
                .build();
        LOG.info(
                "environment ready in {} ms: stages {} hand off through {}, stage margin {}",
                (System.nanoTime() - began) / 1_000_000,
                runner.pipeline().stageNames(),
                queueUrl != null && !queueUrl.isBlank() ? "SQS " + queueUrl : BaseUrl.resolve(null, env),
                margin);
        coldStart.ready();
        return new LambdaEnvironment(runner, http, sweep, queue, coldStart);
    }

    private static PipelineRunner runner(
            ScreenshotPipeline parts,
            TrialSettings trial,
            JdbcStageStore store,
            Trigger trigger,
            HostBatches batches,
            ColdStart coldStart) {
        return PipelineRunner.builder(parts.build(trial), store)
                .trigger(trigger)
                .listener(new HostBatchStatusListener(batches))
                .listener(coldStart)
                .build();
    }

    private static URI objectServer(HikariDataSource ds, String secret, Clock clock) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            server.createContext(
                    ObjectUrlSigner.PATH_PREFIX,
                    new ObjectRoute(new StoredObjects(ds), new ObjectUrlSigner(secret, base, clock)));
            server.setExecutor(Executors.newFixedThreadPool(ScreenshotPipeline.DEFAULT_CONCURRENCY, r -> {
                Thread t = new Thread(r, "example-objects");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException("the loopback object route cannot be bound", e);
        }
    }

    private static HikariDataSource pool(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("PIPELINE_JDBC_URL must be a PostgreSQL JDBC URL"
                    + " (jdbc:postgresql://HOST:PORT/DB?user=U&password=P)");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("baton-lambda");
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(5_000);
        config.setValidationTimeout(2_000);
        config.addDataSourceProperty("socketTimeout", "30");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        return new HikariDataSource(config);
    }

    private static String required(Function<String, String> env, String name) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(name + " is not set; the Lambda handler needs it (see the example README,"
                    + " \"Deploy to AWS Lambda\")");
        }
        return v;
    }

    private static Duration duration(Function<String, String> env, String name, Duration otherwise) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            return t.endsWith("ms")
                    ? Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)))
                    : Duration.parse("PT" + t.toUpperCase(java.util.Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 3s or 500ms, got '" + v + "'", e);
        }
    }
}
