package dev.baton.bench.contenders;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.event.AbstractSchedulerListener;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * db-scheduler ({@code com.github.kagkarlsson:db-scheduler}): the job as six chained one-time tasks.
 * db-scheduler has no output store, so each task hands its output to the next as task data, in the
 * same {@code UPDATE} that completes it ({@link CompletionHandler.OnCompleteReplace}, the library's
 * job-chaining idiom), and the last one inserts its output into a table before it is removed. The
 * scheduler runs {@code workers} threads with the settings its documentation gives for high
 * throughput: lock-and-fetch polling ({@code SELECT … FOR UPDATE SKIP LOCKED}, fetch while fewer than
 * one execution per thread is queued, up to four per thread) and immediate execution of work due now.
 * Unlike Baton and DBOS, only the latest hand-off is kept: task k's output is replaced by task k+1's.
 */
public final class DbSchedulerContender implements Contender {
    static final String SCHEMA = "bench_dbscheduler";
    static final String TABLE = SCHEMA + ".scheduled_tasks";

    private HikariDataSource pool;
    private Scheduler scheduler;
    private Task<Hop> first;
    private CountDownLatch completed;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    /**
     * The data of one execution.
     *
     * @param batchIndex the batch, from 0
     * @param input the previous stage's output, {@code null} for the first stage
     */
    public record Hop(int batchIndex, String input) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    @Override
    public String name() {
        return "dbscheduler";
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute(
                "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE",
                "CREATE SCHEMA " + SCHEMA,
                // db-scheduler's documented PostgreSQL table (version 16)
                "CREATE TABLE " + TABLE + " (task_name TEXT NOT NULL, task_instance TEXT NOT NULL, task_data BYTEA,"
                        + " execution_time TIMESTAMPTZ, picked BOOLEAN NOT NULL, picked_by TEXT, last_success "
                        + "TIMESTAMPTZ,"
                        + " last_failure TIMESTAMPTZ, consecutive_failures INT, last_heartbeat TIMESTAMPTZ, version "
                        + "BIGINT NOT NULL,"
                        + " priority SMALLINT, state TEXT, PRIMARY KEY (task_name, task_instance))",
                "CREATE INDEX execution_time_idx ON " + TABLE + " (execution_time)",
                "CREATE INDEX last_heartbeat_idx ON " + TABLE + " (last_heartbeat)",
                "CREATE INDEX priority_execution_time_idx ON " + TABLE + " (priority DESC, execution_time ASC)",
                "CREATE TABLE " + SCHEMA + ".outputs (batch_id BIGINT PRIMARY KEY, data TEXT NOT NULL)");
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        pool = db.pool(applicationName(), round.workers() + 2);
        try (Connection c = pool.getConnection();
                var s = c.createStatement()) {
            s.execute("TRUNCATE " + TABLE + ", " + SCHEMA + ".outputs");
        }
        failures.clear();
        completed = new CountDownLatch(round.batches());
        List<Task<?>> tasks = new ArrayList<>();
        for (int i = 0; i < STAGES; i++) {
            tasks.add(stage(i, round));
        }
        @SuppressWarnings("unchecked")
        Task<Hop> stage1 = (Task<Hop>) tasks.get(0);
        first = stage1;
        scheduler = Scheduler.create(pool, tasks)
                .tableName(TABLE)
                .schedulerName(new SchedulerName.Fixed(applicationName()))
                .threads(round.workers())
                .pollUsingLockAndFetch(1.0, 4.0)
                .enableImmediateExecution()
                .pollingInterval(Duration.ofSeconds(1))
                .addSchedulerListener(new AbstractSchedulerListener() {
                    @Override
                    public void onExecutionComplete(ExecutionComplete done) {
                        if (done.getResult() == ExecutionComplete.Result.FAILED) {
                            failures.add(done.getExecution().taskInstance + ": "
                                    + done.getCause().map(Throwable::toString).orElse("failed"));
                            completed.countDown();
                        } else if (done.getExecution()
                                .taskInstance
                                .getTaskName()
                                .equals(taskName(STAGES - 1))) {
                            completed.countDown();
                        }
                    }
                })
                .build();
        scheduler.start();
    }

    private static String taskName(int stage) {
        return "stage" + (stage + 1);
    }

    private CustomTask<Hop> stage(int stage, Round round) {
        StageTimeline timeline = round.timeline();
        boolean last = stage == STAGES - 1;
        return Tasks.custom(taskName(stage), Hop.class)
                .onFailure((complete, operations) -> operations.stop())
                .execute((instance, context) -> {
                    int batch = instance.getData().batchIndex();
                    timeline.begin(batch, stage);
                    String output = round.payload().text();
                    timeline.end(batch, stage);
                    if (!last) {
                        return new CompletionHandler.OnCompleteReplace<Hop, Hop>(
                                taskName(stage + 1), new Hop(batch, output));
                    }
                    storeLast(batch, output);
                    return new CompletionHandler.OnCompleteRemove<>();
                });
    }

    private void storeLast(int batch, String output) {
        try (Connection c = pool.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("INSERT INTO " + SCHEMA + ".outputs (batch_id, data) VALUES (?, ?)")) {
            ps.setLong(1, batch + 1L);
            ps.setString(2, output);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("batch " + batch + ": cannot store the last output", e);
        }
    }

    @Override
    public void run(Round round) throws Exception {
        Instant now = Instant.now();
        for (int b = 0; b < round.batches(); b++) {
            scheduler.schedule(first.instance("batch-" + b, new Hop(b, null)), now);
        }
        if (!completed.await(30, TimeUnit.MINUTES)) {
            throw new TimeoutException(
                    name() + ": " + completed.getCount() + " batches still running after 30 minutes");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    name() + ": " + failures.size() + " executions failed, first: " + failures.peek());
        }
    }

    @Override
    public void tearDown() {
        if (scheduler != null) {
            scheduler.stop();
            scheduler = null;
        }
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
