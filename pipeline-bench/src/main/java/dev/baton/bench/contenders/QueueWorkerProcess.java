package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.Payload;
import dev.baton.bench.StageTimeline;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The worker JVM of {@link BatonJvmsContender}: a {@link QueueWorker} of W threads on the six-stage job against
 * the given database and schema, driven over its standard input and reporting on its standard output, one line
 * each (logging goes to standard error):
 *
 * <pre>
 * out: ready                          started, idle
 * in:  round N PAYLOAD_BYTES          a round of batches 1..N begins; out: ready CPU_NANOS
 * out: done ID / failed ID STAGE ERR  as this JVM's runner sees batches end
 * in:  end                            the round is over; out: stamp BATCH STAGE BEGAN ENDED … then ended CPU_NANOS
 * in:  (end of input)                 stops the worker and exits 0
 * </pre>
 *
 * {@code stamp} lines carry {@link System#nanoTime()} of every stage body this JVM ran (the same monotonic clock in
 * every JVM of one Linux machine); {@code CPU_NANOS} is this JVM's CPU time so far.
 */
public final class QueueWorkerProcess {
    /** Environment variable with the database user, if any. */
    static final String USER_ENV = "BATON_BENCH_DB_USER";
    /** Environment variable with the database password, if any. */
    static final String PASSWORD_ENV = "BATON_BENCH_DB_PASSWORD";

    private QueueWorkerProcess() {}

    /**
     * @param args JDBC URL, schema, worker threads, application name
     * @throws Exception if it cannot start or the database fails; the parent sees the exit
     */
    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        if (args.length != 4) {
            System.err.println("usage: QueueWorkerProcess JDBC_URL SCHEMA THREADS APPLICATION_NAME");
            System.exit(2);
        }
        String url = args[0];
        String schema = args[1];
        int threads = Integer.parseInt(args[2]);
        String applicationName = args[3];
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        AtomicReference<StageTimeline> timeline = new AtomicReference<>();
        AtomicReference<Payload> payload = new AtomicReference<>(Payload.ofSize(1024));
        Database db = Database.external(url, System.getenv(USER_ENV), System.getenv(PASSWORD_ENV));
        Pipeline.Builder pipeline = Pipeline.builder();
        for (int i = 0; i < Contender.STAGES; i++) {
            int stage = i;
            pipeline.stage("stage" + (i + 1), ctx -> {
                int batch = (int) ctx.batchId() - 1;
                StageTimeline t = timeline.get();
                t.begin(batch, stage);
                Object output = payload.get().asObject();
                t.end(batch, stage);
                return StageResult.done(output);
            });
        }
        try (HikariDataSource pool = db.pool(applicationName, threads + 4)) {
            JdbcStageStore store = JdbcStageStore.builder(pool).schema(schema).build();
            QueueTrigger trigger = QueueTrigger.builder(pool).build();
            PipelineRunner runner = PipelineRunner.builder(pipeline.build(), store)
                    .trigger(trigger)
                    .listener(new PipelineListener() {
                        @Override
                        public void batchCompleted(long batchId) {
                            out.println("done " + batchId);
                        }

                        @Override
                        public void batchFailed(long batchId, String stage, String error) {
                            out.println("failed " + batchId + " " + stage + " " + error.replaceAll("\\s+", " "));
                        }
                    })
                    .build();
            runner.start();
            QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                    .threads(threads)
                    .build()
                    .start();
            try {
                out.println("ready");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] words = line.trim().split(" ");
                    if (words[0].equals("round") && words.length == 3) {
                        payload.set(Payload.ofSize(Integer.parseInt(words[2])));
                        timeline.set(new StageTimeline(Integer.parseInt(words[1]), Contender.STAGES));
                        out.println("ready " + cpuNanos());
                    } else if (words[0].equals("end")) {
                        StageTimeline t = timeline.get();
                        StringBuilder stamps = new StringBuilder();
                        for (int b = 0; t != null && b < t.batches(); b++) {
                            for (int s = 0; s < t.stages(); s++) {
                                if (t.began(b, s) != 0) {
                                    stamps.append("stamp ")
                                            .append(b)
                                            .append(' ')
                                            .append(s)
                                            .append(' ')
                                            .append(t.began(b, s))
                                            .append(' ')
                                            .append(t.ended(b, s))
                                            .append('\n');
                                }
                            }
                        }
                        out.print(stamps);
                        out.println("ended " + cpuNanos());
                    } else {
                        System.err.println("QueueWorkerProcess: unknown command '" + line + "'");
                    }
                }
            } finally {
                worker.close();
                runner.close();
            }
        }
    }

    private static long cpuNanos() {
        return ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
                .getProcessCpuTime();
    }
}
