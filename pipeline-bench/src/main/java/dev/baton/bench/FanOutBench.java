package dev.baton.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
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
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

/**
 * The fan-out section: the wall time of an item-bound stage against its shard count K, on each trigger. The
 * pipeline has one stage, a {@link FanOut} over the batch's {@code items} items whose work per item is a timed wait
 * of {@code itemTime} (standing for a call to a model or a service), one item at a time per shard; with K shards
 * the ideal wall time is {@code ceil(items / K) × itemTime}, and the rest is Baton's: the hand-off of the batch, the
 * fan-out, one hand-off, claim and commit per shard, and the join. Each cell (trigger, K) gets its own runner
 * over the schema {@value #SCHEMA}; its batches run one after the other, warm-up rounds first. Not thread-safe.
 */
final class FanOutBench {
    /** The section's name, for {@code --only}. */
    static final String SECTION = "fan-out";
    /** The section's tables. */
    static final String SCHEMA = "bench_fanout";
    /** The triggers it can run. */
    static final List<String> TRIGGERS = List.of("in-process", "queue", "http");

    private static final String STAGE = "work";
    private static final String SECRET = "pipeline-bench-fan-out-secret-0123456789";

    /**
     * What the section runs.
     *
     * @param shards shard counts, in order; 1 runs the stage unsharded
     * @param triggers triggers, in order, from {@link #TRIGGERS}
     * @param items items of the stage
     * @param itemTime time of one item
     * @param rounds measured batches per cell
     * @param warmup unmeasured batches per cell first
     */
    record Settings(List<Integer> shards, List<String> triggers, int items, Duration itemTime, int rounds, int warmup) {
        /**
         * Copies the lists.
         *
         * @throws IllegalArgumentException naming the value out of range
         */
        Settings {
            shards = List.copyOf(shards);
            triggers = List.copyOf(triggers);
            if (shards.isEmpty() || shards.stream().anyMatch(k -> k < 1 || k > FanOut.MAX_SHARDS)) {
                throw new IllegalArgumentException("shard counts must be 1.." + FanOut.MAX_SHARDS + ", got " + shards);
            }
            for (String t : triggers) {
                if (!TRIGGERS.contains(t)) {
                    throw new IllegalArgumentException("unknown trigger '" + t + "'; choose from " + TRIGGERS);
                }
            }
            if (triggers.isEmpty() || items < 1 || itemTime.isNegative() || rounds < 1 || warmup < 0) {
                throw new IllegalArgumentException("a fan-out run needs a trigger, items >= 1, a time per item >= 0,"
                        + " rounds >= 1 and warm-up >= 0");
            }
        }

        /** @return the most shards of a cell: the threads a trigger needs to run them all at once */
        int maxShards() {
            return shards.stream().mapToInt(Integer::intValue).max().orElse(1);
        }
    }

    private final Database db;
    private final Settings settings;
    private final PrintStream out;
    private long nextBatch = 1;

    /**
     * @param db the database
     * @param settings what to run
     * @param out where progress goes
     */
    FanOutBench(Database db, Settings settings, PrintStream out) {
        this.db = Objects.requireNonNull(db, "db");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.out = Objects.requireNonNull(out, "out");
    }

    /**
     * @return one result per trigger and shard count, in the settings' order
     * @throws Exception a batch that failed or did not finish, which ends the run
     */
    List<FanOutResult> run() throws Exception {
        db.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        try (HikariDataSource ds = db.pool(applicationName() + "-migrate", 1)) {
            BatonSchema.migrate(ds, SCHEMA, "");
        }
        List<FanOutResult> results = new ArrayList<>();
        double itemMs = settings.itemTime().toNanos() / 1e6;
        for (String trigger : settings.triggers()) {
            Map<Integer, Map<String, List<Long>>> cells = new LinkedHashMap<>();
            for (int k : settings.shards()) {
                Map<String, List<Long>> measured = cell(trigger, k);
                cells.put(k, measured);
                out.printf(
                        Locale.ROOT,
                        "fan-out %-10s K=%-4d wall p50 %,8.0f ms (ideal %,8.0f ms)%n",
                        trigger,
                        k,
                        FanOutResult.median(measured.get("wall")),
                        Math.ceil((double) settings.items() / k) * itemMs);
            }
            double oneShard =
                    cells.containsKey(1) ? FanOutResult.median(cells.get(1).get("wall")) : Double.NaN;
            cells.forEach((k, m) -> results.add(
                    FanOutResult.of(trigger, k, settings.items(), itemMs, m.get("wall"), m.get("stage"), oneShard)));
        }
        return results;
    }

    private String applicationName() {
        return "baton-bench-fan-out";
    }

