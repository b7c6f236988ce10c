package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.Faults;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.InjectedFailure;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class PipelineRunnerTest {
    static final List<String> SIX =
            List.of("setup", "extraction", "annotation", "validation", "metadata", "persistence");

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);
    final List<String> events = new CopyOnWriteArrayList<>();
    final PipelineListener recorder = new PipelineListener() {
        @Override
        public void stageRetried(long batchId, String stage, int nextAttempt, Duration backoff) {
            events.add("retried " + stage + " " + nextAttempt);
        }

        @Override
        public void batchCompleted(long batchId) {
            events.add("completed " + batchId);
        }

        @Override
        public void batchFailed(long batchId, String stage, String error) {
            events.add("failed " + batchId + " " + stage + " " + error);
        }

        @Override
        public void stalledRecovered(long batchId, String stage, int attempt) {
            events.add("recovered " + batchId + " " + stage + " " + attempt);
        }
    };

    /** Each stage appends its name to the previous stage's output list. */
    static Stage appending(String previous) {
        return ctx -> {
            List<String> seen = new ArrayList<>();
            if (previous != null) {
                for (Object o : ctx.output(previous, List.class)) {
                    seen.add((String) o);
                }
            }
            seen.add(ctx.stage());
            return StageResult.done(seen);
        };
    }

    Pipeline.Builder six(Map<String, Stage> overrides) {
        Pipeline.Builder b = Pipeline.builder().retry(RetryPolicy.exponential(3, Duration.ofSeconds(1)));
        String previous = null;
        for (String name : SIX) {
            b.stage(name, overrides.getOrDefault(name, appending(previous)));
            previous = name;
        }
        return b;
    }

    PipelineRunner runner(Pipeline pipeline, StageStore store) {
        return PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .listener(recorder)
                .build();
    }

    @Test
    void six_stages_complete_in_order_each_reading_the_one_before() {
        PipelineRunner runner = runner(six(Map.of()).build(), memory);
        runner.client().start(7);
        assertThat(trigger.drain()).isEqualTo(6);
        BatchRecord r = memory.find(7).orElseThrow();
        assertThat(r.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(r.stage()).isEqualTo(Pipeline.COMPLETED);
        assertThat(memory.outputCount()).isEqualTo(6);
        assertThat(memory.readOutput(7, "persistence").orElseThrow())
                .isEqualTo("[\"setup\",\"extraction\",\"annotation\",\"validation\",\"metadata\",\"persistence\"]");
        assertThat(events).containsExactly("completed 7");
        BatchStatus status = runner.client().status(7).orElseThrow();
        assertThat(status.stages()).extracting(BatchStatus.StageView::name).containsExactlyElementsOf(SIX);
        assertThat(status.stages()).allSatisfy(s -> {
            assertThat(s.attempts()).isEqualTo(1);
            assertThat(s.invocations()).isEqualTo(1);
            assertThat(s.finishedAt()).isNotNull();
        });
    }

    @Test
    void a_stage_failing_twice_then_succeeding_completes_on_attempt_three() {
        PipelineRunner runner = runner(
                six(Map.of("annotation", Faults.failTimes(appending("extraction"), 2)))
                        .build(),
                memory);
        runner.client().start(1);
        trigger.drain();
        BatchRecord waiting = memory.find(1).orElseThrow();
        assertThat(waiting.stage()).isEqualTo("annotation");
        assertThat(waiting.attempt()).isEqualTo(2);
        assertThat(waiting.state()).isEqualTo(BatchState.PENDING);
        assertThat(waiting.runAfter()).isAfter(clock.instant());
        assertThat(waiting.error()).contains(InjectedFailure.class.getName()).contains("injected failure 1 of 2");
        clock.advance(Duration.ofMinutes(10));
        trigger.drain();
        clock.advance(Duration.ofMinutes(10));
        trigger.drain();
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(runner.client().status(1).orElseThrow().stages().get(2).attempts())
                .isEqualTo(3);
        assertThat(events).containsExactly("retried annotation 2", "retried annotation 3", "completed 1");
    }

    @Test
    void exhausting_retries_fails_the_batch_at_that_stage_with_the_error() {
        PipelineRunner runner = runner(
                six(Map.of("validation", Faults.failAlways("model offline"))).build(), memory);
        runner.client().start(1);
        for (int i = 0; i < 4; i++) {
            trigger.drain();
            clock.advance(Duration.ofHours(1));
        }
        BatchRecord r = memory.find(1).orElseThrow();
        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.stage()).isEqualTo("validation");
        assertThat(r.attempt()).isEqualTo(3);
        assertThat(r.error()).isEqualTo(InjectedFailure.class.getName() + ": model offline (gave up after 3 attempts)");
        assertThat(memory.readOutput(1, "validation")).isEmpty();
        assertThat(events).last().isEqualTo("failed 1 validation " + r.error());
    }

    @Test
    void a_permanent_failure_is_not_retried() {
        PipelineRunner runner = runner(
                six(Map.of("setup", ctx -> StageResult.fail("batch has no screenshots")))
                        .build(),
                memory);
        runner.client().start(1);
        trigger.drain();
        BatchRecord r = memory.find(1).orElseThrow();
        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.attempt()).isEqualTo(1);
        assertThat(r.error()).isEqualTo("batch has no screenshots");
    }

    @Test
    void a_trigger_for_a_stage_the_batch_has_passed_is_a_no_op() {
        PipelineRunner runner = runner(six(Map.of()).build(), memory);
        runner.client().start(1);
        trigger.drain();
        BatchRecord before = memory.find(1).orElseThrow();
        StageOutcome outcome = runner.runStage(1, "extraction");
        assertThat(outcome.kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        assertThat(outcome.detail()).contains("is at stage 'completed'");
        assertThat(memory.find(1).orElseThrow()).isEqualTo(before);
        assertThat(memory.outputCount()).isEqualTo(6);
    }

    @Test
    void bad_input_is_refused_with_a_specific_error_and_changes_nothing() {
        PipelineRunner runner = runner(six(Map.of()).build(), memory);
        runner.client().start(1);
        BatchRecord before = memory.find(1).orElseThrow();
        assertThatThrownBy(() -> runner.runStage(1, "resize"))
                .isInstanceOf(UnknownStageException.class)
                .hasMessageContaining("unknown stage 'resize'")
                .hasMessageContaining("setup");
        assertThatThrownBy(() -> runner.client().start(1, Map.of("other", "input")))
                .isInstanceOf(BatchConflictException.class)
                .hasMessageContaining("batch 1 already has a run")
                .hasMessageContaining("no input");
        assertThatThrownBy(() -> runner.client().start(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner.client().start(2, null, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startAfter");
        assertThat(runner.runStage(99, "setup").kind()).isEqualTo(StageOutcome.Kind.NOT_FOUND);
        assertThat(memory.find(1).orElseThrow()).isEqualTo(before);
        assertThat(memory.outputCount()).isZero();
    }

    @Test
    void an_output_jackson_cannot_write_fails_the_stage_with_advice_and_stores_nothing() {
        Object unwritable = new Object() {
            public Object getSelf() {
                return this;
            }
        };
        PipelineRunner runner =
                runner(six(Map.of("setup", ctx -> StageResult.done(unwritable))).build(), memory);
        runner.client().start(1);
        trigger.drain();
        BatchRecord r = memory.find(1).orElseThrow();
        assertThat(r.state()).isEqualTo(BatchState.FAILED);
        assertThat(r.error())
                .contains("batch 1 stage setup")
                .contains("cannot be written as JSON")
                .contains("Jackson");
        assertThat(memory.outputCount()).isZero();
    }

    @Test
    void a_crash_between_execute_and_commit_leaves_no_output_and_the_sweeper_runs_the_stage_again() {
        StageStore crashing = Faults.crashBeforeCommit(memory, "metadata", 1);
        PipelineRunner runner = runner(six(Map.of()).build(), crashing);
        runner.client().start(1);
        assertThatThrownBy(trigger::drain).isInstanceOf(Faults.SimulatedCrash.class);
        BatchRecord stuck = memory.find(1).orElseThrow();
        assertThat(stuck.stage()).isEqualTo("metadata");
        assertThat(stuck.state()).isEqualTo(BatchState.IN_PROGRESS);
        assertThat(memory.readOutput(1, "metadata")).isEmpty();

        StallSweeper sweeper =
                runner.sweeper().pendingGrace(Duration.ofSeconds(30)).build();
        assertThat(sweeper.sweepOnce()).as("lease not yet expired").isZero();
        clock.advance(Pipeline.DEFAULT_LEASE.plusSeconds(1));
        assertThat(sweeper.sweepOnce()).isEqualTo(1);
        trigger.drain();
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(memory.outputCount()).isEqualTo(6);
        assertThat(runner.client().status(1).orElseThrow().stages().get(4).attempts())
                .isEqualTo(2);
        assertThat(events).contains("recovered 1 metadata 2");
    }

    @Test
    void lost_triggers_are_fired_again_by_the_sweeper() {
        trigger.dropEvery(3);
        PipelineRunner runner = runner(six(Map.of()).build(), memory);
        StallSweeper sweeper =
                runner.sweeper().pendingGrace(Duration.ofSeconds(5)).build();
        for (long id = 1; id <= 20; id++) {
            runner.client().start(id);
        }
        for (int round = 0; round < 100 && memory.countByState().get(BatchState.COMPLETED) < 20; round++) {
            trigger.drain();
            clock.advance(Duration.ofSeconds(6));
            sweeper.sweepOnce();
        }
        assertThat(memory.countByState().get(BatchState.COMPLETED)).isEqualTo(20L);
        assertThat(memory.outputCount()).isEqualTo(120);
    }

    @Test
    void one_sweep_clears_a_backlog_larger_than_a_page() {
        PipelineRunner runner = runner(six(Map.of()).build(), memory);
        for (long id = 1; id <= 250; id++) {
            memory.create(id, "setup"); // created, never triggered
        }
        clock.advance(Duration.ofSeconds(6));
        assertThat(runner.sweeper().pendingGrace(Duration.ofSeconds(5)).build().sweepOnce())
                .isEqualTo(250);
        assertThat(trigger.pending()).isEqualTo(250);
    }

    @Test
    void a_sliced_stage_resumes_from_its_cursor_and_ends_with_the_unsliced_output() {
        Stage counting = ctx -> {
            int from = ctx.cursor(Integer.class).orElse(0);
            List<Integer> done = new ArrayList<>();
            ctx.partialOutput(List.class).ifPresent(p -> p.forEach(o -> done.add((Integer) o)));
            int to = Math.min(from + 3, 10);
            for (int i = from; i < to; i++) {
                done.add(i * i);
            }
            return to < 10 ? StageResult.progress(to, done) : StageResult.done(done);
        };
        PipelineRunner runner =
                runner(Pipeline.builder().stage("squares", counting).build(), memory);
        runner.client().start(1);
        assertThat(trigger.drain()).isEqualTo(4);
        assertThat(memory.readOutput(1, "squares").orElseThrow()).isEqualTo("[0,1,4,9,16,25,36,49,64,81]");
        BatchStatus.StageView view =
                runner.client().status(1).orElseThrow().stages().get(0);
        assertThat(view.attempts()).isEqualTo(1);
        assertThat(view.invocations()).isEqualTo(4);
    }

    @Test
    void operations_retry_restart_and_cancel() {
        PipelineRunner runner = runner(
                six(Map.of("metadata", Faults.failTimes(appending("validation"), 1)))
                        .retry(RetryPolicy.none())
                        .build(),
                memory);
        runner.client().start(1);
        trigger.drain();
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.FAILED);
        assertThatThrownBy(() -> runner.client().restart(1, "nope")).isInstanceOf(UnknownStageException.class);

        BatchStatus retried = runner.client().retry(1);
        assertThat(retried.stage()).isEqualTo("metadata");
        assertThat(retried.state()).isEqualTo(BatchState.PENDING);
        trigger.drain();
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThatThrownBy(() -> runner.client().retry(1))
                .isInstanceOf(BatchConflictException.class)
                .hasMessageContaining("only a failed or cancelled batch can be retried");

        runner.client().restart(1, "validation");
        assertThat(memory.readOutput(1, "validation")).isEmpty();
        assertThat(memory.readOutput(1, "persistence")).isEmpty();
        assertThat(memory.readOutput(1, "annotation")).isPresent();
        BatchStatus cancelled = runner.client().cancel(1);
        assertThat(cancelled.state()).isEqualTo(BatchState.CANCELLED);
        trigger.drain();
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.CANCELLED);
        assertThat(memory.readOutput(1, "validation")).isEmpty();
        assertThatThrownBy(() -> runner.client().cancel(1)).isInstanceOf(BatchConflictException.class);
    }
}
