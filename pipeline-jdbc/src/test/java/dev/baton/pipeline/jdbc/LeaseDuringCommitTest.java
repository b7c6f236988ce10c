package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An invocation keeps its lease until its commit ends, however long its output takes to produce and
 * stream; the next stage's lease counts from the commit; and no sweeper or heartbeat ever waits on a
 * row whose commit is streaming.
 */
class LeaseDuringCommitTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMillis(300);

    JdbcStageStore store;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        sql = new Sql(PG.dataSource());
    }

    Instant leaseUntil(long batchId) {
        Object t = sql.rows("SELECT lease_until FROM batch_processing_queue WHERE batch_id = ?", batchId)
                .get(0)
                .get("lease_until");
        return t == null ? null : ((Timestamp) t).toInstant();
    }

    Instant databaseClock() {
        return ((Timestamp) sql.rows("SELECT clock_timestamp() AS t").get(0).get("t")).toInstant();
    }

    /** Waits on the database's clock, the one leases are decided by. */
    void waitUntilDatabaseClockPasses(Instant instant) {
        while (!databaseClock().isAfter(instant)) {
            sql.rows("SELECT pg_sleep(0.01)");
        }
    }

    @Test
    void a_lazily_produced_output_that_takes_longer_than_the_lease_keeps_the_lease_until_it_is_committed() {
        // the stage's code returns at once; its output is an iterator that is only produced as the store writes it
        Iterator<Integer> slow = new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() {
                return next < 3;
            }

            @Override
            public Integer next() {
                if (next == 1) {
                    // wait until heartbeats have renewed the lease twice: the lease would have expired otherwise
                    Set<Instant> seen = new HashSet<>();
                    Instant giveUp = databaseClock().plusSeconds(20);
                    while (seen.size() < 3 && databaseClock().isBefore(giveUp)) {
                        seen.add(leaseUntil(1));
                        sql.rows("SELECT pg_sleep(0.02)");
                    }
                    assertThat(seen)
                            .as("lease renewed while the output was written")
                            .hasSizeGreaterThanOrEqualTo(3);
                    assertThat(runner.sweeper()
                                    .pendingGrace(Duration.ofMinutes(1))
                                    .build()
                                    .sweepOnce())
                            .as("nothing to rescue")
                            .isZero();
                }
                return next++;
            }
        };
        Pipeline pipeline = Pipeline.builder()
                .lease(LEASE)
                .stage(
                        "produce",
                        ctx -> StageResult.done(Map.of("items", slow)),
                        s -> s.retry(dev.baton.pipeline.RetryPolicy.none()))
                .stage("consume", ctx -> StageResult.done(ctx.output("produce", Map.class)))
                .build();
        SynchronousTrigger trigger = new SynchronousTrigger();
        runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.client().start(1);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> trigger.drain());

        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(1, "consume")).contains("{\"items\": [0, 1, 2]}");
    }

    PipelineRunner runner;

    /** A chunked output that stops half-way until released, holding the row's lock in its transaction. */
    static final class Paused {
        final CountDownLatch streaming = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        JsonSource source() {
            return JsonSource.streamed(out -> {
                out.write("[\"" + "x".repeat(2_000));
                streaming.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                out.write("\"]");
            });
        }
    }

    @Test
    void the_next_stage_lease_counts_from_the_end_of_a_long_streamed_commit() throws Exception {
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", LEASE).orElseThrow();
        Paused paused = new Paused();
        AtomicReference<Instant> streamEnded = new AtomicReference<>();
        CompletableFuture<Optional<BatchRecord>> commit = CompletableFuture.supplyAsync(() -> store.advanceAndClaim(
                claim,
                JsonSource.streamed(out -> {
                    paused.source().writeTo(out);
                    streamEnded.set(databaseClock());
                }),
                "extraction",
                StageStats.NONE,
                LEASE));
        assertThat(paused.streaming.await(30, TimeUnit.SECONDS)).isTrue();
        waitUntilDatabaseClockPasses(databaseClock().plus(LEASE.multipliedBy(3)));
        paused.release.countDown();

        BatchRecord next = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> commit.get())
                .orElseThrow();
        assertThat(next.stage()).isEqualTo("extraction");
        assertThat(leaseUntil(1))
                .as("lease of the next stage, from the end of the stream")
                .isAfterOrEqualTo(streamEnded.get().plus(LEASE).minusMillis(1));
    }

    @Test
    void neither_a_sweeper_nor_a_heartbeat_waits_on_a_row_whose_commit_is_streaming() throws Exception {
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", LEASE).orElseThrow();
        Paused paused = new Paused();
        CompletableFuture<Boolean> commit = CompletableFuture.supplyAsync(
                () -> store.advance(claim, paused.source(), "extraction", StageStats.NONE));
        assertThat(paused.streaming.await(30, TimeUnit.SECONDS)).isTrue();
        waitUntilDatabaseClockPasses(databaseClock().plus(LEASE.multipliedBy(2)));
        try {
            List<BatchRecord> stalled = store.findStalled(Duration.ZERO, 10);
            assertThat(stalled).extracting(BatchRecord::batchId).containsExactly(1L);

            assertThat(assertTimeoutPreemptively(
                            Duration.ofSeconds(10), () -> store.rescue(stalled.get(0), "lease expired", false)))
                    .as("a locked row is skipped")
                    .isEmpty();
            assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> store.heartbeat(claim, LEASE)))
                    .as("the claim is still held by the commit")
                    .isTrue();
        } finally {
            paused.release.countDown();
        }
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> commit.get()))
                .isTrue();
        assertThat(store.find(1).orElseThrow().stage()).isEqualTo("extraction");
        assertThat(store.heartbeat(claim, LEASE))
                .as("after the commit the old claim is gone")
                .isFalse();
    }
}
