package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.baton.bench.StageTimeline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The floor with many transitions per commit: the same durable work as {@link FloorContender} (a transition
 * updates the batch's queue row and inserts the stage's output as JSONB), but each transaction carries up to
 * {@code perCommit} transitions of different batches, sent as two JDBC batches. Each of the {@code workers}
 * threads holds one connection and keeps up to {@code perCommit} batches of its own in flight; one transaction
 * runs the next stage of every batch it holds, so stage k+1 of a batch starts only after the transaction that
 * wrote stage k has committed, and a batch's six stages are six consecutive transactions of its thread. A
 * finished batch makes room for the next one of the round. A thread holds at most its share of the round's
 * batches ({@code ceil(batches / workers)}), so a round of fewer than {@code perCommit × workers} batches commits
 * fewer transitions at a time. It is what the machine can do for this work when
 * commits are shared: the physical limit.
 */
public final class FloorBatchedContender implements Contender {
    /** Transitions per transaction unless given. */
    public static final int DEFAULT_PER_COMMIT = 50;

    static final String SCHEMA = "bench_floor_batched";

    private final int perCommit;
    private HikariDataSource pool;

    /** The floor at {@value #DEFAULT_PER_COMMIT} transitions per commit. */
    public FloorBatchedContender() {
        this(DEFAULT_PER_COMMIT);
    }

    /**
     * @param perCommit most transitions in one transaction, at least 1
     * @throws IllegalArgumentException if below 1
     */
    public FloorBatchedContender(int perCommit) {
        if (perCommit < 1) {
            throw new IllegalArgumentException("transitions per commit must be at least 1, got " + perCommit);
        }
        this.perCommit = perCommit;
    }

    @Override
    public String name() {
        return "floor-batched";
    }

    /** @return most transitions in one transaction */
    public int perCommit() {
        return perCommit;
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        FloorContender.createTables(db, SCHEMA);
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        pool = db.pool(applicationName(), round.workers());
        FloorContender.fillQueue(pool, SCHEMA, round.batches());
    }

    @Override
    public void run(Round round) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(round.workers(), r -> {
            Thread t = new Thread(r, "floor-batched-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < round.workers(); w++) {
                running.add(threads.submit(() -> {
                    runThread(round, next);
                    return null;
                }));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            for (Future<?> f : running) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            threads.shutdownNow();
        }
    }

    /** One thread: its own batches, taken from {@code next} as room frees up, one stage of each per commit. */
    private void runThread(Round round, AtomicInteger next) throws SQLException {
        StageTimeline timeline = round.timeline();
        String json = round.payload().asJson();
        // a thread holds at most its share of the round, so that a small round still spreads over every thread
        int room = Math.min(perCommit, (round.batches() + round.workers() - 1) / round.workers());
        int[] batch = new int[room];
        int[] stage = new int[room];
        int held = 0;
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement advance = c.prepareStatement(
                            "UPDATE " + SCHEMA + ".queue SET stage = ?, updated_at = now() WHERE batch_id = ?");
                    PreparedStatement output = c.prepareStatement("INSERT INTO " + SCHEMA
                            + ".data (batch_id, stage, data) VALUES (?, ?, CAST(? AS jsonb))")) {
                while (true) {
                    while (held < room) {
                        int b = next.getAndIncrement();
                        if (b >= round.batches()) {
                            break;
                        }
                        batch[held] = b;
                        stage[held] = 0;
                        held++;
                    }
                    if (held == 0) {
                        return;
                    }
                    for (int i = 0; i < held; i++) {
                        timeline.begin(batch[i], stage[i]);
                        timeline.end(batch[i], stage[i]);
                        advance.setInt(1, stage[i] + 1);
                        advance.setLong(2, batch[i] + 1L);
                        advance.addBatch();
                        output.setLong(1, batch[i] + 1L);
                        output.setInt(2, stage[i]);
                        output.setString(3, json);
                        output.addBatch();
                    }
                    advance.executeBatch();
                    output.executeBatch();
                    c.commit();
                    int kept = 0;
                    for (int i = 0; i < held; i++) {
                        if (stage[i] + 1 < STAGES) {
                            batch[kept] = batch[i];
                            stage[kept] = stage[i] + 1;
                            kept++;
                        }
                    }
                    held = kept;
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    @Override
    public void tearDown() {
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
