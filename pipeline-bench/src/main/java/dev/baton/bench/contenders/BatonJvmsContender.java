package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Baton's queue with its workers in other JVMs: {@code jvms} child processes ({@link QueueWorkerProcess}, started
 * with this JVM's {@code java} and class path), each a {@link dev.baton.pipeline.jdbc.QueueWorker} of
 * {@code threadsPerJvm} threads on one
 * PostgreSQL, while this JVM creates the batches (a {@link PipelineRunner} with the {@link QueueTrigger} and no
 * worker: {@code start} inserts the row and sends {@code NOTIFY}) and measures. The children live from {@link #open}
 * to {@link #close}, across the rounds of one point, so that their JIT warms up in the warm-up rounds like an
 * in-process contender's. The round ends when the children have reported every batch done; afterwards each child
 * sends the stamps of the stage bodies it ran, which go into the round's timeline. Its tables are in their own
 * schema, {@value #SCHEMA}. Not thread-safe.
 */
public final class BatonJvmsContender implements Contender {
    static final String SCHEMA = "bench_jvms";
    private static final Duration START_WAIT = Duration.ofMinutes(2);
    private static final Duration REPLY_WAIT = Duration.ofMinutes(1);

    private final int jvms;
    private final int threadsPerJvm;
    private final List<Child> children = new ArrayList<>();
    private final AtomicReference<StageTimeline> timeline = new AtomicReference<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile CountDownLatch completed = new CountDownLatch(0);
    private HikariDataSource pool;
    private PipelineRunner runner;
    private long childCpuNanos;

    /**
     * @param jvms worker JVMs, 1 to 16
     * @param threadsPerJvm queue worker threads in each, 1 to 64
     * @throws IllegalArgumentException if out of range
     */
    public BatonJvmsContender(int jvms, int threadsPerJvm) {
        if (jvms < 1 || jvms > 16 || threadsPerJvm < 1 || threadsPerJvm > 64) {
            throw new IllegalArgumentException(
                    "worker JVMs must be 1..16 and threads per JVM 1..64, got " + jvms + " and " + threadsPerJvm);
        }
        this.jvms = jvms;
        this.threadsPerJvm = threadsPerJvm;
    }

    @Override
    public String name() {
        return "baton-queue-" + jvms + "jvm";
    }

    /** @return worker JVMs */
    public int jvms() {
        return jvms;
    }

    /** @return queue worker threads per JVM */
    public int threadsPerJvm() {
        return threadsPerJvm;
    }

    /** @return CPU time the worker JVMs used in the last round, from its start to its end, summed */
    public long lastRoundChildCpuNanos() {
        return childCpuNanos;
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        try (HikariDataSource ds = db.pool(applicationName() + "-migrate", 1)) {
            BatonSchema.migrate(ds, SCHEMA, "");
        }
    }

    /**
     * Starts the worker JVMs and waits until each is listening.
     *
     * @param db the database they connect to
     * @throws IOException if a JVM cannot be started
     * @throws TimeoutException if one is not ready within two minutes
     * @throws IllegalStateException if one exits instead
     */
    public void open(Database db) throws IOException, InterruptedException, TimeoutException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 1; i <= jvms; i++) {
            ProcessBuilder pb = new ProcessBuilder(
                            java,
                            "-Xmx512m",
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            "-cp",
                            System.getProperty("java.class.path"),
                            QueueWorkerProcess.class.getName(),
                            db.jdbcUrl(),
                            SCHEMA,
                            Integer.toString(threadsPerJvm),
                            applicationName() + "-child")
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            if (db.user() != null) {
                pb.environment().put(QueueWorkerProcess.USER_ENV, db.user());
            }
            if (db.password() != null) {
                pb.environment().put(QueueWorkerProcess.PASSWORD_ENV, db.password());
            }
            Child child = new Child(i, pb.start());
            children.add(child);
            child.reader.start();
        }
        for (Child c : children) {
            c.await("ready", START_WAIT);
        }
    }

    @Override
    public void setUp(Database db, Round round)
            throws SQLException, IOException, InterruptedException, TimeoutException {
        if (children.isEmpty()) {
            throw new IllegalStateException(name() + ": open() starts the worker JVMs before the first round");
        }
        // the starting thread's create + NOTIFY, and a heartbeat
        pool = db.pool(applicationName(), 2);
        try (Connection c = pool.getConnection();
                var s = c.createStatement()) {
            s.execute("TRUNCATE " + SCHEMA + ".batch_processing_queue, " + SCHEMA + ".batch_processing_data");
        }
        failures.clear();
        completed = new CountDownLatch(round.batches());
        timeline.set(round.timeline());
        long cpu = 0;
        for (Child c : children) {
            c.send("round " + round.batches() + " " + round.payload().size());
        }
        for (Child c : children) {
            cpu += Long.parseLong(c.await("ready ", REPLY_WAIT).substring("ready ".length()));
        }
        childCpuNanos = -cpu;
        Pipeline.Builder pipeline = Pipeline.builder();
        for (int i = 0; i < STAGES; i++) {
            pipeline.stage("stage" + (i + 1), ctx -> {
                throw new IllegalStateException("the starting JVM runs no stages");
            });
        }
        runner = PipelineRunner.builder(
                        pipeline.build(),
                        JdbcStageStore.builder(pool).schema(SCHEMA).build())
                .trigger(QueueTrigger.builder(pool).build())
                .build();
        runner.start();
    }

    @Override
    public void run(Round round) throws Exception {
        for (long id = 1; id <= round.batches(); id++) {
            runner.client().start(id);
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (!completed.await(1, TimeUnit.SECONDS)) {
            for (Child c : children) {
                if (!c.process.isAlive()) {
                    throw new IllegalStateException(name() + ": worker JVM " + c.number + " exited with "
                            + c.process.exitValue() + " while " + completed.getCount() + " batches were running");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(
                        name() + ": " + completed.getCount() + " batches still running after 30 minutes");
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    name() + ": " + failures.size() + " batches failed, first: " + failures.peek());
        }
    }

    @Override
    public void tearDown() throws IOException, InterruptedException, TimeoutException {
        try {
            if (runner != null && children.stream().allMatch(c -> c.process.isAlive())) {
                long cpu = 0;
                for (Child c : children) {
                    c.send("end");
                }
                for (Child c : children) {
                    cpu += Long.parseLong(c.await("ended ", REPLY_WAIT).substring("ended ".length()));
                }
                childCpuNanos += cpu;
            }
        } finally {
            if (runner != null) {
                runner.close();
                runner = null;
            }
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }
    }

    /**
     * Ends the worker JVMs: closes their input and waits for them to exit (and kills one that does not within a
     * minute).
     *
     * @throws IllegalStateException naming a JVM that did not exit cleanly
     */
    public void close() throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (Child c : children) {
            try {
                c.input.close();
            } catch (IOException e) {
                problems.add("worker JVM " + c.number + ": cannot close its input: " + e.getMessage());
            }
        }
        for (Child c : children) {
            if (!c.process.waitFor(REPLY_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                c.process.destroyForcibly();
                problems.add("worker JVM " + c.number + " did not exit within " + REPLY_WAIT + " and was killed");
            } else if (c.process.exitValue() != 0) {
                problems.add("worker JVM " + c.number + " exited with " + c.process.exitValue());
            }
            c.reader.join(TimeUnit.SECONDS.toMillis(10));
        }
        children.clear();
        if (!problems.isEmpty()) {
            throw new IllegalStateException(name() + ": " + String.join("; ", problems));
        }
    }

    /** One worker JVM: its process, its input, and the thread that reads what it reports. */
    private final class Child {
        final int number;
        final Process process;
        final Writer input;
        final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        final Thread reader;

        Child(int number, Process process) {
            this.number = number;
            this.process = process;
            this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.reader = new Thread(this::read, "bench-jvm-" + number + "-reader");
            reader.setDaemon(true);
        }

        private void read() {
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("done ")) {
                        completed.countDown();
                    } else if (line.startsWith("failed ")) {
                        failures.add("worker JVM " + number + ": batch " + line.substring("failed ".length()));
                        completed.countDown();
                    } else if (line.startsWith("stamp ")) {
                        String[] w = line.split(" ");
                        timeline.get()
                                .record(
                                        Integer.parseInt(w[1]),
                                        Integer.parseInt(w[2]),
                                        Long.parseLong(w[3]),
                                        Long.parseLong(w[4]));
                    } else {
                        replies.add(line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                replies.add("error " + e);
            }
            replies.add("exited");
        }

        void send(String command) throws IOException {
            input.write(command + "\n");
            input.flush();
        }

        /** @return the next reply, which must start with {@code prefix} */
        String await(String prefix, Duration timeout) throws InterruptedException, TimeoutException {
            String reply = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply == null) {
                throw new TimeoutException(
                        name() + ": worker JVM " + number + " did not answer '" + prefix.trim() + "' in " + timeout);
            }
            if (!reply.startsWith(prefix)) {
                throw new IllegalStateException(name() + ": worker JVM " + number + " answered '" + reply
                        + "' instead of '" + prefix.trim() + "'; its standard error says why");
            }
            return reply;
        }
    }
}
