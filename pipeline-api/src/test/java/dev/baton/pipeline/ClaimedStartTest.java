package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A start by the runner's client, due now, with a worker of this process free, creates its run with the first stage
 * already claimed and hands that claim to the worker: one store write fewer, the first stage still runs once, and a
 * hand-off that never runs is rescued by the sweeper when its lease expires.
 */
class ClaimedStartTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Set<String> WRITES = Set.of("create", "createClaimed", "claim", "advance", "advanceAndClaim");

    final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    final List<String> invocations = new CopyOnWriteArrayList<>();
    final Pipeline pipeline = Pipeline.builder()
            .lease(LEASE)
            .stage("a", ctx -> {
                invocations.add(ctx.batchId() + ":a:" + ctx.attempt());
                return StageResult.done("A");
            })
            .stage("b", ctx -> {
                invocations.add(ctx.batchId() + ":b:" + ctx.attempt());
                return StageResult.done("B");
            })
            .build();

    /** A store that counts the calls of each method by name, to count the writes a start costs. */
    static final class Counted {
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        final StageStore store;

        Counted(StageStore target) {
            store = (StageStore) Proxy.newProxyInstance(
                    StageStore.class.getClassLoader(), new Class<?>[] {StageStore.class}, (proxy, method, args) -> {
                        calls.computeIfAbsent(method.getName(), n -> new AtomicInteger())
                                .incrementAndGet();
                        try {
                            return method.invoke(target, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        int calls(String method) {
            AtomicInteger n = calls.get(method);
            return n == null ? 0 : n.get();
        }

        int writes() {
            return WRITES.stream().mapToInt(this::calls).sum();
        }
    }

    @Test
    void a_started_batch_runs_its_first_stage_once_from_the_claim_made_with_its_run_and_writes_once_less() {
        Counted fused = new Counted(new InMemoryStageStore(clock));
        SynchronousTrigger trigger = new SynchronousTrigger(clock).claimedStarts(true);
        PipelineRunner runner = PipelineRunner.builder(pipeline, fused.store)
                .trigger(trigger)
                .clock(clock)
                .build();

        BatchClient.Started started = runner.client().start(1, Map.of("k", 1));
        assertThat(started.created()).isTrue();
        assertThat(started.status().state()).isEqualTo(BatchState.IN_PROGRESS);
        assertThat(started.status().stage()).isEqualTo("a");
        assertThat(fused.calls("createClaimed")).isEqualTo(1);
        assertThat(fused.calls("create") + fused.calls("claim"))
                .as("no separate create or claim")
                .isZero();
        assertThat(trigger.pending()).isEqualTo(1);

        assertThat(trigger.drain()).isEqualTo(2);
        assertThat(trigger.outcomes().get(0).kind()).isEqualTo(StageOutcome.Kind.ADVANCED);
        assertThat(invocations).containsExactly("1:a:1", "1:b:1");
        assertThat(runner.client().status(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);

        Counted plain = new Counted(new InMemoryStageStore(clock));
        SynchronousTrigger plainTrigger = new SynchronousTrigger(clock);
        PipelineRunner plainRunner = PipelineRunner.builder(pipeline, plain.store)
                .trigger(plainTrigger)
                .clock(clock)
                .build();
        assertThat(plainRunner.client().start(1, Map.of("k", 1)).status().state())
                .isEqualTo(BatchState.PENDING);
        plainTrigger.drain();
        assertThat(plain.calls("claim"))
                .as("the first stage's claim and the second's")
                .isEqualTo(2);
        assertThat(plain.writes() - fused.writes()).as("one write fewer").isEqualTo(1);
    }

    @Test
    void starting_the_batch_again_claims_nothing_changes_nothing_and_hands_nothing_over() {
        InMemoryStageStore store = new InMemoryStageStore(clock);
        SynchronousTrigger trigger = new SynchronousTrigger(clock).claimedStarts(true);
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        BatchStatus claimed = runner.client().start(1, "same").status();

        BatchClient.Started again = runner.client().start(1, "same");
        assertThat(again.created()).isFalse();
        assertThat(again.status()).isEqualTo(claimed);
        assertThat(trigger.pending()).as("only the first start's claim").isEqualTo(1);
        trigger.drain();
        BatchStatus completed = runner.client().status(1).orElseThrow();

        assertThat(runner.client().start(1, "same").status()).isEqualTo(completed);
        assertThat(trigger.drain()).isZero();
        assertThat(invocations).containsExactly("1:a:1", "1:b:1");
    }

    @Test
    void a_delayed_start_and_a_start_by_a_client_that_is_not_the_runners_are_created_pending() {
        InMemoryStageStore store = new InMemoryStageStore(clock);
        SynchronousTrigger trigger = new SynchronousTrigger(clock).claimedStarts(true);
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        BatchClient other =
                BatchClient.builder(pipeline, store).trigger(trigger).build();

        assertThat(runner.client()
                        .start(1, null, Duration.ofMinutes(1))
                        .status()
                        .state())
                .isEqualTo(BatchState.PENDING);
        assertThat(other.start(2).status().state()).isEqualTo(BatchState.PENDING);
        assertThat(runner.client().start(3).status().state()).isEqualTo(BatchState.IN_PROGRESS);
        clock.advance(Duration.ofMinutes(1));
        trigger.drain();
        assertThat(invocations).containsExactlyInAnyOrder("1:a:1", "1:b:1", "2:a:1", "2:b:1", "3:a:1", "3:b:1");
    }

    @Test
    void a_claimed_start_whose_hand_off_is_lost_is_rescued_by_the_sweeper_once_its_lease_expires() {
        InMemoryStageStore store = new InMemoryStageStore(clock);
        SynchronousTrigger trigger = new SynchronousTrigger(clock).claimedStarts(true);
        List<String> recovered = new CopyOnWriteArrayList<>();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .listener(new PipelineListener() {
                    @Override
                    public void stalledRecovered(long batchId, String stage, int attempt) {
                        recovered.add(batchId + ":" + stage + ":" + attempt);
                    }
                })
                .build();
        StallSweeper sweeper =
                runner.sweeper().pendingGrace(Duration.ofSeconds(5)).build();

        trigger.dropEvery(1);
        assertThat(runner.client().start(1).status().state()).isEqualTo(BatchState.IN_PROGRESS);
        trigger.dropEvery(0);
        assertThat(trigger.pending()).as("the hand-off was lost").isZero();
        assertThat(sweeper.sweepOnce()).as("the lease still holds").isZero();

        clock.advance(LEASE.plusSeconds(1));
        assertThat(sweeper.sweepOnce()).isEqualTo(1);
        trigger.drain();
        assertThat(recovered).containsExactly("1:a:2");
        assertThat(invocations).containsExactly("1:a:2", "1:b:1");
        assertThat(runner.client().status(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void an_in_process_start_runs_on_the_idle_thread_and_one_made_while_every_thread_is_busy_is_fired()
            throws Exception {
        InMemoryStageStore store = new InMemoryStageStore();
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch completed = new CountDownLatch(2);
        List<String> ran = new CopyOnWriteArrayList<>();
        Pipeline gated = Pipeline.builder()
                .lease(LEASE)
                .stage("a", ctx -> {
                    ran.add(ctx.batchId() + ":a:" + ctx.attempt());
                    if (ctx.batchId() == 1) {
                        entered.countDown();
                        assertThat(gate.await(30, TimeUnit.SECONDS)).isTrue();
                    }
                    return StageResult.done("A");
                })
                .stage("b", ctx -> {
                    ran.add(ctx.batchId() + ":b:" + ctx.attempt());
                    return StageResult.done("B");
                })
                .build();
        InProcessTrigger trigger = InProcessTrigger.builder().threads(1).build();
        try (PipelineRunner runner = PipelineRunner.builder(gated, store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build()) {
            runner.start();
            BatchClient.Started first = runner.client().start(1);
            assertThat(first.status().state()).isEqualTo(BatchState.IN_PROGRESS);
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

            BatchClient.Started second = runner.client().start(2);
            assertThat(second.status().state()).as("the only thread is busy").isEqualTo(BatchState.PENDING);
            assertThat(runner.client().start(1).created()).isFalse();

            gate.countDown();
            assertThat(completed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ran).containsExactly("1:a:1", "1:b:1", "2:a:1", "2:b:1");
            assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
            assertThat(store.find(2).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        }
    }

    @Test
    void an_in_process_trigger_holds_a_thread_only_while_one_is_idle_and_only_for_its_own_runner() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        List<Long> claims = new CopyOnWriteArrayList<>();
        StageHandler handler = new StageHandler() {
            @Override
            public StageOutcome runStage(long batchId, String stage) {
                entered.countDown();
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }

            @Override
            public StageOutcome runClaimed(BatchRecord claim) {
                claims.add(claim.batchId());
                return null;
            }

            @Override
            public String owner() {
                return "me";
            }
        };
        InProcessTrigger trigger = InProcessTrigger.builder().threads(1).build();
        trigger.bind(handler);
        assertThat(trigger.reserveClaimedStart(1, "a", "me")).as("not started").isEmpty();
        trigger.start();
        try {
            assertThat(trigger.reserveClaimedStart(1, "a", "someone-else")).isEmpty();
            Optional<Trigger.ClaimedStart> held = trigger.reserveClaimedStart(1, "a", "me");
            assertThat(held).isPresent();
            assertThat(trigger.reserveClaimedStart(2, "a", "me"))
                    .as("the only thread is held")
                    .isEmpty();
            held.get().release();
            held.get().release();
            Optional<Trigger.ClaimedStart> again = trigger.reserveClaimedStart(2, "a", "me");
            assertThat(again).as("given back once").isPresent();
            assertThat(trigger.reserveClaimedStart(3, "a", "me")).isEmpty();
            again.get().release();

            trigger.fire(4, "a");
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(trigger.reserveClaimedStart(5, "a", "me"))
                    .as("the thread runs a fire")
                    .isEmpty();
            gate.countDown();
        } finally {
            trigger.close();
        }
        assertThat(claims).isEmpty();
    }

    @Test
    void a_claim_handed_to_a_trigger_closed_meanwhile_is_left_to_its_lease_and_the_sweeper() {
        InMemoryStageStore store = new InMemoryStageStore(clock);
        InProcessTrigger trigger = InProcessTrigger.builder().threads(1).build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .clock(clock)
                .build();
        runner.start();
        Trigger.ClaimedStart held =
                trigger.reserveClaimedStart(1, "a", runner.owner()).orElseThrow();
        BatchRecord claim =
                store.createClaimed(1, "a", null, null, runner.owner(), LEASE).batch();
        runner.close();

        held.run(claim);
        assertThat(invocations).isEmpty();
        clock.advance(LEASE.plusSeconds(1));
        StallSweeper sweeper =
                runner.sweeper().pendingGrace(Duration.ofSeconds(5)).build();
        assertThat(sweeper.sweepOnce()).isEqualTo(1);
        BatchRecord rescued = store.find(1).orElseThrow();
        assertThat(rescued.state()).isEqualTo(BatchState.PENDING);
        assertThat(rescued.attempt()).isEqualTo(2);
        assertThat(rescued.error()).contains("expired");
    }
}
