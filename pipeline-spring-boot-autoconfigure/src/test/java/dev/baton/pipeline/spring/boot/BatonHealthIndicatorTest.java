package dev.baton.pipeline.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The {@code baton} health contributor: UP with the batch counts, DOWN on a missing schema or a stuck sweeper. */
class BatonHealthIndicatorTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private final MutableClock clock = MutableClock.at(Instant.parse("2026-12-01T10:00:00Z"));

    @Test
    void up_with_the_number_of_batches_in_each_state() {
        BatonSchema.migrate(PG.dataSource());
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();

        Health health = new BatonHealthIndicator(store, null, clock).health();

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsKey("batches");
    }

    @Test
    void down_naming_the_missing_table_when_baton_s_schema_is_gone() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE batch_processing_queue");
        }

        Health health = new BatonHealthIndicator(store, null, clock).health();

        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(String.valueOf(health.getDetails().get("error")))
                .contains("table batch_processing_queue is missing");
    }

    @Test
    void down_when_the_sweeper_has_not_completed_a_pass_for_three_intervals() {
        BatonSchema.migrate(PG.dataSource());
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        PipelineRunner runner = PipelineRunner.builder(
                        Pipeline.builder()
                                .stage("only", ctx -> StageResult.done(1))
                                .build(),
                        store)
                .trigger(new SynchronousTrigger())
                .build();
        Duration interval = Duration.ofHours(1);
        try (BatonSweeper sweeper = new BatonSweeper(runner.sweeper().build(), interval, clock)) {
            sweeper.start();
            BatonHealthIndicator indicator = new BatonHealthIndicator(store, sweeper, clock);

            clock.advance(interval.multipliedBy(3));
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

            clock.advance(Duration.ofSeconds(1));
            Health health = indicator.health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(String.valueOf(health.getDetails().get("error")))
                    .contains("the sweeper has not completed a pass for 3 intervals of PT1H");
        }
    }
}
