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
        InProcessTrigger trigger = InProcessTrigger.builder().threads(2).build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(1);
        List<String> threads = new CopyOnWriteArrayList<>();
        trigger.bind((batchId, stage) -> {
            threads.add(Thread.currentThread().getName());
            await(release);
            ran.countDown();
            return new StageOutcome(StageOutcome.Kind.COMPLETED, batchId, stage, 1, null);
        });
        trigger.start();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> trigger.fire(1, "setup"));
        release.countDown();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> ran.await());
        assertThat(threads).singleElement().asString().startsWith("baton-stage-");
        trigger.close();
    }

    @Test
    void a_full_queue_drops_the_fire_instead_of_blocking_the_caller() {
        InProcessTrigger trigger = InProcessTrigger.builder()
                .threads(1)
                .queueCapacity(1)
                .shutdownWait(Duration.ofSeconds(5))
                .build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        List<Long> ran = new CopyOnWriteArrayList<>();
        trigger.bind((batchId, stage) -> {
            running.countDown();
            await(release);
            ran.add(batchId);
            return null;
        });
        trigger.start();
        trigger.fire(1, "setup");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> running.await(), "the only thread runs batch 1");
        // one more fits the queue of one; the other eight are dropped at once
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (long id = 2; id <= 10; id++) {
                trigger.fire(id, "setup");
            }
        });
        release.countDown();
        trigger.close();
        // close drops what is still queued (the sweeper recovers it), so batch 2 may or may not have run
        assertThat(ran).hasSizeBetween(1, 2).startsWith(1L).allMatch(id -> id <= 2);
    }

    @Test
    void close_waits_for_running_invocations() {
        InProcessTrigger trigger = InProcessTrigger.builder().threads(1).build();
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
        trigger.start();
        trigger.fire(1, "setup");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> started.await());
        trigger.close();
        assertThat(done).containsExactly("setup");
    }

    @Test
    void building_starts_no_thread_and_a_fire_before_start_says_to_start_the_runner() {
        long before = stageThreads();
        InProcessTrigger trigger = InProcessTrigger.builder().threads(3).build();
        trigger.bind((batchId, stage) -> null);
        assertThat(stageThreads()).isEqualTo(before);
        assertThatThrownBy(() -> trigger.fire(1, "setup"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("call start() on the runner");
        trigger.close();
        trigger.close();
        assertThatThrownBy(trigger::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void an_unbound_trigger_says_how_to_bind_it() {
        assertThatThrownBy(() -> InProcessTrigger.builder().threads(1).build().fire(1, "setup"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PipelineRunner.builder");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long stageThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("baton-stage-"))
                .count();
    }
}
