package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@code fireShard} on the in-process and synchronous triggers ends in {@link StageHandler#runShard}. */
class ShardFireTest {

    /** Records what it was asked to run: "stage@batch" or "stage@batch#shard". */
    private static final class Recording implements StageHandler {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final CountDownLatch done;

        Recording(int expected) {
            done = new CountDownLatch(expected);
        }

        @Override
        public StageOutcome runStage(long batchId, String stage) {
            calls.add(stage + "@" + batchId);
            done.countDown();
            return new StageOutcome(StageOutcome.Kind.ADVANCED, batchId, stage, 1, "next");
        }

        @Override
        public StageOutcome runShard(long batchId, String stage, int shard) {
            calls.add(stage + "@" + batchId + "#" + shard);
            threads.add(Thread.currentThread().getName());
            done.countDown();
            return new StageOutcome(StageOutcome.Kind.SHARD_DONE, batchId, stage, 1, "shard " + shard);
        }
    }

    @Test
    void in_process_fire_shard_runs_run_shard_on_a_pool_thread_now_and_after_a_delay() {
        InProcessTrigger trigger = InProcessTrigger.builder().threads(2).build();
        Recording handler = new Recording(3);
        trigger.bind(handler);
        trigger.start();
        try {
            trigger.fireShard(7, "annotation", 0, Duration.ZERO, null);
            trigger.fireShard(
                    7,
                    "annotation",
                    3,
                    Duration.ofMillis(20),
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            trigger.fireShard(7, "annotation", 1, Duration.ofMillis(-5), null);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> handler.done.await());
        } finally {
            trigger.close();
        }
        assertThat(handler.calls).containsExactlyInAnyOrder("annotation@7#0", "annotation@7#3", "annotation@7#1");
        assertThat(handler.threads).allMatch(name -> name.startsWith("baton-stage-"));
    }

    @Test
    void in_process_fire_shard_on_a_full_queue_drops_it_without_blocking() {
        InProcessTrigger trigger = InProcessTrigger.builder()
                .threads(1)
                .queueCapacity(1)
                .shutdownWait(Duration.ofSeconds(5))
                .build();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> ran = new CopyOnWriteArrayList<>();
        trigger.bind(new StageHandler() {
            @Override
            public StageOutcome runStage(long batchId, String stage) {
                throw new AssertionError("no stage was fired");
            }

            @Override
            public StageOutcome runShard(long batchId, String stage, int shard) {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ran.add(shard);
                return null;
            }
        });
        trigger.start();
        trigger.fireShard(1, "annotation", 0, Duration.ZERO, null);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> running.await());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int k = 1; k < 10; k++) {
                trigger.fireShard(1, "annotation", k, Duration.ZERO, null);
            }
        });
        release.countDown();
        trigger.close();
        assertThat(ran).hasSizeBetween(1, 2).startsWith(0).allMatch(k -> k <= 1);
    }

    @Test
    void synchronous_trigger_runs_shards_in_order_and_holds_delayed_ones_until_the_clock_passes() {
        MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        SynchronousTrigger trigger = new SynchronousTrigger(clock);
        Recording handler = new Recording(0);
        trigger.bind(handler);
        trigger.fire(5, "setup");
        trigger.fireShard(5, "extraction", 1, Duration.ZERO, null);
        trigger.fireShard(5, "extraction", 0, Duration.ofSeconds(30), null);
        assertThat(trigger.drain()).isEqualTo(2);
        assertThat(handler.calls).containsExactly("setup@5", "extraction@5#1");
        assertThat(trigger.pending()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(30));
        assertThat(trigger.drain()).isEqualTo(1);
        assertThat(handler.calls).containsExactly("setup@5", "extraction@5#1", "extraction@5#0");
        assertThat(trigger.outcomes())
                .extracting(StageOutcome::kind)
                .containsExactly(
                        StageOutcome.Kind.ADVANCED, StageOutcome.Kind.SHARD_DONE, StageOutcome.Kind.SHARD_DONE);
    }

    @Test
    void synchronous_trigger_drops_shard_fires_like_stage_fires() {
        SynchronousTrigger trigger = new SynchronousTrigger().dropEvery(2);
        Recording handler = new Recording(0);
        trigger.bind(handler);
        for (int k = 0; k < 4; k++) {
            trigger.fireShard(9, "annotation", k, Duration.ZERO, null);
        }
        trigger.drain();
        assertThat(handler.calls).containsExactly("annotation@9#0", "annotation@9#2");
    }
}
