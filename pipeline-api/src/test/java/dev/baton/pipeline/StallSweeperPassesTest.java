package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A scheduled sweep that fails in any way short of a broken JVM leaves the next sweeps running. */
class StallSweeperPassesTest {
    /** What a listener throws past {@code Listeners} (which catches runtime exceptions) into the sweep. */
    static Stream<Named<Supplier<Throwable>>> failures() {
        return Stream.of(
                Named.of("StackOverflowError", () -> new StackOverflowError("listener recursed")),
                Named.of("LinkageError", () -> new NoClassDefFoundError("com/example/Missing")),
                Named.of("AssertionError", () -> new AssertionError("listener assertion")),
                Named.of("a plain Error", () -> new Error("listener bug")));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void a_sweep_that_throws_does_not_stop_the_sweeps_after_it(Supplier<Throwable> failure) {
        MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
        InMemoryStageStore store = new InMemoryStageStore(clock);
        AtomicInteger recoveries = new AtomicInteger();
        CountDownLatch fired = new CountDownLatch(1);
        PipelineListener throwingOnce = new PipelineListener() {
            @Override
            public void stalledRecovered(long batchId, String stage, int attempt) {
                if (recoveries.incrementAndGet() == 1) {
                    sneakyThrow(failure.get());
                }
            }
        };
        Pipeline pipeline = Pipeline.builder()
                .stage("only", ctx -> StageResult.done("done"))
                .build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger((batchId, stage) -> fired.countDown())
                .listener(throwingOnce)
                .build();
        store.create(1, "only");
        store.claim(1, "only", "gone", Pipeline.DEFAULT_LEASE).orElseThrow();
        clock.advance(Pipeline.DEFAULT_LEASE.plusSeconds(1));

        // the first sweep rescues the batch and throws before triggering it; a later one finds it overdue and triggers
        // it
        try (StallSweeper sweeper = runner.sweeper()
                .pendingGrace(Duration.ZERO)
                .interval(Duration.ofMillis(20))
                .build()) {
            sweeper.start();
            assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> fired.await(), "a sweep after the failed one triggered the batch");
        }
        assertThat(recoveries.get()).isGreaterThanOrEqualTo(2);
        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.PENDING);
        runner.close();
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
