package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The caller side: a client starts batches with an input, idempotently, and starts no thread. */
class BatchClientTest {
    record Order(String customer, List<Integer> items) {}

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore store = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);
    final List<Object> seen = new CopyOnWriteArrayList<>();

    final Pipeline pipeline = Pipeline.builder()
            .stage("total", ctx -> {
                Order order = ctx.input(Order.class).orElse(new Order("nobody", List.of()));
                seen.add(order);
                return StageResult.done(
                        order.items().stream().mapToInt(Integer::intValue).sum());
            })
            .build();

    @Test
    void a_stage_reads_the_input_the_batch_was_started_with() {
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        BatchStatus started =
                runner.client().start(7, new Order("ada", List.of(1, 2, 3))).status();
        assertThat(started.hasInput()).isTrue();
        assertThat(started.state()).isEqualTo(BatchState.PENDING);
        trigger.drain();
        assertThat(seen).containsExactly(new Order("ada", List.of(1, 2, 3)));
        assertThat(store.readOutput(7, "total")).contains("6");
        assertThat(runner.client().input(7, Order.class)).contains(new Order("ada", List.of(1, 2, 3)));
    }

    @Test
    void a_batch_started_without_an_input_sees_none() {
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        assertThat(runner.client().start(8).status().hasInput()).isFalse();
        trigger.drain();
        assertThat(seen).containsExactly(new Order("nobody", List.of()));
        assertThat(runner.client().input(8, Order.class)).isEmpty();
    }

    @Test
    void starting_again_with_an_equal_input_returns_the_existing_run_and_fires_nothing() {
        List<String> fired = new CopyOnWriteArrayList<>();
        BatchClient client = BatchClient.builder(pipeline, store)
                .trigger((batchId, stage) -> fired.add(batchId + ":" + stage))
                .build();
        BatchClient.Started first = client.start(9, new Order("ada", List.of(4)));
        BatchClient.Started again = client.start(9, new Order("ada", List.of(4)));
        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.status()).isEqualTo(first.status());
        assertThat(fired).containsExactly("9:total");
        assertThat(client.start(10).status()).isEqualTo(client.start(10).status());
    }

    @Test
    void starting_again_with_another_input_or_none_is_a_conflict_and_changes_nothing() {
        BatchClient client = BatchClient.builder(pipeline, store).build();
        client.start(11, new Order("ada", List.of(1)));
        var before = store.find(11).orElseThrow();
        assertThatThrownBy(() -> client.start(11, new Order("ada", List.of(2))))
                .isInstanceOf(BatchConflictException.class)
                .hasMessageContaining("batch 11 already has a run")
                .hasMessageContaining("another input");
        assertThatThrownBy(() -> client.start(11)).isInstanceOf(BatchConflictException.class);
        client.start(12);
        assertThatThrownBy(() -> client.start(12, new Order("bob", List.of())))
                .isInstanceOf(BatchConflictException.class)
                .hasMessageContaining("no input");
        assertThat(store.find(11).orElseThrow()).isEqualTo(before);
        assertThat(client.input(11, Order.class)).contains(new Order("ada", List.of(1)));
    }

    @Test
    void start_after_delays_the_first_stage_until_its_time() {
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        BatchStatus started =
                runner.client().start(13, null, Duration.ofMinutes(5)).status();
        assertThat(started.runAfter()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        trigger.drain();
        assertThat(runner.runStage(13, "total").kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        assertThat(store.find(13).orElseThrow().state()).isEqualTo(BatchState.PENDING);
        clock.advance(Duration.ofMinutes(5));
        trigger.drain();
        assertThat(store.find(13).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void an_input_jackson_cannot_write_is_refused_with_advice_and_starts_nothing() {
        Object unwritable = new Object() {
            public Object getSelf() {
                return this;
            }
        };
        BatchClient client = BatchClient.builder(pipeline, store).build();
        assertThatThrownBy(() -> client.start(14, unwritable))
                .isInstanceOf(StageValueException.class)
                .hasMessageContaining("batch 14")
                .hasMessageContaining("input")
                .hasMessageContaining("cannot be written as JSON");
        assertThat(store.find(14)).isEmpty();
    }

    @Test
    void a_client_without_a_trigger_leaves_the_batch_due_for_the_sweeper() {
        BatchClient client = BatchClient.builder(pipeline, store).build();
        client.start(15, new Order("ada", List.of(5)));
        PipelineRunner worker = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        clock.advance(StallSweeper.DEFAULT_PENDING_GRACE.plusSeconds(1));
        assertThat(worker.sweeper().build().sweepOnce()).isEqualTo(1);
        trigger.drain();
        assertThat(store.readOutput(15, "total")).contains("5");
    }

    @Test
    void building_a_client_a_runner_or_a_sweeper_starts_no_thread() {
        Set<String> before = batonThreads();
        BatchClient client =
                BatchClient.builder(pipeline, store).trigger(trigger).build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(InProcessTrigger.builder().threads(2).build())
                .build();
        StallSweeper sweeper = runner.sweeper().interval(Duration.ofMinutes(1)).build();
        client.start(16);
        assertThat(before).containsAll(batonThreads());
        runner.start();
        sweeper.start();
        assertThat(batonThreads()).contains("baton-sweeper").anyMatch(name -> name.startsWith("baton-stage-"));
        sweeper.close();
        sweeper.close();
        runner.close();
        runner.close();
        assertThatThrownBy(runner::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    private static Set<String> batonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith("baton-"))
                .collect(Collectors.toSet());
    }
}
