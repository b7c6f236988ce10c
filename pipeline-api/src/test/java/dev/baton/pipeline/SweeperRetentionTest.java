package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The sweeper's retention: a scheduled purge of finished batches, whose failed passes never stop the next. */
class SweeperRetentionTest {
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final Pipeline pipeline =
            Pipeline.builder().stage("only", ctx -> StageResult.done("done")).build();

    private void completed(long batchId) {
        memory.create(batchId, "only");
        var claim = memory.claim(batchId, "only", "w", Duration.ofMinutes(1)).orElseThrow();
        assertThat(memory.advance(claim, "1", Pipeline.COMPLETED, StageStats.NONE))
                .isTrue();
    }

    @Test
    void a_started_sweeper_with_retention_purges_what_finished_before_the_period_and_keeps_the_rest() {
        completed(1);
        memory.create(2, "only"); // cancelled after the clock moved: younger than the period
        clock.advance(Duration.ofDays(8));
        memory.cancel(2).orElseThrow();
        memory.create(3, "only"); // pending: never purged
        PipelineRunner runner = PipelineRunner.builder(pipeline, memory)
                .trigger((batchId, stage) -> {})
                .build();
        try (StallSweeper sweeper = runner.sweeper()
                .retention(Duration.ofDays(7), BatchState.COMPLETED, BatchState.CANCELLED)
                .retentionInterval(Duration.ofMillis(10))
                .build()) {
            assertThat(memory.find(1)).as("building starts nothing").isPresent();
            sweeper.start();
            await(() -> memory.find(1).isEmpty(), "the retention thread purged batch 1");
        }
        assertThat(memory.find(2).orElseThrow().state()).isEqualTo(BatchState.CANCELLED);
        assertThat(memory.find(3).orElseThrow().state()).isEqualTo(BatchState.PENDING);
        runner.close();
    }

    @Test
    void a_retention_pass_that_fails_does_not_stop_the_passes_after_it() {
        completed(1);
        clock.advance(Duration.ofHours(2));
        AtomicInteger purges = new AtomicInteger();
        StageStore failingOnce = (StageStore) Proxy.newProxyInstance(
                StageStore.class.getClassLoader(), new Class<?>[] {StageStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("purgeFinished") && purges.incrementAndGet() == 1) {
                        throw new IllegalStateException("the database is away");
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        PipelineRunner runner = PipelineRunner.builder(pipeline, failingOnce)
                .trigger((batchId, stage) -> {})
                .build();
        try (StallSweeper sweeper = runner.sweeper()
                .retention(Duration.ofHours(1), BatchState.COMPLETED)
                .retentionInterval(Duration.ofMillis(10))
                .build()) {
            sweeper.start();
            await(() -> memory.find(1).isEmpty(), "a pass after the failed one purged batch 1");
        }
        assertThat(purges.get()).isGreaterThanOrEqualTo(2);
        runner.close();
    }

    @Test
    void retention_refuses_unfinished_states_and_a_sweeper_without_it_refuses_to_purge() {
        PipelineRunner runner = PipelineRunner.builder(pipeline, memory)
                .trigger((batchId, stage) -> {})
                .build();
        assertThatThrownBy(() -> runner.sweeper().retention(Duration.ofDays(1), BatchState.PENDING))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only finished batches can be purged");
        assertThatThrownBy(() -> runner.sweeper().retention(Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("completed, cancelled and/or failed");
        assertThatThrownBy(() -> runner.sweeper().retention(Duration.ofDays(-1), BatchState.COMPLETED))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner.sweeper().retentionInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner.sweeper().build().purgeOnce())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("retention(period, states...)");
        completed(1);
        clock.advance(Duration.ofMinutes(1));
        assertThat(runner.sweeper()
                        .retention(Duration.ZERO, BatchState.COMPLETED)
                        .build()
                        .purgeOnce())
                .isEqualTo(1);
        assertThat(runner.client().purge(Duration.ZERO, Set.of(BatchState.COMPLETED)))
                .isZero();
        runner.close();
    }

    /** Polls until {@code done}, with a generous deadline. */
    private static void await(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.yield();
        }
    }
}
