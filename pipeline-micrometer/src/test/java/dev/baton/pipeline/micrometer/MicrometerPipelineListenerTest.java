package dev.baton.pipeline.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.Faults;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Drives a real {@link PipelineRunner} over the in-memory store and reads the meters it left. */
class MicrometerPipelineListenerTest {
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final MockClock meterClock = new MockClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, meterClock);
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);

    /** A stage that takes {@code millis} on the runner's clock. */
    Stage taking(long millis) {
        return ctx -> {
            clock.advance(Duration.ofMillis(millis));
            return StageResult.done(Map.of("stage", ctx.stage()));
        };
    }

    PipelineRunner runner(Pipeline pipeline, MicrometerPipelineListener listener) {
        return PipelineRunner.builder(pipeline, memory)
                .trigger(trigger)
                .clock(clock)
                .listener(listener)
                .build();
    }

    double counter(String name, String stage) {
        var search = registry.find(name);
        if (stage != null) {
            search = search.tag("stage", stage);
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void runnerEventsBecomeTimersAndCounters() {
        Stage parseFailsOnce = Faults.failTimes(
                ctx -> {
                    clock.advance(Duration.ofMillis(40));
                    return StageResult.done("parsed");
                },
                1);
        Stage slowFailure = ctx -> {
            meterClock.add(250, TimeUnit.MILLISECONDS);
            return parseFailsOnce.execute(ctx);
        };
        Pipeline pipeline = Pipeline.builder()
                .retry(RetryPolicy.exponential(3, Duration.ZERO))
                .stage("fetch", taking(10))
                .stage("parse", slowFailure)
                .stage("store", taking(5))
                .build();
        try (PipelineRunner runner =
                runner(pipeline, MicrometerPipelineListener.builder(registry).build())) {
            runner.client().start(1);
            runner.client().start(2);
            trigger.drain();
        }

        assertThat(counter("baton.stage.succeeded", "fetch")).isEqualTo(2);
        assertThat(counter("baton.stage.succeeded", "parse")).isEqualTo(2);
        assertThat(counter("baton.stage.succeeded", "store")).isEqualTo(2);
        assertThat(counter("baton.stage.failed", "parse")).isEqualTo(2);
        assertThat(counter("baton.stage.failed", "fetch")).isZero();
        assertThat(counter("baton.stage.retried", "parse")).isEqualTo(2);
        assertThat(counter("baton.batch.completed", null)).isEqualTo(2);
        assertThat(counter("baton.batch.failed", null)).isZero();

        var fetch = registry.get("baton.stage.duration")
                .tags("stage", "fetch", "outcome", "succeeded")
                .timer();
        assertThat(fetch.count()).isEqualTo(2);
        assertThat(fetch.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(20);
        var parse = registry.get("baton.stage.duration")
                .tags("stage", "parse", "outcome", "succeeded")
                .timer();
        assertThat(parse.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(80);
        var parseFailed = registry.get("baton.stage.duration")
                .tags("stage", "parse", "outcome", "failed")
                .timer();
        assertThat(parseFailed.count()).isEqualTo(2);
        assertThat(parseFailed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(500);
    }

    @Test
    void permanentFailureCountsTheBatchAndTheStage() {
        Pipeline pipeline = Pipeline.builder()
                .stage("fetch", taking(1))
                .stage("check", ctx -> StageResult.fail("bad input"))
                .build();
        try (PipelineRunner runner =
                runner(pipeline, MicrometerPipelineListener.builder(registry).build())) {
            runner.client().start(7);
            trigger.drain();
        }

        assertThat(counter("baton.batch.failed", null)).isEqualTo(1);
        assertThat(counter("baton.batch.completed", null)).isZero();
        assertThat(counter("baton.stage.failed", "check")).isEqualTo(1);
        assertThat(counter("baton.stage.retried", "check")).isZero();
        assertThat(registry.get("baton.stage.duration")
                        .tags("stage", "check", "outcome", "failed")
                        .timer()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void slicedStageRecordsContinuedThenSucceeded() {
        Stage sliced = ctx -> {
            clock.advance(Duration.ofMillis(30));
            return ctx.cursor(Integer.class).isEmpty() ? StageResult.progress(1, "half") : StageResult.done("whole");
        };
        Pipeline pipeline = Pipeline.builder().stage("scan", sliced).build();
        try (PipelineRunner runner =
                runner(pipeline, MicrometerPipelineListener.builder(registry).build())) {
            runner.client().start(3);
            trigger.drain();
        }

        var continued = registry.get("baton.stage.duration")
                .tags("stage", "scan", "outcome", "progressed")
                .timer();
        var succeeded = registry.get("baton.stage.duration")
                .tags("stage", "scan", "outcome", "succeeded")
                .timer();
        assertThat(continued.count()).isEqualTo(1);
        assertThat(continued.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(30);
        assertThat(succeeded.count()).isEqualTo(1);
        assertThat(counter("baton.stage.succeeded", "scan")).isEqualTo(1);
        assertThat(counter("baton.batch.completed", null)).isEqualTo(1);
    }

    @Test
    void sweeperRescueIsCountedPerStage() {
        Pipeline pipeline = Pipeline.builder().stage("fetch", taking(1)).build();
        try (PipelineRunner runner = PipelineRunner.builder(pipeline, memory)
                .trigger(new SynchronousTrigger(clock).dropEvery(1))
                .clock(clock)
                .listener(MicrometerPipelineListener.builder(registry).build())
                .build()) {
            runner.client().start(4);
            clock.advance(Duration.ofSeconds(31));

            assertThat(runner.sweeper()
                            .pendingGrace(Duration.ofSeconds(30))
                            .build()
                            .sweepOnce())
                    .isEqualTo(1);
        }

        assertThat(counter("baton.stage.rescued", "fetch")).isEqualTo(1);
    }

    @Test
    void commonTagsSeparateTwoPipelinesInOneRegistry() {
        MicrometerPipelineListener.builder(registry)
                .store(memory)
                .tags(Tags.of("pipeline", "a"))
                .build();
        MicrometerPipelineListener.builder(registry)
                .store(memory)
                .tags(Tags.of("pipeline", "b"))
                .build();

        assertThat(registry.find("baton.batches").tags("state", "pending").gauges())
                .hasSize(2);
        assertThat(registry.get("baton.batch.completed")
                        .tag("pipeline", "b")
                        .counter()
                        .count())
                .isZero();
    }
}
