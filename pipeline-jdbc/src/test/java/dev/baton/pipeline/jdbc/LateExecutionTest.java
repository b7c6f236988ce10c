package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An execution whose lease was rescued while it ran commits nothing, and is reported as lost, not as a success. */
class LateExecutionTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    JdbcStageStore store;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    /** A trigger whose stages run on long-lived threads: the runner continues inline, and fires go nowhere. */
    static final class Inline implements Trigger {
        @Override
        public void fire(long batchId, String stage) {}

        @Override
        public boolean continuesInline(String nextStage) {
            return true;
        }
    }

    @Test
    void a_rescued_late_execution_that_continues_inline_is_lost_and_fires_no_success() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Pipeline slowFirstAttempt = Pipeline.builder()
                .lease(Duration.ofMinutes(1))
                .stage("a", ctx -> {
                    if (ctx.attempt() == 1) {
                        running.countDown();
                        if (!finish.await(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("never released");
                        }
                    }
                    return StageResult.done("attempt " + ctx.attempt());
                })
                .stage("b", ctx -> StageResult.done("b"))
                .build();
        List<String> late = new CopyOnWriteArrayList<>();
        PipelineRunner lateRunner = PipelineRunner.builder(slowFirstAttempt, store)
                .trigger(new Inline())
                .owner("late")
                .listener(new PipelineListener() {
                    @Override
                    public void stageSucceeded(long batchId, String stage, int attempt, Duration took) {
                        late.add("succeeded " + stage + " " + attempt);
                    }
                })
                .build();
        lateRunner.client().start(1);
        CompletableFuture<StageOutcome> attempt1 = CompletableFuture.supplyAsync(() -> lateRunner.runStage(1, "a"));
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

        sql.expireLease(1);
        PipelineRunner rescuer = PipelineRunner.builder(slowFirstAttempt, store)
                .trigger(new SynchronousTrigger())
                .owner("rescuer")
                .build();
        assertThat(rescuer.sweeper().pendingGrace(Duration.ofMinutes(1)).build().sweepOnce())
                .isEqualTo(1);
        assertThat(rescuer.runStage(1, "a").kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        assertThat(store.find(1).orElseThrow().stage()).isEqualTo("b");

        finish.countDown();
        StageOutcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> attempt1.get());

        assertThat(outcome.kind()).isEqualTo(StageOutcome.Kind.LOST);
        assertThat(late).as("no success event for the late execution").isEmpty();
        assertThat(store.find(1).orElseThrow().stage()).isEqualTo("b");
        assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.PENDING);
        assertThat(store.readOutput(1, "a")).contains("\"attempt 2\"");
    }
}
