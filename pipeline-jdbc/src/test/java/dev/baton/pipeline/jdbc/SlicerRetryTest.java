package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.testing.InjectedFailure;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A {@link Slicer} whose items sometimes throw, through the runner and the PostgreSQL store. Each item
 * moves the runner's clock by a millisecond, so a budget of n ms is a slice of n items; the trigger
 * runs on the system clock, which PostgreSQL's {@code run_after} also follows.
 */
class SlicerRetryTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final RetryPolicy QUICK =
            RetryPolicy.exponential(3, Duration.ofMillis(1)).withJitter(0);

    HikariDataSource connections;
    JdbcStageStore store;
    Sql sql;
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final SynchronousTrigger trigger = new SynchronousTrigger();
    final ConcurrentHashMap<Long, ConcurrentHashMap<Integer, AtomicInteger>> calls = new ConcurrentHashMap<>();
    final AtomicInteger failedTries = new AtomicInteger();
    final PipelineListener counter = new PipelineListener() {
        @Override
        public void stageFailed(long batchId, String stage, int attempt, String error) {
            failedTries.incrementAndGet();
        }
    };

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(4);
        connections = new HikariDataSource(config); // a few hundred commits: no new connection for each
        store = JdbcStageStore.builder(connections).build();
        sql = new Sql(connections);
    }

    @AfterEach
    void closeConnections() {
        connections.close();
    }

    /**
     * One item's result; its fields in the order PostgreSQL's jsonb keeps keys, so a stored partial output reads back
     * the same.
     */
    record Square(int item, long square) {}

    /** Squares {@code count} items; {@code fails.test(index, try)} makes that try of that item throw. */
    Stage squares(int count, BiPredicate<Integer, Integer> fails) {
        List<Integer> items = IntStream.range(0, count).boxed().toList();
        return ctx -> Slicer.concurrency(1).reserve(Duration.ZERO).process(ctx, items, i -> {
            int attempt = calls.computeIfAbsent(ctx.batchId(), b -> new ConcurrentHashMap<>())
                    .computeIfAbsent(i, k -> new AtomicInteger())
                    .incrementAndGet();
            clock.advance(Duration.ofMillis(1));
            if (fails.test(i, attempt)) {
                throw new InjectedFailure("item " + i + " broke on try " + attempt);
            }
            return new Square(i, (long) i * i);
        });
    }

    PipelineRunner runner(Stage stage, Duration budget) {
        Pipeline pipeline = Pipeline.builder()
                .stage("squares", stage, s -> s.budget(budget).retry(QUICK))
                .build();
        return PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .listener(counter)
                .build();
    }

    /** Drains the trigger, waiting out the millisecond backoffs, until the batch ends. */
    BatchRecord runToTheEnd(PipelineRunner runner, long batchId) {
        return assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            while (true) {
                trigger.drain();
                BatchRecord r = store.find(batchId).orElseThrow();
                if (r.state().isFinal()) {
                    return r;
                }
                if (trigger.pending() == 0 && r.state() == BatchState.PENDING) {
                    // a retry whose fire came a hair before the database's run_after: fire it again
                    runner.runStage(batchId, r.stage());
                }
            }
        });
    }

    int callsOf(long batchId, int item) {
        return calls.getOrDefault(batchId, new ConcurrentHashMap<>())
                .getOrDefault(item, new AtomicInteger())
                .get();
    }

    @Test
    void a_stage_whose_items_fail_two_percent_of_the_time_completes_with_the_failure_free_output() {
        int count = 3_000;
        PipelineRunner clean = runner(squares(count, (i, attempt) -> false), Duration.ofHours(1));
        clean.client().start(1);
        assertThat(runToTheEnd(clean, 1).state()).isEqualTo(BatchState.COMPLETED);
        String expected = store.readOutput(1, "squares").orElseThrow();
        assertThat(failedTries.getAndSet(0)).isZero();

        // every item whose index is a multiple of 50 fails its first try: exactly 2 %; slices of 40 items
        PipelineRunner flaky =
                runner(squares(count, (i, attempt) -> i % 50 == 0 && attempt == 1), Duration.ofMillis(40));
        flaky.client().start(2);
        BatchRecord done = runToTheEnd(flaky, 2);

        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(2, "squares").orElseThrow()).isEqualTo(expected);
        assertThat(failedTries.get()).as("one failed try per flaky item").isEqualTo(60);
        BatchStatus.StageView view =
                flaky.client().status(2).orElseThrow().stages().get(0);
        // item 0 fails first in its invocation (an ordinary failure); after it each 50 items take two invocations:
        // 40 items and a continuation, then 10 items and the failure of the next flaky item, committed with it
        assertThat(view.invocations()).isEqualTo(1 + 60 * 2);
        assertThat(view.attempts())
                .as("no item needed more than its second try")
                .isEqualTo(2);
        for (int i = 0; i < count; i++) {
            assertThat(callsOf(2, i)).as("calls of item %d", i).isEqualTo(i % 50 == 0 ? 2 : 1);
        }
    }

    @Test
    void an_item_that_always_fails_ends_the_batch_failed_after_the_policys_attempts_with_its_error() {
        PipelineRunner runner = runner(squares(10, (i, attempt) -> i == 4), Duration.ofHours(1));
        runner.client().start(1);
        BatchRecord r = runToTheEnd(runner, 1);

        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.stage()).isEqualTo("squares");
        assertThat(r.attempt()).isEqualTo(3);
        assertThat(r.error())
                .isEqualTo(InjectedFailure.class.getName() + ": item 4 broke on try 3 (gave up after 3 attempts)");
        assertThat(callsOf(1, 4)).isEqualTo(3);
        assertThat(IntStream.range(0, 4).map(i -> callsOf(1, i)).toArray()).containsOnly(1);
        assertThat(sql.queueRow(1)).containsEntry("cursor_text", "4");
        assertThat(store.readOutput(1, "squares").orElseThrow())
                .startsWith("[{")
                .contains("\"item\": 3")
                .doesNotContain("\"item\": 4");
    }

    @Test
    void a_claim_lost_before_the_commit_of_progress_and_failure_writes_nothing() {
        // short results fit one row; long ones are chunked (1 KB chunks): both commits are compare-and-set
        store = JdbcStageStore.builder(connections).chunkThreshold(1024).build();
        for (int length : new int[] {1, 600}) {
            long batchId = length;
            List<Integer> items = IntStream.range(0, 6).boxed().toList();
            Stage stage = ctx -> Slicer.concurrency(1).process(ctx, items, i -> {
                if (i == 2) {
                    store.cancel(ctx.batchId()); // the claim is taken away while the stage runs
                }
                if (i == 3) {
                    throw new InjectedFailure("item 3 broke");
                }
                return "r".repeat(length);
            });
            PipelineRunner runner = runner(stage, Duration.ofHours(1));
            store.create(batchId, "squares");

            StageOutcome outcome = runner.runStage(batchId, "squares");

            assertThat(outcome.kind()).isEqualTo(StageOutcome.Kind.LOST);
            Map<String, Object> row = sql.queueRow(batchId);
            assertThat(row)
                    .containsEntry("status", "cancelled")
                    .containsEntry("attempt", 1)
                    .containsEntry("cursor_text", null)
                    .containsEntry("error_message", null);
            assertThat(sql.outputRows(batchId)).isZero();
            assertThat(trigger.pending()).isZero();
        }
    }
}
