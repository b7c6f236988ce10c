package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PipelineRunner#runStage(long, String, Instant)}: a deadline from the host caps the stage's budget. */
class HostDeadlineTest {
    private final MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<Instant> deadlines = new ArrayList<>();
    private final PipelineRunner runner = PipelineRunner.builder(
                    Pipeline.builder()
                            .stage("only", ctx -> {
                                deadlines.add(ctx.deadline());
                                return StageResult.done(1);
                            })
                            .budget(Duration.ofSeconds(50))
                            .build(),
                    new InMemoryStageStore(clock))
            .trigger(new SynchronousTrigger(clock))
            .clock(clock)
            .build();

    @Test
    void a_host_deadline_before_the_end_of_the_budget_is_the_stage_deadline() {
        runner.client().start(1);
        Instant host = clock.instant().plusSeconds(7);

        assertThat(runner.runStage(1, "only", host).kind()).isEqualTo(StageOutcome.Kind.COMPLETED);

        assertThat(deadlines).containsExactly(host);
    }

    @Test
    void a_host_deadline_after_the_end_of_the_budget_leaves_the_budget() {
        runner.client().start(2);
        runner.client().start(3);

        runner.runStage(2, "only", clock.instant().plus(Duration.ofMinutes(15)));
        runner.runStage(3, "only", null);

        Instant budgetEnd = clock.instant().plusSeconds(50);
        assertThat(deadlines).containsExactly(budgetEnd, budgetEnd);
    }
}
