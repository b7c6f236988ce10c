package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Runs on the system clock: slicing is about real time budgets. */
class SlicerTest {
    static final List<Integer> ITEMS = IntStream.range(0, 10_000).boxed().toList();

    static Stage squares(Slicer slicer, List<Integer> items, long nanosPerItem) {
        return ctx -> slicer.process(ctx, items, i -> {
            long until = System.nanoTime() + nanosPerItem;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return Math.multiplyExact(i, i) % 9973;
        });
    }

    record Run(String output, BatchStatus.StageView view) {}

    static Run run(Stage stage, Duration budget) {
        InMemoryStageStore store = new InMemoryStageStore();
        SynchronousTrigger trigger = new SynchronousTrigger();
        Pipeline pipeline = Pipeline.builder()
                .stage("squares", stage, s -> s.budget(budget))
                .build();
        try (PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build()) {
            runner.client().start(1);
            trigger.drain();
            assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
            return new Run(
                    store.readOutput(1, "squares").orElseThrow(),
                    runner.client().status(1).orElseThrow().stages().get(0));
        }
    }

    @Test
    void ten_thousand_items_sliced_by_a_one_second_budget_give_the_unsliced_output() {
        Run unsliced = run(squares(Slicer.concurrency(2), ITEMS, 0), Duration.ofMinutes(10));
        assertThat(unsliced.view().invocations()).isEqualTo(1);

        Duration budget = Duration.ofSeconds(1);
        Run sliced = run(squares(Slicer.concurrency(2).reserve(Duration.ofMillis(100)), ITEMS, 400_000), budget);

        assertThat(sliced.output()).isEqualTo(unsliced.output());
        assertThat(sliced.view().invocations()).as("2 s of work in 1 s slices").isGreaterThan(1);
        assertThat(sliced.view().attempts()).isEqualTo(1);
        // the budget is the contract under test: an invocation may overrun it only by the items in flight
        assertThat(sliced.view().maxInvocationMs())
                .as("budget plus the items in flight and a scheduling margin")
                .isLessThanOrEqualTo(budget.toMillis() + 700);
    }

    @Test
    void every_invocation_makes_progress_even_when_the_reserve_exceeds_the_budget() {
        Run run = run(
                squares(Slicer.concurrency(1).reserve(Duration.ofHours(1)), ITEMS.subList(0, 20), 0),
                Duration.ofMillis(50));
        assertThat(run.view().invocations()).isEqualTo(20);
        assertThat(run.output()).startsWith("[0,1,4,9,");
    }
}
