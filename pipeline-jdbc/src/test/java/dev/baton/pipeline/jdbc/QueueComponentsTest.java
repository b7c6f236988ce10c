package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How the queue's components are made: builders that validate, a build() that starts nothing, an idempotent close. */
class QueueComponentsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
    }

    static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.isAlive())
                .count();
    }

    @Test
    void the_trigger_builder_has_the_defaults_and_refuses_bad_settings_naming_them() {
        QueueTrigger defaults = QueueTrigger.builder(PG.dataSource()).build();
        assertThat(defaults.channel()).isEqualTo(QueueTrigger.DEFAULT_CHANNEL);
        assertThat(defaults.stageCaps()).isEmpty();
        assertThat(defaults.continuesInline("setup")).isTrue();

        QueueTrigger set = QueueTrigger.builder(PG.dataSource())
                .channel("acme_queue")
                .stageCap("render", 4)
                .stageCap("upload", 1)
                .networkTimeout(Duration.ofSeconds(2))
                .build();
        assertThat(set.channel()).isEqualTo("acme_queue");
        assertThat(set.stageCaps()).isEqualTo(Map.of("render", 4, "upload", 1));
        assertThat(set.continuesInline("render")).isFalse();
        assertThat(set.continuesInline("setup")).isTrue();

        QueueTrigger.Builder b = QueueTrigger.builder(PG.dataSource());
        assertThatThrownBy(() -> b.channel("Bad-Channel"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channel");
        assertThatThrownBy(() -> b.stageCap("render", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stage 'render'")
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> b.networkTimeout(Duration.ofMillis(99)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 100ms and 10min");
        assertThatThrownBy(() -> QueueTrigger.builder(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void a_worker_starts_its_threads_on_start_only_and_closing_it_twice_or_before_start_is_harmless() {
        QueueTrigger trigger = QueueTrigger.builder(PG.dataSource()).build();
        try (PipelineRunner runner = PipelineRunner.builder(SixStages.pipeline(), store)
                .trigger(trigger)
                .build()) {
            long before = threadsNamed("baton-queue-dispatch");
            QueueWorker worker = QueueWorker.builder(runner, store, trigger)
                    .pollInterval(Duration.ofMillis(10))
                    .build();
            assertThat(threadsNamed("baton-queue-dispatch"))
                    .as("build() starts nothing")
                    .isEqualTo(before);

            assertThat(worker.start()).isSameAs(worker);
            assertThat(threadsNamed("baton-queue-dispatch")).isEqualTo(before + 1);
            assertThatThrownBy(worker::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already started");
            worker.close();
            worker.close();
            assertThat(threadsNamed("baton-queue-dispatch"))
                    .as("close() stopped it")
                    .isEqualTo(before);
            assertThatThrownBy(worker::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");

            QueueWorker never = QueueWorker.builder(runner, store, trigger).build();
            never.close();
            never.close();
            assertThatThrownBy(never::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("build a new one");
        }
    }
}
