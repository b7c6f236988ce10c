package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Batches at a stage the pipeline no longer has never hide, from the sweeper, the batches it can rescue. */
class RetiredStageTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;
    Sql sql;
    final SynchronousTrigger trigger = new SynchronousTrigger();
    PipelineRunner runner;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
        Pipeline pipeline = Pipeline.builder()
                .stage("setup", ctx -> StageResult.done("setup"))
                .stage("report", ctx -> StageResult.done("report"))
                .build();
        runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
    }

    @Test
    void a_full_page_and_more_of_batches_at_a_retired_stage_does_not_starve_the_rescue_of_the_others() {
        sql.update("INSERT INTO batch_processing_queue (batch_id, current_stage, status, created_at, updated_at, "
                + "attempt, version, run_after)"
                + " SELECT id, 'thumbnails', 'pending', now(), now() - interval '1 hour', 1, 0, now() - "
                + "interval '1 hour'"
                + " FROM generate_series(1, 250) AS id");
        store.create(1001, "setup");
        store.claim(1001, "setup", "dead-worker", Duration.ofMinutes(5)).orElseThrow();
        sql.expireLease(1001);
        store.create(1002, "report");
        sql.update("UPDATE batch_processing_queue SET updated_at = now() - interval '1 minute', run_after = now() - "
                + "interval '1 minute'"
                + " WHERE batch_id = 1002");

        StallSweeper sweeper =
                runner.sweeper().pendingGrace(Duration.ofSeconds(30)).build();
        assertThat(sweeper.sweepOnce())
                .as("the expired lease and the lost trigger")
                .isEqualTo(2);
        trigger.drain();

        assertThat(store.find(1001).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.find(1002).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(sweeper.atUnknownStages()).isEqualTo(Map.of("thumbnails", 250L));
        assertThat(runner.client().atUnknownStages()).isEqualTo(Map.of("thumbnails", 250L));
        assertThat(sql.count(
                        "SELECT count(*) FROM batch_processing_queue WHERE current_stage = 'thumbnails' AND status = "
                                + "'pending'"
                                + " AND updated_at < now() - interval '59 minutes'"))
                .as("left as they were")
                .isEqualTo(250);
    }

    @Test
    void finished_batches_at_a_retired_stage_are_not_counted() {
        store.create(1, "thumbnails");
        store.cancel(1);
        store.create(2, "old");

        assertThat(runner.client().atUnknownStages()).isEqualTo(Map.of("old", 1L));
    }
}
