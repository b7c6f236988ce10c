package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.UnknownStageException;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testing.Faults;
import dev.baton.pipeline.testing.InjectedFailure;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lifecycle invariants of docs/architecture.md, section 3 (I1 to I5, I8 and I18), end to end through
 * a runner against a real PostgreSQL.
 */
class PipelineInvariantsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    StageStore store;
    Sql sql;
    final SynchronousTrigger trigger = new SynchronousTrigger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final PipelineListener listener = new PipelineListener() {
        @Override
        public void batchFailed(long batchId, String stage, String error) {
            failures.add(batchId + " " + stage + " " + error);
        }
    };

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    PipelineRunner runner(Pipeline pipeline, StageStore s) {
        return PipelineRunner.builder(pipeline, s)
                .trigger(trigger)
                .listener(listener)
                .build();
    }

    @Test
    void six_stages_complete_with_six_output_rows_in_order() {
        PipelineRunner runner = runner(SixStages.pipeline(), store);
        runner.client().start(5);
        assertThat(trigger.drain()).isEqualTo(6);
        assertThat(sql.rows("SELECT stage FROM batch_processing_data WHERE batch_id = 5 ORDER BY id"))
                .extracting(r -> r.get("stage"))
                .containsExactlyElementsOf(SixStages.NAMES);
        Map<String, Object> row = sql.queueRow(5);
        assertThat(row).containsEntry("current_stage", "completed").containsEntry("status", "completed");
        assertThat(store.readOutput(5, "persistence").orElseThrow()).matches(SixStages.finalOutput(5));
    }

    @Test
    void a_stage_output_and_the_advance_commit_together_or_not_at_all() {
        // the advance out of 'setup' fails inside the database, after the output row was written in the same
        // transaction
        sql.execute("CREATE FUNCTION refuse_extraction() RETURNS trigger LANGUAGE plpgsql AS $$"
                + " BEGIN RAISE EXCEPTION 'refused by test'; END $$");
        sql.execute("CREATE TRIGGER refuse BEFORE UPDATE ON batch_processing_queue FOR EACH ROW"
                + " WHEN (NEW.current_stage = 'extraction') EXECUTE FUNCTION refuse_extraction()");
        PipelineRunner runner = runner(SixStages.pipeline(), store);
        runner.client().start(1);
        trigger.drain();
        assertThat(sql.outputRows(1)).isZero();
        // the refusal fails the attempt at once, with the database's message, instead of leaving it under a live lease
        assertThat(sql.queueRow(1)).containsEntry("current_stage", "setup").containsEntry("lease_owner", null);
        assertThat(sql.queueRow(1).get("status")).isIn("pending", "failed");
        assertThat((String) sql.queueRow(1).get("error_message")).contains("refused by test");
    }

    @Test
    void sixteen_concurrent_triggers_of_one_stage_commit_one_advance_and_one_output() throws Exception {
        AtomicInteger executions = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        Pipeline pipeline = SixStages.builder(Map.of("setup", ctx -> {
                    executions.incrementAndGet();
                    inside.countDown();
                    return StageResult.done(new SixStages.Output("setup", ctx.batchId(), ctx.batchId() * 31 + 1));
                }))
                .build();
        List<PipelineRunner> runners = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            runners.add(PipelineRunner.builder(pipeline, store)
                    .trigger(new SynchronousTrigger())
                    .owner("worker-" + i)
                    .build());
        }
        runners.get(0).client().start(1);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<StageOutcome>> outcomes = new ArrayList<>();
            for (PipelineRunner r : runners) {
                outcomes.add(pool.submit(() -> {
                    go.await();
                    return r.runStage(1, "setup");
                }));
            }
            go.countDown();
            List<StageOutcome.Kind> kinds = new ArrayList<>();
            for (Future<StageOutcome> f : outcomes) {
                kinds.add(f.get().kind());
            }
            assertThat(kinds).filteredOn(k -> k == StageOutcome.Kind.ADVANCED).hasSize(1);
            assertThat(kinds)
                    .filteredOn(k -> k == StageOutcome.Kind.NOT_CLAIMED)
                    .hasSize(15);
        } finally {
            pool.shutdownNow();
        }
        assertThat(executions).hasValue(1);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'setup'"))
                .isEqualTo(1);
        assertThat(sql.queueRow(1)).containsEntry("current_stage", "extraction").containsEntry("attempt", 1);
    }

    @Test
    void a_late_execution_whose_lease_was_taken_over_commits_nothing() throws Exception {
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Pipeline pipeline = SixStages.builder(Map.of("setup", ctx -> {
                    if (calls.incrementAndGet() == 1) {
                        firstInside.countDown();
                        releaseFirst.await();
                        return StageResult.done(new SixStages.Output("late", ctx.batchId(), -1));
                    }
                    return SixStages.stage("setup").execute(ctx);
                }))
                .lease(Duration.ofMinutes(5))
                .build();
        PipelineRunner slow = PipelineRunner.builder(pipeline, store)
                .trigger(new SynchronousTrigger())
                .owner("slow")
                .build();
        PipelineRunner rescuer = runner(pipeline, store);
        slow.client().start(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<StageOutcome> late = pool.submit(() -> slow.runStage(1, "setup"));
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> firstInside.await());
            sql.expireLease(1);
            assertThat(rescuer.sweeper()
                            .pendingGrace(Duration.ofMinutes(1))
                            .build()
                            .sweepOnce())
                    .isEqualTo(1);
            trigger.drain();
            assertThat(sql.queueRow(1)).containsEntry("status", "completed");
            releaseFirst.countDown();
            assertThat(late.get().kind()).isEqualTo(StageOutcome.Kind.LOST);
        } finally {
            pool.shutdownNow();
        }
        assertThat(sql.outputRows(1)).isEqualTo(6);
        assertThat(store.readOutput(1, "setup").orElseThrow()).doesNotContain("late");
        assertThat(store.readOutput(1, "persistence").orElseThrow()).matches(SixStages.finalOutput(1));
    }

    @Test
    void a_trigger_for_a_stage_the_batch_is_not_at_changes_nothing() {
        PipelineRunner runner = runner(SixStages.pipeline(), store);
        runner.client().start(1);
        trigger.drain();
        runner.client().start(2);
        Map<String, Object> done = sql.queueRow(1);
        Map<String, Object> waiting = sql.queueRow(2);
        assertThat(runner.runStage(1, "annotation").kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        assertThat(runner.runStage(2, "persistence").kind()).isEqualTo(StageOutcome.Kind.NOT_CLAIMED);
        assertThat(sql.queueRow(1)).isEqualTo(done);
        assertThat(sql.queueRow(2)).isEqualTo(waiting);
        assertThat(sql.outputRows(1)).isEqualTo(6);
        assertThat(sql.outputRows(2)).isZero();
    }

    @Test
    void a_stage_failing_twice_then_succeeding_completes_with_attempt_3() {
        PipelineRunner runner = runner(
                SixStages.builder(Map.of("annotation", Faults.failTimes(SixStages.stage("annotation"), 2)))
                        .build(),
                store);
        runner.client().start(1);
        trigger.drain();
        assertThat(sql.queueRow(1)).containsEntry("status", "completed");
        assertThat(runner.client().status(1).orElseThrow().stages().get(2).attempts())
                .isEqualTo(3);
        assertThat(sql.count("SELECT (stage_stats->'annotation'->>1)::int FROM batch_processing_queue "
                        + "WHERE batch_id = 1"))
                .isEqualTo(3);
        assertThat(failures).isEmpty();
    }

    @Test
    void exhausting_retries_fails_the_batch_with_the_error_and_tells_the_listener() {
        PipelineRunner runner = runner(
                SixStages.builder(Map.of("validation", Faults.failAlways("accuracy service down")))
                        .build(),
                store);
        runner.client().start(1);
        trigger.drain();
        String error = InjectedFailure.class.getName() + ": accuracy service down (gave up after 3 attempts)";
        assertThat(sql.queueRow(1))
                .containsEntry("status", "failed")
                .containsEntry("current_stage", "validation")
                .containsEntry("attempt", 3)
                .containsEntry("error_message", error);
        assertThat(failures).containsExactly("1 validation " + error);
        assertThat(sql.outputRows(1)).isEqualTo(3);
    }

    @Test
    void a_crash_between_execute_and_commit_leaves_no_output_and_the_stage_runnable_again() {
        PipelineRunner crashing = runner(
                SixStages.builder(Map.of()).lease(Duration.ofMinutes(5)).build(),
                Faults.crashBeforeCommit(store, "metadata", 1));
        crashing.client().start(1);
        assertThatThrownBy(trigger::drain).isInstanceOf(Faults.SimulatedCrash.class);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 1 AND stage = 'metadata'"))
                .isZero();
        assertThat(sql.queueRow(1)).containsEntry("current_stage", "metadata").containsEntry("status", "in_progress");

        sql.expireLease(1);
        PipelineRunner recovered = runner(SixStages.pipeline(), store);
        assertThat(recovered
                        .sweeper()
                        .pendingGrace(Duration.ofMinutes(1))
                        .build()
                        .sweepOnce())
                .isEqualTo(1);
        trigger.drain();
        assertThat(sql.queueRow(1)).containsEntry("status", "completed");
        assertThat(sql.outputRows(1)).isEqualTo(6);
        assertThat(recovered.client().status(1).orElseThrow().stages().get(4).attempts())
                .isEqualTo(2);
    }

    @Test
    void bad_input_gets_a_specific_error_and_changes_nothing() {
        PipelineRunner runner = runner(SixStages.pipeline(), store);
        runner.client().start(1);
        Map<String, Object> before = sql.queueRow(1);
        assertThatThrownBy(() -> runner.runStage(1, "thumbnails")).isInstanceOf(UnknownStageException.class);
        assertThatThrownBy(() -> runner.client().start(1, Map.of("other", "input")))
                .isInstanceOf(BatchConflictException.class);
        assertThatThrownBy(() -> runner.client().restart(1, "thumbnails")).isInstanceOf(UnknownStageException.class);
        assertThatThrownBy(() -> runner.client().retry(1)).isInstanceOf(BatchConflictException.class);
        assertThat(runner.runStage(404, "setup").kind()).isEqualTo(StageOutcome.Kind.NOT_FOUND);
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue")).isEqualTo(1);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data")).isZero();
    }

    @Test
    void retry_from_the_failed_stage_and_restart_from_a_named_stage() {
        PipelineRunner runner = runner(
                SixStages.builder(Map.of("metadata", Faults.failTimes(SixStages.stage("metadata"), 3)))
                        .build(),
                store);
        runner.client().start(1);
        trigger.drain();
        assertThat(sql.queueRow(1)).containsEntry("status", "failed");
        runner.client().retry(1);
        trigger.drain();
        assertThat(sql.queueRow(1)).containsEntry("status", "completed");
        runner.client().restart(1, "annotation");
        assertThat(sql.outputRows(1)).isEqualTo(2);
        trigger.drain();
        assertThat(sql.outputRows(1)).isEqualTo(6);
        BatchRecord r = store.find(1).orElseThrow();
        assertThat(r.state()).isEqualTo(BatchState.COMPLETED);
    }
}
