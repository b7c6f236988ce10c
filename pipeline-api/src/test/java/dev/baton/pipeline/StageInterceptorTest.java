package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The tracing seam: an interceptor names a new batch's trace context, the store keeps it, and every invocation
 * and every fire of the batch gets it back, whoever set it going.
 */
class StageInterceptorTest {
    static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    static final String CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    final MutableClock clock = MutableClock.at(Instant.parse("2026-12-01T00:00:00Z"));
    final InMemoryStageStore store = new InMemoryStageStore(clock);
    final List<String> fires = new CopyOnWriteArrayList<>();
    final List<StageInterceptor.Invocation> invocations = new CopyOnWriteArrayList<>();
    final List<String> parents = new CopyOnWriteArrayList<>();

    /** A trigger that records each fire with the trace context it was given and runs nothing. */
    final class RecordingTrigger implements Trigger {
        final boolean inline;

        RecordingTrigger(boolean inline) {
            this.inline = inline;
        }

        @Override
        public void fire(long batchId, String stage) {
            fires.add(batchId + " " + stage + " without a context");
        }

        @Override
        public void fire(long batchId, String stage, String traceContext) {
            fires.add(batchId + " " + stage + " " + traceContext);
        }

        @Override
        public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
            fires.add(batchId + " " + stage + " after " + delay.toMillis() + " ms " + traceContext);
        }

        @Override
        public boolean continuesInline(String nextStage) {
            return inline;
        }
    }

    /** Names {@link #TRACE} for every batch and records what it is given. */
    final class RecordingInterceptor implements StageInterceptor {
        @Override
        public String batchContext(long batchId, String parent) {
            parents.add(String.valueOf(parent));
            return TRACE;
        }

        @Override
        public StageOutcome aroundStage(Invocation invocation, Supplier<StageOutcome> proceed) {
            invocations.add(invocation);
            return proceed.get();
        }
    }

    PipelineRunner runner(boolean inline, StageInterceptor interceptor, Stage work) {
        return PipelineRunner.builder(
                        Pipeline.builder()
                                .lease(Duration.ofSeconds(1))
                                .stage("a", ctx -> StageResult.done("A"))
                                .stage("b", work, s -> s.retry(RetryPolicy.exponential(3, Duration.ofSeconds(1))))
                                .stage("c", ctx -> StageResult.done("C"))
                                .build(),
                        store)
                .trigger(new RecordingTrigger(inline))
                .clock(clock)
                .interceptor(interceptor)
                .build();
    }

    @Test
    void every_invocation_chained_inline_is_intercepted_with_the_trace_context_the_batch_was_started_with() {
        PipelineRunner runner = runner(true, new RecordingInterceptor(), ctx -> StageResult.done("B"));
        runner.client().start(1, null, Duration.ZERO, CALLER);
        assertThat(parents).containsExactly(CALLER);
        assertThat(store.find(1).orElseThrow().traceContext()).isEqualTo(TRACE);
        assertThat(fires).containsExactly("1 a after 0 ms " + TRACE);

        assertThat(runner.runStage(1, "a").kind()).isEqualTo(StageOutcome.Kind.ADVANCED);

        assertThat(invocations)
                .containsExactly(
                        new StageInterceptor.Invocation(1, "a", 1, TRACE),
                        new StageInterceptor.Invocation(1, "b", 1, TRACE),
                        new StageInterceptor.Invocation(1, "c", 1, TRACE));
        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void the_runner_the_sweeper_and_the_client_fire_with_the_batchs_trace_context() {
        PipelineRunner runner = runner(false, new RecordingInterceptor(), ctx -> {
            throw new IllegalStateException("flaky");
        });
        runner.client().start(2);
        assertThat(parents).as("no caller context was given").containsExactly("null");
        runner.runStage(2, "a");
        runner.runStage(2, "b");
        clock.advance(Duration.ofMinutes(1));
        assertThat(store.claim(2, "b", "a-process-that-died", Duration.ofSeconds(1)))
                .isPresent();
        clock.advance(Duration.ofMinutes(1));
        assertThat(runner.sweeper().build().sweepOnce()).isEqualTo(1);
        assertThat(runner.runStage(2, "b").kind()).isEqualTo(StageOutcome.Kind.FAILED);
        runner.client().retry(2);
        runner.client().restart(2, "a");

        assertThat(fires.stream().map(f -> f.replaceAll("after \\d+ ms", "after a backoff")))
                .as("the start, the advance, the retry, the rescue, the client's retry and restart")
                .containsExactly(
                        "2 a after a backoff " + TRACE,
                        "2 b " + TRACE,
                        "2 b after a backoff " + TRACE,
                        "2 b " + TRACE,
                        "2 b " + TRACE,
                        "2 a " + TRACE);
        assertThat(invocations)
                .extracting(StageInterceptor.Invocation::traceContext)
                .containsOnly(TRACE);
        assertThat(invocations)
                .extracting(StageInterceptor.Invocation::attempt)
                .as("a, b's first try, b after the rescue")
                .containsExactly(1, 1, 3);
    }

    @Test
    void a_malformed_or_failed_trace_context_is_not_kept_and_the_batch_starts_all_the_same() {
        StageInterceptor malformed = new StageInterceptor() {
            @Override
            public String batchContext(long batchId, String parent) {
                return "not-a-traceparent";
            }
        };
        runner(false, malformed, ctx -> StageResult.done("B")).client().start(3);
        assertThat(store.find(3).orElseThrow().traceContext()).isNull();
        StageInterceptor failing = new StageInterceptor() {
            @Override
            public String batchContext(long batchId, String parent) {
                throw new IllegalStateException("no tracer");
            }
        };
        runner(false, failing, ctx -> StageResult.done("B")).client().start(4);
        assertThat(store.find(4).orElseThrow().state()).isEqualTo(BatchState.PENDING);
        assertThat(store.find(4).orElseThrow().traceContext()).isNull();
    }

    @Test
    void without_an_interceptor_a_well_formed_caller_context_is_kept_and_a_malformed_one_ignored() {
        PipelineRunner runner = runner(false, StageInterceptor.NONE, ctx -> StageResult.done("B"));
        runner.client().start(5, null, Duration.ZERO, CALLER);
        runner.client().start(6, null, Duration.ZERO, CALLER.toUpperCase(Locale.ROOT));
        runner.client().start(7, null, Duration.ZERO, "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
        runner.client().start(8, null, Duration.ZERO, CALLER + "-extra");
        assertThat(store.find(5).orElseThrow().traceContext()).isEqualTo(CALLER);
        assertThat(List.of(6L, 7L, 8L))
                .allSatisfy(id ->
                        assertThat(store.find(id).orElseThrow().traceContext()).isNull());
        assertThat(fires).contains("5 a after 0 ms " + CALLER, "6 a after 0 ms null");
    }

    @Test
    void an_interceptor_that_does_not_run_the_invocation_is_an_error_naming_the_batch_and_stage() {
        StageInterceptor skipping = new StageInterceptor() {
            @Override
            public StageOutcome aroundStage(Invocation invocation, Supplier<StageOutcome> proceed) {
                return new StageOutcome(StageOutcome.Kind.ADVANCED, invocation.batchId(), invocation.stage(), 1, "b");
            }
        };
        PipelineRunner runner = runner(false, skipping, ctx -> StageResult.done("B"));
        runner.client().start(9);
        assertThatThrownBy(() -> runner.runStage(9, "a"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("batch 9 stage a")
                .hasMessageContaining("must run the invocation once");
    }
}
