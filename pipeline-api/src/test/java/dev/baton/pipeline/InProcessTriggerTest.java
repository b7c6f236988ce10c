package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class InProcessTriggerTest {

    @Test
    void fire_runs_the_stage_on_a_pool_thread_and_returns_at_once() throws Exception {
        InProcessTrigger trigger = InProcessTrigger.withThreads(2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(1);
        List<String> threads = new CopyOnWriteArrayList<>();
        trigger.bind((batchId, stage) -> {
            threads.add(Thread.currentThread().getName());
            await(release);
            ran.countDown();
            return new StageOutcome(StageOutcome.Kind.COMPLETED, batchId, stage, 1, null);
        });
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> trigger.fire(1, "setup"));
        release.countDown();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> ran.await());
        assertThat(threads).singleElement().asString().startsWith("baton-stage-");
        trigger.close();
    }

    @Test
    void a_full_queue_drops_the_fire_instead_of_blocking_the_caller() {
        InProcessTrigger trigger = new InProcessTrigger(1, 1, Duration.ofSeconds(5));
        CountDownLatch release = new CountDownLatch(1);
        List<Long> ran = new CopyOnWriteArrayList<>();
        trigger.bind((batchId, stage) -> {
            await(release);
            ran.add(batchId);
            return null;
        });
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (long id = 1; id <= 10; id++) {
                trigger.fire(id, "setup");
            }
        });
        release.countDown();
        trigger.close();
        assertThat(ran).hasSizeBetween(1, 2).allMatch(id -> id <= 2);
    }

    @Test
    void close_waits_for_running_invocations() {
        InProcessTrigger trigger = InProcessTrigger.withThreads(1);
        CountDownLatch started = new CountDownLatch(1);
        List<String> done = new CopyOnWriteArrayList<>();
        trigger.bind((batchId, stage) -> {
            started.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.add(stage);
            return null;
        });
        trigger.fire(1, "setup");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> started.await());
        trigger.close();
        assertThat(done).containsExactly("setup");
    }

    @Test
    void an_unbound_trigger_says_how_to_bind_it() {
        assertThatThrownBy(() -> InProcessTrigger.withThreads(1).fire(1, "setup"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("PipelineRunner.builder");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
