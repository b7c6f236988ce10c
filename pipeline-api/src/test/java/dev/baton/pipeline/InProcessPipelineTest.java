package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.testing.Faults;
import dev.baton.pipeline.testing.InMemoryStageStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The in-process trigger chains stages on its pool threads; retries still go through the trigger. */
class InProcessPipelineTest {

    @Test
    void fifty_batches_complete_on_a_pool_of_four_with_inline_continuation_and_retries() {
        InMemoryStageStore store = new InMemoryStageStore();
        CountDownLatch completed = new CountDownLatch(50);
        PipelineRunnerTest spec = new PipelineRunnerTest();
        var pipeline = spec.six(Map.of("validation", Faults.failTimes(PipelineRunnerTest.appending("annotation"), 1)))
                .retry(RetryPolicy.exponential(3, Duration.ofMillis(5)))
                .build();
        try (PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(InProcessTrigger.builder().threads(4).build())
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build()) {
            runner.start();
            for (long id = 1; id <= 50; id++) {
                runner.client().start(id);
            }
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> completed.await());
            assertThat(store.countByState().get(BatchState.COMPLETED)).isEqualTo(50L);
            assertThat(store.outputCount()).isEqualTo(300);
            assertThat(runner.client().status(17).orElseThrow().stages().get(3).attempts())
                    .isEqualTo(2);
        }
    }
}