    /** @return the measured rounds of one cell: {@code wall} and {@code stage} milliseconds */
    private Map<String, List<Long>> cell(String trigger, int shards) throws Exception {
        db.execute("TRUNCATE " + SCHEMA + ".batch_processing_queue, " + SCHEMA + ".batch_processing_data, " + SCHEMA
                + ".batch_processing_shard");
        Map<String, List<Long>> measured = new LinkedHashMap<>();
        measured.put("wall", new ArrayList<>());
        measured.put("stage", new ArrayList<>());
        try (Cell cell = new Cell(trigger, shards)) {
            for (int i = 0; i < settings.warmup() + settings.rounds(); i++) {
                long id = nextBatch++;
                long wall = cell.runBatch(id);
                if (i >= settings.warmup()) {
                    measured.get("wall").add(wall);
                    measured.get("stage").add(cell.stageMillis(id));
                }
            }
        }
        db.awaitGone(applicationName(), Duration.ofSeconds(30));
        return measured;
    }

    /** One trigger and shard count: the pool, the runner, the trigger and what it needs (worker, server). */
    private final class Cell implements AutoCloseable {
        private final Map<Long, CountDownLatch> ended = new ConcurrentHashMap<>();
        private final Map<Long, String> failures = new ConcurrentHashMap<>();
        private final HikariDataSource pool;
        private final PipelineRunner runner;
        private QueueWorker worker;
        private StageHttpServer server;

        Cell(String trigger, int shards) throws SQLException, IOException {
            int threads = settings.maxShards() + 2;
            pool = db.pool(applicationName(), 2 * threads + 4);
            JdbcStageStore store = JdbcStageStore.builder(pool).schema(SCHEMA).build();
            Duration itemTime = settings.itemTime();
            FanOut<Integer> stage = FanOut.each(
                            ctx -> IntStream.range(0, ctx.input(Integer.class).orElseThrow())
                                    .boxed()
                                    .toList(),
                            Slicer.concurrency(1),
                            (Integer item) -> {
                                if (!itemTime.isZero()) {
                                    Thread.sleep(itemTime.toMillis(), itemTime.toNanosPart() % 1_000_000);
                                }
                                return item;
                            })
                    .shards(shards);
            Pipeline pipeline = Pipeline.builder()
                    .stage(STAGE, stage)
                    .retry(RetryPolicy.none())
                    .build();
            QueueTrigger queue =
                    trigger.equals("queue") ? QueueTrigger.builder(pool).build() : null;
            int port = trigger.equals("http") ? freePort() : 0;
            Trigger t = switch (trigger) {
                case "in-process" ->
                    InProcessTrigger.builder()
                            .threads(threads)
                            .shutdownWait(Duration.ofSeconds(30))
                            .build();
                case "queue" -> queue;
                case "http" ->
                    HttpTrigger.builder()
                            .baseUrl("http://127.0.0.1:" + port)
                            .secret(SECRET)
                            .shutdownWait(Duration.ofSeconds(5))
                            .build();
                default -> throw new IllegalArgumentException("unknown trigger " + trigger);
            };
            runner = PipelineRunner.builder(pipeline, store)
                    .trigger(t)
                    .listener(new PipelineListener() {
                        @Override
                        public void batchCompleted(long batchId) {
                            end(batchId);
                        }

                        @Override
                        public void batchFailed(long batchId, String stage, String error) {
                            failures.put(batchId, "batch " + batchId + " failed at " + stage + ": " + error);
                            end(batchId);
                        }
                    })
                    .build();
            runner.start();
            if (queue != null) {
                worker = QueueWorker.builder(runner, store, queue)
                        .threads(threads)
                        .build()
                        .start();
            }
            if (port != 0) {
                StageEndpoint endpoint = StageEndpoint.builder(
                                runner,
                                SignatureVerifier.builder().secret(SECRET).build())
                        .build();
                server = StageHttpServer.builder(endpoint)
                        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                        .threads(2 * threads)
                        .stopWait(Duration.ofSeconds(5))
                        .build();
                server.start();
            }
        }

        private void end(long batchId) {
            CountDownLatch latch = ended.get(batchId);
            if (latch != null) {
                latch.countDown();
            }
        }

        /** @return the batch's wall time, start to completed, in milliseconds */
        long runBatch(long batchId) throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            ended.put(batchId, done);
            long start = System.nanoTime();
            runner.client().start(batchId, settings.items());
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new TimeoutException("fan-out: batch " + batchId + " did not finish in 10 minutes");
            }
            long wall = (System.nanoTime() - start) / 1_000_000;
            String failure = failures.get(batchId);
            if (failure != null) {
                throw new IllegalStateException("fan-out: " + failure);
            }
            return wall;
        }

        /** @return the stage's span in the batch's status, in milliseconds */
        long stageMillis(long batchId) {
            BatchStatus status = runner.client().status(batchId).orElseThrow();
            if (status.state() != BatchState.COMPLETED) {
                throw new IllegalStateException("fan-out: batch " + batchId + " is " + status.state());
            }
            BatchStatus.StageView v = status.stages().get(0);
            return Duration.between(v.startedAt(), v.finishedAt()).toMillis();
        }

        @Override
        public void close() {
            if (server != null) {
                server.close();
            }
            if (worker != null) {
                worker.close();
            }
            runner.close();
            pool.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
