package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A commit that happened although its caller saw it fail (the reply was lost) is carried on, not reported lost. */
class LostCommitReplyTest {
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final List<String> events = new CopyOnWriteArrayList<>();
    final AtomicBoolean loseNextReply = new AtomicBoolean(true);

    /** The in-memory store, whose first advance commits and then throws as a connection cut after the commit would. */
    final StageStore store = (StageStore) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {StageStore.class}, (proxy, method, args) -> {
                Object result;
                try {
                    result = method.invoke(memory, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                if (method.getName().startsWith("advance") && loseNextReply.getAndSet(false)) {
                    throw new IllegalStateException("I/O error: the connection was closed before the reply arrived");
                }
                return result;
            });

    final Pipeline pipeline = Pipeline.builder()
            .stage("first", ctx -> StageResult.done("one"))
            .stage("second", ctx -> StageResult.done("two"))
            .build();

    final PipelineListener recorder = new PipelineListener() {
        @Override
        public void stageSucceeded(long batchId, String stage, int attempt, Duration took) {
            events.add("succeeded " + stage);
        }

        @Override
        public void stageFailed(long batchId, String stage, int attempt, String error) {
            events.add("failed " + stage);
        }
    };

    @Test
    void an_advance_whose_reply_was_lost_is_reported_advanced_and_the_next_stage_is_fired() {
        SynchronousTrigger trigger = new SynchronousTrigger(clock);
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .listener(recorder)
                .build();
        runner.client().start(1);
        trigger.drain();

        assertThat(trigger.outcomes().get(0).kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(events).containsExactly("succeeded first", "succeeded second");
    }

    /** Fires go nowhere; the runner continues inline. */
    static final class Inline implements Trigger {
        @Override
        public void fire(long batchId, String stage) {}

        @Override
        public boolean continuesInline(String nextStage) {
            return true;
        }
    }

    @Test
    void an_advance_and_claim_whose_reply_was_lost_runs_the_next_stage_it_claimed() {
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(new Inline())
                .clock(clock)
                .listener(recorder)
                .build();
        runner.client().start(1);

        assertThat(runner.runStage(1, "first").kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        assertThat(memory.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(events).containsExactly("succeeded first", "succeeded second");
    }
}
