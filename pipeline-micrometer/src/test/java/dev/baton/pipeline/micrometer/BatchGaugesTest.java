package dev.baton.pipeline.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The {@code baton.batches} gauges: what they show and how rarely they read the store. */
class BatchGaugesTest {
    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final MockClock meterClock = new MockClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, meterClock);
    final InMemoryStageStore memory = new InMemoryStageStore(clock);
    final SynchronousTrigger trigger = new SynchronousTrigger(clock);
    final AtomicInteger countReads = new AtomicInteger();
    final AtomicInteger stalledReads = new AtomicInteger();
    final AtomicBoolean broken = new AtomicBoolean();
    /** The in-memory store, counting the gauges' reads and failing them on demand. */
    final StageStore store = (StageStore) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {StageStore.class}, (proxy, method, args) -> {
                if (method.getName().equals("countByState") || method.getName().equals("findStalled")) {
                    (method.getName().equals("countByState") ? countReads : stalledReads).incrementAndGet();
                    if (broken.get()) {
                        throw new IllegalStateException("connection refused");
                    }
                }
                try {
                    return method.invoke(memory, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    double gauge(String state) {
        return registry.get("baton.batches").tag("state", state).gauge().value();
    }

    double scrapeAll() {
        double sum = 0;
        for (String state : new String[] {"pending", "in_progress", "completed", "failed", "cancelled", "stalled"}) {
            sum += gauge(state);
        }
        return sum;
    }

    PipelineRunner runner() {
        Pipeline pipeline =
                Pipeline.builder().stage("only", ctx -> StageResult.done("x")).build();
        return PipelineRunner.builder(pipeline, memory)
                .trigger(trigger)
                .clock(clock)
                .build();
    }

    @Test
    void gaugesReadTheStoreOncePerIntervalWhateverTheScrapes() {
        MicrometerPipelineListener.builder(registry)
                .store(store)
                .countInterval(Duration.ofSeconds(5))
                .build();
        try (PipelineRunner runner = runner()) {
            runner.client().start(1);
            runner.client().start(2);
            runner.client().start(3);

            assertThat(gauge("pending")).isEqualTo(3);
            for (int i = 0; i < 10; i++) {
                scrapeAll();
            }
            assertThat(countReads).hasValue(1);
            assertThat(stalledReads).hasValue(1);

            trigger.drain();
            meterClock.add(4, TimeUnit.SECONDS);
            assertThat(gauge("pending")).as("still the cached read").isEqualTo(3);
            assertThat(gauge("completed")).isZero();

            meterClock.add(1, TimeUnit.SECONDS);
            assertThat(gauge("completed")).isEqualTo(3);
            assertThat(gauge("pending")).isZero();
            assertThat(gauge("in_progress")).isZero();
            assertThat(countReads).hasValue(2);
        }
    }

    @Test
    void stalledGaugeCountsWhatTheSweeperWouldPickUp() {
        MicrometerPipelineListener.builder(registry)
                .store(store)
                .countInterval(Duration.ofSeconds(1))
                .stalledGrace(Duration.ofSeconds(30))
                .build();
        try (PipelineRunner runner = runner()) {
            runner.client().start(1);
            runner.client().start(2);
            assertThat(gauge("stalled")).isZero();

            clock.advance(Duration.ofSeconds(31));
            meterClock.add(1, TimeUnit.SECONDS);
            assertThat(gauge("stalled")).isEqualTo(2);
            assertThat(gauge("pending")).isEqualTo(2);
        }
    }

    @Test
    void batchesAtAStageThePipelineDoesNotHaveAreCountedWhenThePipelineIsGiven() {
        memory.create(1, "thumbnails");
        memory.create(2, "thumbnails");
        memory.create(3, "retired");
        memory.cancel(3);
        try (PipelineRunner runner = runner()) {
            MicrometerPipelineListener.builder(registry)
                    .store(store)
                    .pipeline(runner.pipeline())
                    .build();
            runner.client().start(4);

            assertThat(gauge(MicrometerPipelineListener.AT_UNKNOWN_STAGE))
                    .as("cancelled ones and known stages not counted")
                    .isEqualTo(2);
        }
    }

    @Test
    void withoutThePipelineThereIsNoUnknownStageGauge() {
        MicrometerPipelineListener.builder(registry).store(store).build();

        assertThat(registry.find("baton.batches")
                        .tag("state", MicrometerPipelineListener.AT_UNKNOWN_STAGE)
                        .gauge())
                .isNull();
    }

    @Test
    void stalledGaugeIsCappedAtTheLimit() {
        MicrometerPipelineListener.builder(registry)
                .store(store)
                .stalledGrace(Duration.ZERO)
                .stalledLimit(2)
                .build();
        try (PipelineRunner runner = runner()) {
            for (long id = 1; id <= 5; id++) {
                runner.client().start(id);
            }
            clock.advance(Duration.ofSeconds(1));

            assertThat(gauge("stalled")).isEqualTo(2);
            assertThat(gauge("pending")).isEqualTo(5);
        }
    }

    @Test
    void anUnreadableStoreShowsNanUntilTheNextInterval() {
        MicrometerPipelineListener.builder(registry)
                .store(store)
                .countInterval(Duration.ofSeconds(5))
                .build();
        try (PipelineRunner runner = runner()) {
            runner.client().start(1);
            broken.set(true);

            assertThat(gauge("pending")).isNaN();
            assertThat(gauge("stalled")).isNaN();
            assertThat(countReads)
                    .as("a failed read is not retried before the interval")
                    .hasValue(1);

            broken.set(false);
            meterClock.add(5, TimeUnit.SECONDS);
            assertThat(gauge("pending")).isEqualTo(1);
            assertThat(countReads).hasValue(2);
        }
    }

    @Test
    void withoutAStoreNoGaugeIsRegistered() {
        MicrometerPipelineListener.builder(registry).build();

        assertThat(registry.find("baton.batches").gauges()).isEmpty();
        assertThat(registry.get("baton.batch.completed").counter().count()).isZero();
    }

    @Test
    void builderRejectsValuesOutOfRange() {
        var b = MicrometerPipelineListener.builder(registry);
        assertThatThrownBy(() -> b.countInterval(Duration.ofMillis(99)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("countInterval")
                .hasMessageContaining("100ms and 1h");
        assertThatThrownBy(() -> b.countInterval(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.stalledGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stalledGrace");
        assertThatThrownBy(() -> b.stalledLimit(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stalledLimit");
        assertThatThrownBy(() -> b.stalledLimit(100_001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MicrometerPipelineListener.builder(null)).isInstanceOf(NullPointerException.class);
    }
}
