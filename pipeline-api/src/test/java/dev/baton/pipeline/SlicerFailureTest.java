package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.InjectedFailure;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * An item that throws inside a {@link Slicer}: the work before it is committed with the failure, the
 * retry resumes at it, and the retry policy limits the tries of each position. Each item moves the
 * runner's clock by a millisecond, so a budget of n ms is a slice of n items.
 */
class SlicerFailureTest {
    static final Duration PER_ITEM = Duration.ofMillis(1);

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);
    final List<String> events = new CopyOnWriteArrayList<>();
    final ConcurrentHashMap<Integer, AtomicInteger> calls = new ConcurrentHashMap<>();
    final PipelineListener recorder = new PipelineListener() {
        @Override
        public void stageFailed(long batchId, String stage, int attempt, String error) {
            events.add("failed attempt " + attempt);
        }

        @Override
        public void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {
            events.add("retried as " + nextAttempt);
        }

        @Override
        public void batchFailed(long batchId, String stage, String error) {
            events.add("batch failed");
        }
    };

    static int square(int i) {
        return i * i % 9973;
    }

    /** Squares items; {@code fails.test(index, try)} makes that try of that item throw. */
    Stage squares(Slicer slicer, int count, BiPredicate<Integer, Integer> fails) {
        List<Integer> items = IntStream.range(0, count).boxed().toList();
        return ctx -> slicer.process(ctx, items, i -> {
            int attempt = calls.computeIfAbsent(i, k -> new AtomicInteger()).incrementAndGet();
            clock.advance(PER_ITEM);
            if (fails.test(i, attempt)) {
                throw new InjectedFailure("item " + i + " broke on try " + attempt);
            }
            return square(i);
        });
    }

    PipelineRunner runner(Stage stage, Duration budget, RetryPolicy retry) {
        Pipeline pipeline = Pipeline.builder()
                .stage("squares", stage, s -> s.budget(budget).retry(retry))
                .build();
        return PipelineRunner.builder(pipeline, memory)
                .trigger(trigger)
                .clock(clock)
                .listener(recorder)
                .build();
    }

    /** Drains the trigger, letting every backoff pass, until the batch ends. */
    BatchRecord runToTheEnd(long batchId) {
        for (int round = 0; round < 10_000; round++) {
            trigger.drain();
            BatchRecord r = memory.find(batchId).orElseThrow();
            if (r.state().isFinal()) {
                return r;
            }
            clock.advance(Duration.ofHours(1));
        }
        throw new AssertionError("batch " + batchId + " did not end: " + memory.find(batchId));
    }

    static String squaresJson(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> Integer.toString(square(i)))
                .collect(Collectors.joining(",", "[", "]"));
    }

    int callsOf(int item) {
        return calls.getOrDefault(item, new AtomicInteger()).get();
    }

    @Test
    void items_committed_before_a_failure_are_not_run_again_on_the_retry() {
        PipelineRunner runner = runner(
                squares(Slicer.concurrency(1), 20, (i, attempt) -> i == 7 && attempt == 1),
                Duration.ofMinutes(1),
                RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        runner.client().start(1);
        trigger.drain();

        BatchRecord waiting = memory.find(1).orElseThrow();
        assertThat(waiting.state()).isEqualTo(BatchState.PENDING);
        assertThat(waiting.attempt()).isEqualTo(2);
        assertThat(waiting.cursor()).isEqualTo("7");
        assertThat(waiting.error())
                .isEqualTo("item 7 of 20 failed: " + InjectedFailure.class.getName()
                        + ": item 7 broke on try 1 (items 0 to 6 were committed; the retry starts at item 7)");
        assertThat(waiting.runAfter()).as("the policy's backoff").isAfter(clock.instant());
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo(squaresJson(7));
        assertThat(events).containsExactly("failed attempt 1", "retried as 2");

        assertThat(runToTheEnd(1).state()).isEqualTo(BatchState.COMPLETED);
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo(squaresJson(20));
        assertThat(IntStream.range(0, 20).map(this::callsOf).toArray())
                .as("calls per item")
                .containsExactly(1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void an_item_that_always_fails_ends_the_batch_failed_after_the_policys_attempts_with_its_error() {
        PipelineRunner runner = runner(
                squares(Slicer.concurrency(1), 10, (i, attempt) -> i == 5),
                Duration.ofMinutes(1),
                RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        runner.client().start(1);
        BatchRecord r = runToTheEnd(1);

        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.stage()).isEqualTo("squares");
        assertThat(r.attempt()).isEqualTo(3);
        assertThat(r.error())
                .isEqualTo(InjectedFailure.class.getName() + ": item 5 broke on try 3 (gave up after 3 attempts)");
        assertThat(callsOf(5))
                .as("the first try, after items 0 to 4, and two retries")
                .isEqualTo(3);
        assertThat(IntStream.range(0, 5).map(this::callsOf).toArray()).containsOnly(1);
        assertThat(callsOf(6)).isZero();
        assertThat(memory.readOutput(1, "squares").orElseThrow())
                .as("the work before the item stays committed")
                .isEqualTo(squaresJson(5));
        assertThat(events)
                .containsExactly(
                        "failed attempt 1",
                        "retried as 2",
                        "failed attempt 2",
                        "retried as 3",
                        "failed attempt 3",
                        "batch failed");
    }

    @Test
    void each_flaky_item_gets_the_policys_attempts_however_many_items_are_flaky() {
        // slices of 25 items: every flaky item (one in 50) is the first of its slice, so each failure is an ordinary
        // one
        // with nothing to commit, and only the continuations after it start the count again; 2 attempts suffice for
        // each
        PipelineRunner runner = runner(
                squares(
                        Slicer.concurrency(1).reserve(Duration.ZERO),
                        1_000,
                        (i, attempt) -> i % 50 == 0 && attempt == 1),
                Duration.ofMillis(25),
                RetryPolicy.exponential(2, Duration.ofSeconds(1)));
        runner.client().start(1);

        assertThat(runToTheEnd(1).state()).isEqualTo(BatchState.COMPLETED);
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo(squaresJson(1_000));
        assertThat(events).filteredOn(e -> e.startsWith("failed")).hasSize(20);
        BatchStatus.StageView view =
                runner.client().status(1).orElseThrow().stages().get(0);
        assertThat(view.attempts())
                .as("no position needed more than its second try")
                .isEqualTo(2);
    }

    @Test
    void with_concurrency_results_are_committed_in_item_order_up_to_the_first_failed_item_and_later_ones_are_redone() {
        CountDownLatch laterItemsFinished = new CountDownLatch(3);
        AtomicInteger running = new AtomicInteger();
        List<Integer> items = IntStream.range(0, 12).boxed().toList();
        Stage stage = ctx -> Slicer.concurrency(4).process(ctx, items, i -> {
            running.incrementAndGet();
            try {
                int attempt = calls.computeIfAbsent(i, k -> new AtomicInteger()).incrementAndGet();
                if (i == 3 && attempt == 1) {
                    // fails only after items 4 to 6, started after it, have finished
                    assertThat(laterItemsFinished.await(30, TimeUnit.SECONDS)).isTrue();
                    throw new InjectedFailure("item 3 broke");
                }
                return square(i);
            } finally {
                if (i >= 4 && i <= 6) {
                    laterItemsFinished.countDown();
                }
                running.decrementAndGet();
            }
        });
        PipelineRunner runner = runner(stage, Duration.ofMinutes(1), RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        runner.client().start(1);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> trigger.drain());

        assertThat(running.get())
                .as("no item still runs when the invocation has returned")
                .isZero();
        BatchRecord waiting = memory.find(1).orElseThrow();
        assertThat(waiting.cursor()).isEqualTo("3");
        assertThat(waiting.error())
                .startsWith("item 3 of 12 failed: " + InjectedFailure.class.getName() + ": item 3 broke");
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo(squaresJson(3));

        assertThat(runToTheEnd(1).state()).isEqualTo(BatchState.COMPLETED);
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo(squaresJson(12));
        assertThat(IntStream.range(0, 3).map(this::callsOf).toArray())
                .as("committed before the failure")
                .containsOnly(1);
        assertThat(IntStream.range(3, 7).map(this::callsOf).toArray())
                .as("the failed item and those that finished after it")
                .containsOnly(2);
    }

    @Test
    void a_stage_that_reports_progress_without_moving_its_cursor_still_ends_failed() {
        Stage stuck = ctx -> StageResult.retryFrom(0, List.of(), "item 0 failed: upstream 503", null);
        PipelineRunner runner = runner(stuck, Duration.ofMinutes(1), RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        runner.client().start(1);
        BatchRecord r = runToTheEnd(1);

        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.attempt())
                .as("cursor none -> 0 is progress once; 0 -> 0 is not")
                .isEqualTo(3);
        assertThat(r.error()).isEqualTo("item 0 failed: upstream 503 (gave up after 3 attempts)");
    }

    @Test
    void a_failure_after_progress_under_a_policy_of_one_attempt_fails_the_batch() {
        PipelineRunner runner = runner(
                squares(Slicer.concurrency(1), 10, (i, attempt) -> i == 3), Duration.ofMinutes(1), RetryPolicy.none());
        runner.client().start(1);
        BatchRecord r = runToTheEnd(1);

        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.attempt()).isEqualTo(1);
        assertThat(r.error())
                .startsWith("item 3 of 10 failed: " + InjectedFailure.class.getName() + ": item 3 broke on try 1");
        assertThat(callsOf(3)).isEqualTo(1);
    }

    @Test
    void a_partial_output_jackson_cannot_write_fails_the_batch_with_advice_and_stores_nothing() {
        Object unwritable = new Object() {
            public Object getSelf() {
                return this;
            }
        };
        PipelineRunner runner = runner(
                ctx -> StageResult.retryFrom(1, unwritable, "item 1 failed", null),
                Duration.ofMinutes(1),
                RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        runner.client().start(1);
        BatchRecord r = runToTheEnd(1);

        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.attempt()).as("not retried").isEqualTo(1);
        assertThat(r.error())
                .contains("batch 1 stage squares")
                .contains("partial output")
                .contains("cannot be written as JSON");
        assertThat(memory.outputCount()).isZero();
    }
}
