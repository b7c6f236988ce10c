package dev.baton.pipeline.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link StageStore} must have. A store's test class extends this, returns a
 * fresh, empty store from {@link #newStore()} and implements the three hooks that move time for
 * one batch (the PostgreSQL store rewrites timestamps with SQL; the in-memory one moves its clock).
 */
public abstract class StageStoreContract {

    /** A lease long enough never to expire by itself during a test. */
    protected static final Duration LEASE = Duration.ofMinutes(5);

    private static final StageStats STATS = new StageStats(1, 1, 12, Instant.parse("2026-01-01T00:00:00Z"), null);
    /** An input whose key order and spacing PostgreSQL's jsonb keeps. */
    private static final String INPUT = "{\"a\":1,\"b\":[\"x\",\"é😀\"]}";

    /** The store under test, new for each test. */
    protected StageStore store;

    /** @return a new, empty store */
    protected abstract StageStore newStore();

    /**
     * Makes the lease of the batch's current claim expire now.
     *
     * @param batchId the batch
     */
    protected abstract void expireLease(long batchId);

    /**
     * Makes the batch's {@code run_after} lie in the past, so a scheduled retry is due.
     *
     * @param batchId the batch
     */
    protected abstract void makeDue(long batchId);

    /**
     * Moves the batch's {@code run_after} and {@code updated_at} {@code age} into the past, as if it
     * had waited that long for a trigger.
     *
     * @param batchId the batch
     * @param age how long ago
     */
    protected abstract void ageBy(long batchId, Duration age);

    @BeforeEach
    void createStore() {
        store = newStore();
    }

    private BatchRecord claimed(long batchId, String stage) {
        return store.claim(batchId, stage, "worker-a", LEASE)
                .orElseThrow(() -> new AssertionError("claim of " + stage + " failed"));
    }

    @Test
    void a_new_batch_is_pending_at_the_first_stage_with_attempt_one() {
        BatchRecord r = store.create(1, "setup");
        assertEquals("setup", r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
        assertNull(r.error());
        assertEquals(r, store.find(1).orElseThrow());
        assertTrue(store.find(2).isEmpty());
    }

    @Test
    void starting_a_batch_twice_without_an_input_returns_the_run_as_it_is_and_changes_nothing() {
        store.create(1, "setup");
        BatchRecord before = claimed(1, "setup");
        StageStore.Created again = store.create(1, "setup", null, Duration.ZERO);
        assertFalse(again.isNew());
        assertEquals(before, again.batch(), "the existing run, in progress, at its version");
        assertEquals(before, store.create(1, "setup"));
        assertEquals(before, store.find(1).orElseThrow());
        assertFalse(before.hasInput());
    }

    @Test
    void a_batch_started_with_an_input_reads_it_back() {
        StageStore.Created created = store.create(1, "setup", JsonSource.ofText(INPUT), Duration.ZERO);
        assertTrue(created.isNew());
        assertTrue(created.batch().hasInput());
        assertEquals(BatchState.PENDING, created.batch().state());
        assertEquals(created.batch(), store.find(1).orElseThrow());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
        assertEquals(Optional.empty(), store.readInput(2, in -> "never called"), "no run, no input");
        store.create(2, "setup");
        assertEquals(Optional.empty(), store.readInput(2, in -> "never called"), "a run without an input");
        assertFalse(store.find(2).orElseThrow().hasInput());
    }

    @Test
    void starting_a_batch_again_with_the_same_input_is_the_same_run() {
        store.create(1, "setup", JsonSource.ofText(INPUT), Duration.ZERO);
        BatchRecord running = claimed(1, "setup");
        StageStore.Created again =
                store.create(1, "setup", JsonSource.streamed(out -> out.write(INPUT)), Duration.ZERO);
        assertFalse(again.isNew());
        assertEquals(running, again.batch(), "the run as it is: in progress, version unchanged");
        assertEquals(running.version(), store.find(1).orElseThrow().version());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
    }

    @Test
    void starting_a_batch_again_with_another_input_or_none_is_a_conflict_and_changes_nothing() {
        store.create(1, "setup", JsonSource.ofText(INPUT), Duration.ZERO);
        store.create(2, "setup");
        BatchRecord withInput = store.find(1).orElseThrow();
        BatchRecord without = store.find(2).orElseThrow();

        BatchConflictException other = assertThrows(
                BatchConflictException.class,
                () -> store.create(1, "setup", JsonSource.ofText("{\"a\":2}"), Duration.ZERO));
        assertEquals(1, other.batchId());
        assertTrue(other.getMessage().contains("another input"), other.getMessage());
        BatchConflictException none = assertThrows(BatchConflictException.class, () -> store.create(1, "setup"));
        assertTrue(none.getMessage().contains("an input"), none.getMessage());
        BatchConflictException added = assertThrows(
                BatchConflictException.class, () -> store.create(2, "setup", JsonSource.ofText(INPUT), Duration.ZERO));
        assertTrue(added.getMessage().contains("no input"), added.getMessage());
        assertTrue(added.getMessage().contains("batch 2"), added.getMessage());

        assertEquals(withInput, store.find(1).orElseThrow());
        assertEquals(without, store.find(2).orElseThrow());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
        assertEquals(Optional.empty(), store.readInput(2, StageStoreContract::text));
    }

    @Test
    void a_batch_started_after_a_delay_is_not_claimable_before_its_time_and_is_after() {
        BatchRecord r = store.create(1, "setup", null, Duration.ofHours(1)).batch();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(r.createdAt().plus(Duration.ofHours(1)), r.runAfter());
        assertTrue(store.claim(1, "setup", "worker-a", LEASE).isEmpty(), "not due before its time");
        assertTrue(store.findStalled(Duration.ZERO, 10).isEmpty(), "not overdue either");
        makeDue(1);
        assertEquals(BatchState.IN_PROGRESS, claimed(1, "setup").state());
    }

    @Test
    void a_restart_keeps_the_input() {
        store.create(1, "a", JsonSource.ofText(INPUT), Duration.ZERO);
        assertTrue(store.advance(claimed(1, "a"), "\"A\"", "b", STATS));
        assertTrue(store.fail(claimed(1, "b"), "boom", STATS));
        BatchRecord restarted = store.reset(1, "a", List.of("b"), -1).orElseThrow();
        assertTrue(restarted.hasInput());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
        assertTrue(store.readOutput(1, "a").isEmpty());
        assertFalse(
                store.create(1, "a", JsonSource.ofText(INPUT), Duration.ZERO).isNew(), "still the same run");
    }

    @Test
    void a_claimed_start_is_a_claim_of_the_first_stage_that_heartbeat_and_advance_accept() {
        StageStore.Created created = store.createClaimed(1, "a", JsonSource.ofText(INPUT), TRACE, "worker-a", LEASE);
        store.create(2, "a", JsonSource.ofText(INPUT), Duration.ZERO, TRACE);
        BatchRecord twoSteps = claimed(2, "a");

        assertTrue(created.isNew());
        BatchRecord claim = created.batch();
        assertEquals(claim, store.find(1).orElseThrow(), "the claim is the row as stored");
        assertEquals(BatchState.IN_PROGRESS, claim.state());
        assertEquals("a", claim.stage());
        assertEquals(1, claim.attempt());
        assertEquals("worker-a", claim.leaseOwner());
        assertEquals(twoSteps.version(), claim.version(), "the version a create and a claim leave");
        assertTrue(claim.leaseUntil().isAfter(claim.createdAt().plus(LEASE).minusSeconds(1)), "a lease from now");
        assertFalse(claim.runAfter().isAfter(claim.createdAt()), "due at once");
        assertTrue(claim.hasInput());
        assertEquals(TRACE, claim.traceContext());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
        assertTrue(store.claim(1, "a", "worker-b", LEASE).isEmpty(), "already claimed: no second claim");
        assertTrue(store.findStalled(Duration.ZERO, 10).stream().noneMatch(r -> r.batchId() == 1), "a live lease");

        assertTrue(store.heartbeat(claim, LEASE));
        assertTrue(store.advance(claim, "\"A\"", "b", STATS));
        BatchRecord moved = store.find(1).orElseThrow();
        assertEquals("b", moved.stage());
        assertEquals(BatchState.PENDING, moved.state());
        assertJsonEquals("\"A\"", store.readOutput(1, "a").orElseThrow());
    }

    @Test
    void a_claimed_start_without_an_input_or_with_one_of_many_chunks_stores_it_as_create_does() {
        StringBuilder big = new StringBuilder("[");
        for (int i = 0; big.length() < 300_000; i++) {
            big.append(i == 0 ? "" : ",").append("\"é😀").append(i).append('"');
        }
        String input = big.append(']').toString();
        BatchRecord chunked = store.createClaimed(1, "a", JsonSource.ofText(input), null, "worker-a", LEASE)
                .batch();
        BatchRecord none =
                store.createClaimed(2, "a", null, null, "worker-a", LEASE).batch();

        assertEquals(BatchState.IN_PROGRESS, chunked.state());
        assertTrue(chunked.hasInput());
        assertJsonEquals(input, store.readInput(1, StageStoreContract::text).orElseThrow());
        assertFalse(
                store.createClaimed(1, "a", JsonSource.ofText(input), null, "worker-b", LEASE)
                        .isNew(),
                "the same input again is the same run");
        assertEquals(chunked, store.find(1).orElseThrow());
        assertEquals(BatchState.IN_PROGRESS, none.state());
        assertFalse(none.hasInput());
        assertNull(none.traceContext());
        assertEquals(Optional.empty(), store.readInput(2, StageStoreContract::text));
        assertTrue(store.advance(none, "1", Pipeline.COMPLETED, STATS));
        assertEquals(BatchState.COMPLETED, store.find(2).orElseThrow().state());
    }

    @Test
    void a_claimed_start_of_a_batch_that_has_a_run_claims_nothing_and_changes_nothing() {
        store.create(1, "a", JsonSource.ofText(INPUT), Duration.ZERO);
        BatchRecord pending = store.find(1).orElseThrow();
        store.create(2, "a");
        BatchRecord running = claimed(2, "a");

        StageStore.Created again = store.createClaimed(1, "a", JsonSource.ofText(INPUT), TRACE, "worker-b", LEASE);
        assertFalse(again.isNew());
        assertEquals(pending, again.batch(), "the run as it is: pending, unclaimed");
        assertEquals(pending, store.find(1).orElseThrow());
        StageStore.Created running2 = store.createClaimed(2, "a", null, null, "worker-b", LEASE);
        assertFalse(running2.isNew());
        assertEquals(running, running2.batch(), "still worker-a's claim");
        assertEquals(running, store.find(2).orElseThrow());
        assertTrue(store.heartbeat(running, LEASE), "the first claim still holds");
    }

    @Test
    void a_claimed_start_with_another_input_or_none_is_a_conflict_that_claims_nothing() {
        store.create(1, "a", JsonSource.ofText(INPUT), Duration.ZERO);
        store.create(2, "a");
        BatchRecord withInput = store.find(1).orElseThrow();
        BatchRecord without = store.find(2).orElseThrow();

        BatchConflictException other = assertThrows(
                BatchConflictException.class,
                () -> store.createClaimed(1, "a", JsonSource.ofText("{\"a\":2}"), null, "worker-a", LEASE));
        assertEquals(1, other.batchId());
        assertTrue(other.getMessage().contains("another input"), other.getMessage());
        BatchConflictException none = assertThrows(
                BatchConflictException.class, () -> store.createClaimed(1, "a", null, null, "worker-a", LEASE));
        assertTrue(none.getMessage().contains("an input"), none.getMessage());
        BatchConflictException added = assertThrows(
                BatchConflictException.class,
                () -> store.createClaimed(2, "a", JsonSource.ofText(INPUT), null, "worker-a", LEASE));
        assertTrue(added.getMessage().contains("no input"), added.getMessage());

        assertEquals(withInput, store.find(1).orElseThrow());
        assertEquals(without, store.find(2).orElseThrow());
        assertJsonEquals(INPUT, store.readInput(1, StageStoreContract::text).orElseThrow());
    }

    @Test
    void a_claimed_start_whose_runner_never_runs_it_is_rescued_by_the_sweeper_when_its_lease_expires() {
        BatchRecord claim =
                store.createClaimed(1, "a", null, null, "worker-a", LEASE).batch();
        expireLease(1);
        BatchRecord stalled = store.findStalled(Duration.ofMinutes(1), 10).get(0);
        assertEquals(1, stalled.batchId());
        BatchRecord rescued = store.rescue(stalled, "lease expired", false).orElseThrow();
        assertEquals(BatchState.PENDING, rescued.state());
        assertEquals(2, rescued.attempt());
        assertFalse(store.advance(claim, "\"late\"", Pipeline.COMPLETED, STATS), "the late claim commits nothing");
        assertEquals(2, claimed(1, "a").attempt());
    }

    /** A W3C traceparent, as an interceptor gives one. */
    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void a_batch_keeps_the_trace_context_it_was_started_with_through_every_change_of_its_run() {
        assertEquals(
                TRACE, store.create(1, "a", null, Duration.ZERO, TRACE).batch().traceContext());
        assertEquals(TRACE, store.find(1).orElseThrow().traceContext());
        BatchRecord a = claimed(1, "a");
        assertEquals(TRACE, a.traceContext(), "the claim");
        BatchRecord b = store.advanceAndClaim(a, "\"A\"", "b", STATS, LEASE).orElseThrow();
        assertEquals(TRACE, b.traceContext(), "the inline advance and claim");
        assertTrue(store.saveProgress(b, "{\"next\":1}", "[1]", STATS));
        BatchRecord again = claimed(1, "b");
        assertEquals(TRACE, again.traceContext(), "the claim of a continuation");
        assertTrue(store.scheduleRetry(again, "boom", Duration.ZERO, STATS));
        makeDue(1);
        BatchRecord retried = claimed(1, "b");
        assertEquals(TRACE, retried.traceContext(), "the claim of a retry");
        expireLease(1);
        BatchRecord rescued = store.rescue(
                        store.findStalled(Duration.ofMinutes(1), 10).get(0), "lease expired", false)
                .orElseThrow();
        assertEquals(TRACE, rescued.traceContext(), "the sweeper's rescue");
        assertEquals(TRACE, claimed(1, "b").traceContext(), "the claim of the rescued stage");
        BatchRecord restarted = store.reset(1, "a", List.of("b"), -1).orElseThrow();
        assertEquals(TRACE, restarted.traceContext(), "a restart");
        assertEquals(TRACE, store.list(Set.of(), 0, 10).get(0).traceContext(), "the listing");
    }

    @Test
    void a_start_again_keeps_the_runs_own_trace_context_and_a_batch_started_without_one_has_none() {
        store.create(1, "a", null, Duration.ZERO, TRACE);
        String other = "00-11111111111111111111111111111111-2222222222222222-01";
        StageStore.Created again = store.create(1, "a", null, Duration.ZERO, other);
        assertFalse(again.isNew());
        assertEquals(TRACE, again.batch().traceContext());
        assertEquals(TRACE, store.find(1).orElseThrow().traceContext());
        assertNull(store.create(2, "a").traceContext());
        assertNull(claimed(2, "a").traceContext());
        assertEquals(
                other,
                store.create(3, "a", JsonSource.ofText(INPUT), Duration.ZERO, other)
                        .batch()
                        .traceContext(),
                "with an input");
    }

    @Test
    void a_large_input_reads_back_exactly_as_it_was_written() {
        StringBuilder big = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 20_000; i++) {
            big.append(i == 0 ? "" : ", ")
                    .append("{\"n\": ")
                    .append(i)
                    .append(", \"s\": \"é😀\\u0000")
                    .append(i)
                    .append("\"}");
        }
        String json = big.append("]}").toString();
        JsonSource streamed = JsonSource.streamed(out -> {
            for (int from = 0; from < json.length(); from += 3001) {
                out.write(json, from, Math.min(3001, json.length() - from));
            }
        });
        assertTrue(store.create(1, "setup", streamed, Duration.ZERO).isNew());
        assertEquals(json, store.readInput(1, StageStoreContract::text).orElseThrow(), "byte for byte");
        assertFalse(
                store.create(1, "setup", JsonSource.ofText(json), Duration.ZERO).isNew());
        JsonSource longer = JsonSource.ofText(json.replace("]}", ",1]}"));
        assertThrows(BatchConflictException.class, () -> store.create(1, "setup", longer, Duration.ZERO));
    }

    @Test
    void an_input_that_fails_to_write_itself_is_refused_and_starts_no_run() {
        JsonSource failing = JsonSource.streamed(out -> {
            out.write("{\"partly\":");
            throw new IOException("the source went away");
        });
        UnstorableValueException e =
                assertThrows(UnstorableValueException.class, () -> store.create(1, "setup", failing, Duration.ZERO));
        assertTrue(e.getMessage().contains("input of batch 1"), e.getMessage());
        assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        assertThrows(
                UnstorableValueException.class, () -> store.create(1, "setup", JsonSource.ofText(null), Duration.ZERO));
        assertTrue(store.find(1).isEmpty());
        assertEquals(Optional.empty(), store.readInput(1, StageStoreContract::text));
        assertTrue(
                store.create(1, "setup", JsonSource.ofText(INPUT), Duration.ZERO)
                        .isNew(),
                "nothing was left behind");
    }

    @Test
    void a_claim_holds_a_lease_and_only_one_claim_wins() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        assertEquals(BatchState.IN_PROGRESS, c.state());
        assertEquals("worker-a", c.leaseOwner());
        assertNotNull(c.leaseUntil());
        assertTrue(store.claim(1, "setup", "worker-b", LEASE).isEmpty());
    }

    @Test
    void a_claim_for_another_stage_or_a_missing_batch_is_refused_and_changes_nothing() {
        store.create(1, "setup");
        BatchRecord before = store.find(1).orElseThrow();
        assertTrue(store.claim(1, "extraction", "worker-a", LEASE).isEmpty());
        assertTrue(store.claim(99, "setup", "worker-a", LEASE).isEmpty());
        assertEquals(before, store.find(1).orElseThrow());
    }

    @Test
    void sixteen_concurrent_claims_of_one_stage_have_exactly_one_winner() throws Exception {
        store.create(1, "setup");
        int threads = 16;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Optional<BatchRecord>>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String owner = "worker-" + i;
                Callable<Optional<BatchRecord>> claim = () -> {
                    start.await();
                    return store.claim(1, "setup", owner, LEASE);
                };
                results.add(pool.submit(claim));
            }
            start.countDown();
            int winners = 0;
            for (Future<Optional<BatchRecord>> f : results) {
                winners += f.get().isPresent() ? 1 : 0;
            }
            assertEquals(1, winners);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void advance_stores_the_output_and_moves_to_the_next_stage_in_one_step() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        assertTrue(store.advance(c, "{\"rows\":[1,2,3]}", "extraction", STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals("extraction", r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
        assertNull(r.leaseOwner());
        assertNull(r.cursor());
        assertEquals(STATS, r.statsOf("setup"));
        assertJsonEquals("{\"rows\":[1,2,3]}", store.readOutput(1, "setup").orElseThrow());
        assertTrue(store.readOutput(1, "extraction").isEmpty());
    }

    @Test
    void advancing_past_the_last_stage_completes_the_batch() {
        store.create(1, "persistence");
        assertTrue(store.advance(claimed(1, "persistence"), "null", Pipeline.COMPLETED, STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(Pipeline.COMPLETED, r.stage());
        assertEquals(BatchState.COMPLETED, r.state());
    }

    @Test
    void a_stale_claim_commits_nothing() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        assertTrue(store.advance(c, "{\"first\":true}", "extraction", STATS));
        assertFalse(store.advance(c, "{\"second\":true}", "extraction", STATS));
        assertFalse(store.saveProgress(c, "{}", "{}", STATS));
        assertFalse(store.scheduleRetry(c, "late", Duration.ZERO, STATS));
        assertFalse(store.fail(c, "late", STATS));
        assertFalse(store.heartbeat(c, LEASE));
        assertJsonEquals("{\"first\":true}", store.readOutput(1, "setup").orElseThrow());
        assertEquals("extraction", store.find(1).orElseThrow().stage());
    }

    @Test
    void progress_of_a_sliced_stage_keeps_stage_and_attempt_and_hands_back_the_cursor() {
        store.create(1, "extraction");
        BatchRecord c = claimed(1, "extraction");
        assertTrue(store.saveProgress(c, "{\"next\":500}", "[1,2]", STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals("extraction", r.stage());
        assertEquals(1, r.attempt());
        assertJsonEquals("{\"next\":500}", r.cursor());
        assertJsonEquals("[1,2]", store.readOutput(1, "extraction").orElseThrow());
        BatchRecord again = claimed(1, "extraction");
        assertJsonEquals("{\"next\":500}", again.cursor());
        assertTrue(store.advance(again, "[1,2,3]", "validation", STATS));
        assertJsonEquals("[1,2,3]", store.readOutput(1, "extraction").orElseThrow());
        assertNull(store.find(1).orElseThrow().cursor());
    }

    @Test
    void a_retry_adds_an_attempt_and_waits_for_its_backoff() {
        store.create(1, "setup");
        assertTrue(store.scheduleRetry(claimed(1, "setup"), "java.io.IOException: reset", Duration.ofHours(1), STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(2, r.attempt());
        assertEquals("java.io.IOException: reset", r.error());
        assertTrue(store.claim(1, "setup", "worker-a", LEASE).isEmpty(), "not due before its backoff");
        makeDue(1);
        assertEquals(2, claimed(1, "setup").attempt());
    }

    @Test
    void failing_keeps_the_stage_and_the_error() {
        store.create(1, "validation");
        assertTrue(store.fail(claimed(1, "validation"), "boom", STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.FAILED, r.state());
        assertEquals("validation", r.stage());
        assertEquals("boom", r.error());
        assertTrue(store.claim(1, "validation", "worker-a", LEASE).isEmpty());
    }

    @Test
    void a_heartbeat_extends_a_held_lease() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        assertTrue(store.heartbeat(c, LEASE.multipliedBy(2)));
        assertTrue(store.find(1).orElseThrow().leaseUntil().isAfter(c.leaseUntil()));
        assertTrue(store.advance(c, "1", "extraction", STATS), "a heartbeat does not invalidate the claim");
    }

    @Test
    void the_sweeper_finds_expired_leases_and_overdue_triggers_but_not_healthy_batches() {
        store.create(1, "setup");
        store.create(2, "setup");
        store.create(3, "setup");
        store.create(4, "setup");
        claimed(1, "setup");
        expireLease(1);
        claimed(2, "setup");
        ageBy(3, Duration.ofMinutes(10));
        List<Long> stalled = store.findStalled(Duration.ofMinutes(1), 100).stream()
                .map(BatchRecord::batchId)
                .sorted()
                .toList();
        assertEquals(List.of(1L, 3L), stalled);
    }

    @Test
    void the_sweeper_can_ask_for_stalled_batches_at_its_own_stages_only() {
        store.create(1, "retired");
        store.create(2, "setup");
        store.create(3, "extraction");
        ageBy(1, Duration.ofMinutes(20));
        ageBy(2, Duration.ofMinutes(10));
        ageBy(3, Duration.ofMinutes(10));
        List<Long> stalled = store.findStalled(Duration.ofMinutes(1), 1, Set.of("setup", "extraction")).stream()
                .map(BatchRecord::batchId)
                .toList();
        assertEquals(List.of(2L), stalled, "the older row at a retired stage does not take the only place");
        assertEquals(
                List.of(2L, 3L),
                store.findStalled(Duration.ofMinutes(1), 10, Set.of("setup", "extraction")).stream()
                        .map(BatchRecord::batchId)
                        .sorted()
                        .toList());
    }

    @Test
    void unfinished_batches_at_other_stages_are_counted_per_stage() {
        store.create(1, "retired");
        store.create(2, "retired");
        store.create(3, "gone");
        store.cancel(3);
        store.create(4, "setup");
        assertEquals(Map.of("retired", 2L), store.countActiveOutside(Set.of("setup")));
        assertEquals(Map.of(), store.countActiveOutside(Set.of("setup", "retired")));
    }

    @Test
    void rescuing_an_expired_lease_adds_an_attempt_and_the_late_owner_commits_nothing() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        expireLease(1);
        BatchRecord stalled = store.findStalled(Duration.ofMinutes(1), 10).get(0);
        BatchRecord r = store.rescue(stalled, "lease expired", false).orElseThrow();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(2, r.attempt());
        assertEquals("lease expired", r.error());
        assertTrue(
                store.rescue(stalled, "lease expired", false).isEmpty(), "a second rescue of the same row is refused");
        assertFalse(store.advance(c, "{\"late\":true}", "extraction", STATS));
        assertTrue(store.readOutput(1, "setup").isEmpty());
        assertEquals(2, claimed(1, "setup").attempt());
    }

    @Test
    void rescuing_with_no_attempts_left_fails_the_batch() {
        store.create(1, "setup");
        claimed(1, "setup");
        expireLease(1);
        BatchRecord r = store.rescue(store.findStalled(Duration.ZERO, 10).get(0), "lease expired (gave up)", true)
                .orElseThrow();
        assertEquals(BatchState.FAILED, r.state());
        assertEquals("setup", r.stage());
        assertEquals("lease expired (gave up)", r.error());
    }

    @Test
    void rescuing_an_overdue_pending_batch_only_touches_it_once() {
        store.create(1, "setup");
        ageBy(1, Duration.ofMinutes(10));
        BatchRecord stalled = store.findStalled(Duration.ofMinutes(1), 10).get(0);
        BatchRecord r = store.rescue(stalled, null, false).orElseThrow();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
        assertNotEquals(stalled.version(), r.version());
        assertTrue(store.rescue(stalled, null, false).isEmpty());
        assertTrue(store.findStalled(Duration.ofMinutes(1), 10).isEmpty(), "touched rows wait another grace period");
    }

    @Test
    void cancelling_stops_a_running_claim_from_committing() {
        store.create(1, "setup");
        BatchRecord c = claimed(1, "setup");
        assertEquals(BatchState.CANCELLED, store.cancel(1).orElseThrow().state());
        assertFalse(store.advance(c, "1", "extraction", STATS));
        assertTrue(store.cancel(1).isEmpty(), "an ended batch cannot be cancelled again");
        assertTrue(store.cancel(42).isEmpty());
    }

    @Test
    void reset_deletes_the_outputs_from_that_stage_on_and_runs_it_again() {
        store.create(1, "a");
        assertTrue(store.advance(claimed(1, "a"), "\"A\"", "b", STATS));
        assertTrue(store.advance(claimed(1, "b"), "\"B\"", "c", STATS));
        assertTrue(store.fail(claimed(1, "c"), "boom", STATS));
        BatchRecord failed = store.find(1).orElseThrow();
        BatchRecord r = store.reset(1, "b", List.of("c"), failed.version()).orElseThrow();
        assertEquals("b", r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
        assertNull(r.error());
        assertJsonEquals("\"A\"", store.readOutput(1, "a").orElseThrow());
        assertTrue(store.readOutput(1, "b").isEmpty());
        assertTrue(store.reset(1, "a", List.of("b", "c"), failed.version()).isEmpty(), "a stale version is refused");
    }

    @Test
    void list_pages_by_state_and_counts_cover_every_state() {
        for (long id = 1; id <= 5; id++) {
            store.create(id, "setup");
        }
        assertTrue(store.fail(claimed(2, "setup"), "x", STATS));
        assertTrue(store.fail(claimed(4, "setup"), "y", STATS));
        List<BatchRecord> failed = store.list(Set.of(BatchState.FAILED), 0, 10);
        assertEquals(
                List.of(2L, 4L),
                failed.stream().map(BatchRecord::batchId).sorted().toList());
        assertEquals(1, store.list(Set.of(BatchState.FAILED), 1, 10).size());
        assertEquals(5, store.list(Set.of(), 0, 10).size());
        assertEquals(2, store.list(Set.of(), 0, 2).size());
        Map<BatchState, Long> counts = store.countByState();
        assertEquals(BatchState.values().length, counts.size());
        assertEquals(3L, counts.get(BatchState.PENDING));
        assertEquals(2L, counts.get(BatchState.FAILED));
        assertEquals(0L, counts.get(BatchState.COMPLETED));
    }

    private static final Duration HOUR = Duration.ofHours(1);
    private static final Set<BatchState> COMPLETED_OR_CANCELLED = Set.of(BatchState.COMPLETED, BatchState.CANCELLED);

    /** A batch run through two stages to {@code completed}, with an input and two outputs. */
    private void complete(long batchId) {
        store.create(batchId, "a", JsonSource.ofText(INPUT), Duration.ZERO);
        assertTrue(store.advance(claimed(batchId, "a"), "\"A\"", "b", STATS));
        assertTrue(store.advance(claimed(batchId, "b"), "\"B\"", Pipeline.COMPLETED, STATS));
    }

    @Test
    void purging_deletes_finished_batches_older_than_the_period_with_their_outputs_and_input_and_keeps_the_rest() {
        complete(1); // completed two hours ago: purged
        complete(2); // completed just now: kept
        store.create(3, "a"); // cancelled two hours ago: purged
        store.cancel(3).orElseThrow();
        store.create(4, "a"); // failed two hours ago: kept, failed is not asked for
        assertTrue(store.fail(claimed(4, "a"), "boom", STATS));
        store.create(5, "a"); // pending for two hours: never purged
        store.create(6, "a"); // running, its lease taken two hours ago: never purged
        BatchRecord running = claimed(6, "a");
        for (long id : new long[] {1, 3, 4, 5, 6}) {
            ageBy(id, HOUR.multipliedBy(2));
        }

        StageStore.Purged purged = store.purgeFinished(HOUR, COMPLETED_OR_CANCELLED, 0, 100);

        assertEquals(List.of(1L, 3L), purged.batchIds());
        assertEquals(3, purged.dataRows(), "batch 1's input and two outputs");
        assertTrue(store.find(1).isEmpty());
        assertTrue(store.readOutput(1, "a").isEmpty());
        assertTrue(store.readOutput(1, "b").isEmpty());
        assertTrue(store.readInput(1, StageStoreContract::text).isEmpty());
        assertTrue(store.find(3).isEmpty());
        assertJsonEquals("\"B\"", store.readOutput(2, "b").orElseThrow());
        assertJsonEquals(INPUT, store.readInput(2, StageStoreContract::text).orElseThrow());
        assertEquals(BatchState.FAILED, store.find(4).orElseThrow().state());
        assertEquals(BatchState.PENDING, store.find(5).orElseThrow().state());
        assertTrue(store.advance(running, "\"A\"", "b", STATS), "the running batch commits as if nothing happened");
        assertEquals(
                List.of(4L),
                store.purgeFinished(HOUR, Set.of(BatchState.FAILED), 0, 100).batchIds(),
                "failed batches go when asked for");
        assertEquals(
                List.of(),
                store.purgeFinished(HOUR, COMPLETED_OR_CANCELLED, 0, 100).batchIds());
    }

    @Test
    void purging_pages_by_batch_id_and_a_purged_id_starts_a_new_run() {
        for (long id = 1; id <= 5; id++) {
            complete(id);
            ageBy(id, HOUR);
        }
        assertEquals(
                List.of(1L, 2L),
                store.purgeFinished(Duration.ZERO, COMPLETED_OR_CANCELLED, 0, 2).batchIds());
        assertEquals(
                List.of(3L, 4L),
                store.purgeFinished(Duration.ZERO, COMPLETED_OR_CANCELLED, 2, 2).batchIds());
        assertEquals(
                List.of(5L),
                store.purgeFinished(Duration.ZERO, COMPLETED_OR_CANCELLED, 4, 2).batchIds());
        assertTrue(store.list(Set.of(), 0, 10).isEmpty());

        StageStore.Created again = store.create(1, "a", JsonSource.ofText(INPUT), Duration.ZERO);
        assertTrue(again.isNew(), "the purged run is forgotten: the same id starts a new one");
        assertEquals("a", again.batch().stage());
        assertTrue(store.readOutput(1, "a").isEmpty(), "with nothing of the old run's outputs");
    }

    @Test
    void purging_refuses_states_that_are_not_finished_and_changes_nothing() {
        store.create(1, "a");
        ageBy(1, HOUR);
        for (Set<BatchState> states :
                List.of(Set.of(BatchState.PENDING), Set.of(BatchState.IN_PROGRESS), Set.<BatchState>of())) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> store.purgeFinished(Duration.ZERO, states, 0, 10));
            assertTrue(e.getMessage().contains("finished"), e.getMessage());
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> store.purgeFinished(Duration.ofSeconds(-1), COMPLETED_OR_CANCELLED, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> store.purgeFinished(HOUR, COMPLETED_OR_CANCELLED, 0, 0));
        assertEquals(BatchState.PENDING, store.find(1).orElseThrow().state());
    }

    @Test
    void search_filters_by_state_stage_error_text_and_id_and_pages_newest_change_first() {
        for (long id = 1; id <= 6; id++) {
            store.create(id, "a");
        }
        assertTrue(store.fail(claimed(2, "a"), "Connection REFUSED by vision service", STATS));
        assertTrue(store.advance(claimed(3, "a"), "\"A\"", "b", STATS));
        assertTrue(store.fail(claimed(3, "b"), "connection refused again", STATS));
        assertTrue(store.fail(claimed(4, "a"), "disk full", STATS));
        assertTrue(store.cancel(5).isPresent());

        assertEquals(List.of(2L, 3L), ids(new BatchQuery(Set.of(), null, "connection refused", null)));
        assertEquals(List.of(3L), ids(new BatchQuery(Set.of(BatchState.FAILED), "b", null, null)));
        assertEquals(List.of(2L, 4L), ids(new BatchQuery(Set.of(BatchState.FAILED), "a", null, null)));
        assertEquals(List.of(4L), ids(new BatchQuery(Set.of(), null, null, 4L)));
        assertEquals(List.of(), ids(new BatchQuery(Set.of(BatchState.PENDING), null, null, 4L)));
        assertEquals(
                List.of(1L, 5L, 6L),
                ids(new BatchQuery(Set.of(BatchState.PENDING, BatchState.CANCELLED), null, null, null)));
        assertEquals(List.of(), ids(new BatchQuery(Set.of(), null, "50%_", null)), "the text is literal");

        List<BatchRecord> all = store.search(BatchQuery.ALL, 0, 10);
        assertEquals(6, all.size());
        for (int i = 1; i < all.size(); i++) {
            assertFalse(
                    all.get(i).updatedAt().isAfter(all.get(i - 1).updatedAt()), "most recently changed first: " + all);
        }
        assertEquals(all.subList(2, 4), store.search(BatchQuery.ALL, 2, 2));
    }

    private List<Long> ids(BatchQuery query) {
        return store.search(query, 0, 100).stream()
                .map(BatchRecord::batchId)
                .sorted()
                .toList();
    }

    @Test
    void outputs_keep_their_json_exactly_including_unicode_and_large_values() {
        store.create(1, "setup");
        StringBuilder big = new StringBuilder("[");
        for (int i = 0; i < 200_000; i++) {
            big.append(i == 0 ? "" : ",").append("\"é😀").append(i).append('"');
        }
        big.append(']');
        assertTrue(store.advance(claimed(1, "setup"), big.toString(), "extraction", STATS));
        assertJsonEquals(big.toString(), store.readOutput(1, "setup").orElseThrow());
    }

    @Test
    void a_streamed_output_is_stored_as_it_writes_itself_and_read_through_a_reader() throws Exception {
        store.create(1, "setup");
        StringBuilder big = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 100_000; i++) {
            big.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append(",\"s\":\"é😀\"}");
        }
        String json = big.append("]}").toString();
        JsonSource streamed = JsonSource.streamed(out -> {
            for (int from = 0; from < json.length(); from += 4096) {
                out.write(json, from, Math.min(4096, json.length() - from));
            }
        });
        assertTrue(store.advance(claimed(1, "setup"), streamed, "extraction", STATS));

        assertJsonEquals(json, store.readOutput(1, "setup").orElseThrow());
        assertEquals(Optional.empty(), store.readOutput(1, "extraction", in -> "never called"));
        assertEquals(
                Optional.empty(), store.readOutput(1, "setup", in -> null), "a reader that returns null reads as none");
    }

    @Test
    void an_output_that_fails_to_write_itself_is_refused_and_the_claim_still_holds() {
        store.create(1, "setup");
        BatchRecord claim = claimed(1, "setup");
        BatchRecord before = store.find(1).orElseThrow();
        JsonSource failing = JsonSource.streamed(out -> {
            out.write("{\"partly\":");
            throw new IOException("the source went away");
        });

        UnstorableValueException e =
                assertThrows(UnstorableValueException.class, () -> store.advance(claim, failing, "extraction", STATS));
        assertTrue(e.getMessage().contains("stage 'setup' of batch 1"), e.getMessage());
        assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        assertThrows(UnstorableValueException.class, () -> store.saveProgress(claim, "1", failing, STATS));
        assertThrows(UnstorableValueException.class, () -> store.advance(claim, (String) null, "extraction", STATS));
        assertEquals(before, store.find(1).orElseThrow());
        assertEquals(Optional.empty(), store.readOutput(1, "setup"));
        assertTrue(store.advance(claim, "{}", "extraction", STATS), "the claim still holds");
    }

    @Test
    void a_trigger_error_is_noted_only_on_a_batch_pending_at_that_stage_and_changes_nothing_else() {
        store.create(1, "setup");
        ageBy(1, Duration.ofMinutes(10));
        BatchRecord before = store.find(1).orElseThrow();
        store.recordTriggerError(1, "setup", "connection refused by http://localhost:1/api/batch-processing/setup");

        BatchRecord noted = store.find(1).orElseThrow();
        assertEquals("connection refused by http://localhost:1/api/batch-processing/setup", noted.error());
        assertEquals(before.version(), noted.version(), "the version does not move");
        assertEquals(before.updatedAt(), noted.updatedAt(), "updated_at does not move");
        assertEquals(before.state(), noted.state());
        assertEquals(before.attempt(), noted.attempt());
        assertEquals(
                List.of(1L),
                store.findStalled(Duration.ofMinutes(1), 10).stream()
                        .map(BatchRecord::batchId)
                        .toList(),
                "the sweeper still finds it overdue");

        store.recordTriggerError(1, "extraction", "another stage");
        store.recordTriggerError(2, "setup", "no such batch");
        assertEquals(noted, store.find(1).orElseThrow(), "another stage's error is ignored");
        assertTrue(store.find(2).isEmpty());

        BatchRecord claim = claimed(1, "setup");
        assertEquals(noted.error(), claim.error());
        store.recordTriggerError(1, "setup", "late");
        assertEquals(claim, store.find(1).orElseThrow(), "a claimed batch is left alone");
        assertTrue(store.advance(claim, "{}", "extraction", STATS), "the claim still holds");
        assertNull(store.find(1).orElseThrow().error(), "advancing clears it");
    }

    @Test
    void progress_with_a_retry_commits_the_partial_output_and_cursor_and_waits_for_the_backoff() {
        store.create(1, "annotation");
        BatchRecord c = claimed(1, "annotation");
        assertTrue(store.saveProgressAndRetry(
                c, "150", JsonSource.ofText("[1,4,9]"), 2, "item 150 failed: timeout", Duration.ofHours(1), STATS));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.PENDING, r.state());
        assertEquals("annotation", r.stage());
        assertEquals(2, r.attempt());
        assertEquals("item 150 failed: timeout", r.error());
        assertNull(r.leaseOwner());
        assertJsonEquals("150", r.cursor());
        assertEquals(STATS, r.statsOf("annotation"));
        assertJsonEquals("[1,4,9]", store.readOutput(1, "annotation").orElseThrow());
        assertTrue(store.claim(1, "annotation", "worker-a", LEASE).isEmpty(), "not due before its backoff");
        makeDue(1);
        BatchRecord again = claimed(1, "annotation");
        assertEquals(2, again.attempt());
        assertJsonEquals("150", again.cursor());
        assertTrue(store.saveProgressAndRetry(
                again, "300", JsonSource.ofText("[1,4,9,16]"), 1, again.error(), Duration.ZERO, STATS));
        assertEquals(1, store.find(1).orElseThrow().attempt(), "the attempt is the one given, not attempt + 1");
        assertJsonEquals("[1,4,9,16]", store.readOutput(1, "annotation").orElseThrow());
    }

    @Test
    void a_lost_claim_commits_neither_the_progress_nor_the_retry() {
        store.create(1, "annotation");
        BatchRecord c = claimed(1, "annotation");
        expireLease(1);
        BatchRecord rescued = store.rescue(
                        store.findStalled(Duration.ofMinutes(1), 10).get(0), "lease expired", false)
                .orElseThrow();
        assertFalse(
                store.saveProgressAndRetry(c, "150", JsonSource.ofText("[1,4,9]"), 2, "late", Duration.ZERO, STATS));
        String large = "[" + "\"" + "x".repeat(300_000) + "\"," + "\"" + "y".repeat(300_000) + "\"]";
        assertFalse(
                store.saveProgressAndRetry(c, "150", JsonSource.ofText(large), 2, "late", Duration.ZERO, STATS),
                "an output long enough to be chunked is not written either");
        assertEquals(rescued, store.find(1).orElseThrow());
        assertEquals(Optional.empty(), store.readOutput(1, "annotation"));
    }

    @Test
    void progress_with_a_retry_refuses_bad_input_and_the_claim_still_holds() {
        store.create(1, "annotation");
        BatchRecord claim = claimed(1, "annotation");
        BatchRecord before = store.find(1).orElseThrow();
        JsonSource failing = JsonSource.streamed(out -> {
            out.write("[1,");
            throw new IOException("the source went away");
        });
        UnstorableValueException e = assertThrows(
                UnstorableValueException.class,
                () -> store.saveProgressAndRetry(claim, "3", failing, 2, "item 3 failed", Duration.ZERO, STATS));
        assertTrue(e.getMessage().contains("stage 'annotation' of batch 1"), e.getMessage());
        assertThrows(
                UnstorableValueException.class,
                () -> store.saveProgressAndRetry(
                        claim, "3", JsonSource.ofText("[1]"), 0, "item 3 failed", Duration.ZERO, STATS));
        assertEquals(before, store.find(1).orElseThrow());
        assertEquals(Optional.empty(), store.readOutput(1, "annotation"));
        assertTrue(
                store.saveProgressAndRetry(
                        claim, "3", JsonSource.ofText("[1]"), 2, "item 3 failed", Duration.ZERO, STATS),
                "the claim still holds");
    }

    // ---- shards: the fan-out of a stage (StageStore#fanOut and the shard methods) ----

    /** The stage the shard tests fan out, and the stage after it. */
    private static final String FANNED = "annotation";

    private static final String AFTER = "persistence";

    /**
     * Lets {@code step} of the store's time pass, for the shard tests that wait out a short lease. The default
     * waits that long (the PostgreSQL store's clock is the database's); a store on a test clock moves the clock.
     *
     * @param step how much time
     */
    protected void letTimePass(Duration step) {
        LockSupport.parkNanos(step.toNanos());
    }

    /** Batch {@code batchId} created with {@link #INPUT} and {@link #TRACE} at {@link #FANNED} and fanned out. */
    private List<ShardRecord> fannedOut(long batchId, ShardPlan plan) {
        store.create(batchId, FANNED, JsonSource.ofText(INPUT), Duration.ZERO, TRACE);
        return store.fanOut(claimed(batchId, FANNED), plan, STATS)
                .orElseThrow(() -> new AssertionError("the fan-out of batch " + batchId + " was refused"));
    }

    private ShardRecord claimedShard(long batchId, int shard) {
        return store.claimShard(batchId, FANNED, shard, "shard-worker-" + shard, LEASE)
                .orElseThrow(() -> new AssertionError("claim of shard " + shard + " of batch " + batchId + " failed"));
    }

    private ShardRecord shard(long batchId, int shard) {
        return store.shards(batchId, FANNED).get(shard);
    }

    private List<ShardState> shardStates(long batchId) {
        return store.shards(batchId, FANNED).stream().map(ShardRecord::state).toList();
    }

    private Optional<String> shardOutput(long batchId, int shard) {
        return store.readOutput(batchId, ShardRecord.dataKey(FANNED, shard));
    }

    /** Polls the sweeper's view, letting time pass, until it lists the shard (the lease of its claim ran out). */
    private ShardRecord awaitStalled(long batchId, int shard) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Optional<ShardRecord> found = store.findStalledShards(HOUR, 100).stream()
                    .filter(s -> s.batchId() == batchId && s.stage().equals(FANNED) && s.shard() == shard)
                    .findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("shard " + shard + " of batch " + batchId + " never became stalled: "
                        + store.shards(batchId, FANNED));
            }
            letTimePass(Duration.ofMillis(10));
        }
    }

    @Test
    void shards_a_fan_out_schedules_parallelism_shards_and_leaves_the_batch_to_them() {
        store.create(1, FANNED, JsonSource.ofText(INPUT), Duration.ZERO, TRACE);
        BatchRecord claim = claimed(1, FANNED);
        ShardPlan plan = new ShardPlan(10, 4, 2);
        List<ShardRecord> due = store.fanOut(claim, plan, STATS).orElseThrow();

        List<ShardRecord> shards = store.shards(1, FANNED);
        assertEquals(4, shards.size());
        assertEquals(
                List.of(ShardState.PENDING, ShardState.PENDING, ShardState.WAITING, ShardState.WAITING),
                shardStates(1));
        assertEquals(shards.subList(0, 2), due, "the shards to trigger now are the pending ones");
        for (int k = 0; k < 4; k++) {
            ShardRecord s = shards.get(k);
            assertEquals(1, s.batchId());
            assertEquals(FANNED, s.stage());
            assertEquals(k, s.shard());
            assertEquals(4, s.shards());
            assertEquals(1, s.attempt());
            assertEquals(plan.from(k), s.fromItem());
            assertEquals(plan.to(k), s.toItem());
            assertEquals(10, s.items());
            assertNull(s.leaseOwner());
            assertNull(s.leaseUntil());
            assertNull(s.cursor());
            assertNull(s.error());
            assertNull(s.finishedAt());
            assertTrue(s.hasInput());
            assertEquals(TRACE, s.traceContext());
        }
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.IN_PROGRESS, r.state());
        assertEquals(FANNED, r.stage());
        assertEquals(StageStore.SHARDS_OWNER, r.leaseOwner());
        assertNull(r.leaseUntil(), "the shards hold leases of their own");
        assertEquals(STATS, r.statsOf(FANNED));
        assertTrue(store.claim(1, FANNED, "worker-b", LEASE).isEmpty(), "a fanned-out stage is not claimable");
        assertFalse(store.heartbeat(claim, LEASE), "the stage's claim ended with the fan-out");
        assertFalse(store.advance(claim, "[]", AFTER, STATS), "the stage's claim commits nothing after it");
        assertEquals(r, store.find(1).orElseThrow());
        assertTrue(store.findStalled(Duration.ZERO, 10).isEmpty(), "a fanned-out batch is the shards' to rescue");
        assertEquals(List.of(), store.shards(1, AFTER), "another stage has no shards");
        assertEquals(List.of(), store.shards(2, FANNED), "nor has another batch");
    }

    @Test
    void shards_a_lost_claim_fans_out_nothing() {
        store.create(1, FANNED);
        BatchRecord claim = claimed(1, FANNED);
        expireLease(1);
        BatchRecord rescued = store.rescue(
                        store.findStalled(Duration.ofMinutes(1), 10).get(0), "lease expired", false)
                .orElseThrow();
        assertEquals(Optional.empty(), store.fanOut(claim, new ShardPlan(4, 2, 2), STATS));
        assertEquals(List.of(), store.shards(1, FANNED));
        assertEquals(rescued, store.find(1).orElseThrow());
    }

    @Test
    void shards_only_a_pending_shard_of_a_fanned_out_stage_is_claimable_and_only_once() {
        store.create(2, FANNED);
        assertTrue(store.claimShard(2, FANNED, 0, "w", LEASE).isEmpty(), "a stage that was not fanned out");
        fannedOut(1, new ShardPlan(6, 3, 2));

        ShardRecord c = store.claimShard(1, FANNED, 0, "worker-a", LEASE).orElseThrow();
        assertEquals(ShardState.IN_PROGRESS, c.state());
        assertEquals("worker-a", c.leaseOwner());
        assertNotNull(c.leaseUntil());
        assertNotNull(c.startedAt());
        assertEquals(1, c.attempt());
        assertEquals(c, shard(1, 0));
        assertTrue(store.claimShard(1, FANNED, 0, "worker-b", LEASE).isEmpty(), "a second claim of a running shard");
        assertTrue(store.claimShard(1, FANNED, 2, "worker-b", LEASE).isEmpty(), "a waiting shard");
        assertTrue(store.claimShard(1, FANNED, 3, "worker-b", LEASE).isEmpty(), "a shard the stage does not have");
        assertTrue(store.claimShard(1, AFTER, 1, "worker-b", LEASE).isEmpty(), "another stage");
        assertTrue(store.claimShard(9, FANNED, 1, "worker-b", LEASE).isEmpty(), "a missing batch");
        assertEquals(ShardState.PENDING, shard(1, 1).state(), "the refused claims changed nothing");
        assertTrue(store.heartbeatShard(c, LEASE.multipliedBy(2)));
        assertTrue(shard(1, 0).leaseUntil().isAfter(c.leaseUntil()));
        assertTrue(
                store.completeShard(c, JsonSource.ofText("[1]"), AFTER).committed(),
                "a heartbeat does not invalidate the claim");
        assertTrue(store.claimShard(1, FANNED, 0, "worker-b", LEASE).isEmpty(), "a completed shard");
    }

    @Test
    void shards_sixteen_concurrent_claims_of_one_shard_have_exactly_one_winner() throws Exception {
        fannedOut(1, new ShardPlan(16, 2, 2));
        int threads = 16;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Optional<ShardRecord>>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String owner = "worker-" + i;
                Callable<Optional<ShardRecord>> claim = () -> {
                    start.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    return store.claimShard(1, FANNED, 0, owner, LEASE);
                };
                results.add(pool.submit(claim));
            }
            start.countDown();
            List<ShardRecord> winners = new ArrayList<>();
            for (Future<Optional<ShardRecord>> f : results) {
                f.get().ifPresent(winners::add);
            }
            assertEquals(1, winners.size(), "winners: " + winners);
            assertEquals(winners.get(0), shard(1, 0));
            assertEquals(ShardState.PENDING, shard(1, 1).state(), "the other shard was not touched");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shards_a_shard_that_is_not_the_last_commits_its_output_and_releases_one_waiting_shard() {
        fannedOut(1, new ShardPlan(6, 3, 1));
        assertEquals(List.of(ShardState.PENDING, ShardState.WAITING, ShardState.WAITING), shardStates(1));

        StageStore.ShardCommit first =
                store.completeShard(claimedShard(1, 0), JsonSource.ofText("[\"a\",\"b\"]"), AFTER);
        assertTrue(first.committed());
        assertFalse(first.joined());
        assertEquals(1, first.released().size());
        ShardRecord released = first.released().get(0);
        assertEquals(1, released.shard());
        assertEquals(ShardState.PENDING, released.state());
        assertEquals(1, released.attempt());
        assertEquals(released, shard(1, 1));
        assertEquals(List.of(ShardState.COMPLETED, ShardState.PENDING, ShardState.WAITING), shardStates(1));
        assertNotNull(shard(1, 0).finishedAt());
        assertJsonEquals("[\"a\",\"b\"]", shardOutput(1, 0).orElseThrow());
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.IN_PROGRESS, r.state());
        assertEquals(FANNED, r.stage());
        assertEquals(StageStore.SHARDS_OWNER, r.leaseOwner());
        assertTrue(store.readOutput(1, FANNED).isEmpty(), "no output for the stage before the join");

        StageStore.ShardCommit second = store.completeShard(claimedShard(1, 1), JsonSource.ofText("[]"), AFTER);
        assertTrue(second.committed());
        assertFalse(second.joined());
        assertEquals(
                List.of(2), second.released().stream().map(ShardRecord::shard).toList());
    }

    @Test
    void shards_the_last_shard_joins_the_outputs_in_shard_order_and_advances_the_batch() {
        fannedOut(1, new ShardPlan(5, 4, 4));
        List<ShardRecord> claims =
                List.of(claimedShard(1, 0), claimedShard(1, 1), claimedShard(1, 2), claimedShard(1, 3));
        String[] outputs = {"[\"a\", {\"b\": [1, 2]}]", "[]", "[null, 3]", "[\"é😀\"]"};
        for (int k : new int[] {2, 0, 3}) {
            StageStore.ShardCommit c = store.completeShard(claims.get(k), JsonSource.ofText(outputs[k]), AFTER);
            assertTrue(c.committed());
            assertFalse(c.joined(), "shard " + k + " is not the last");
            assertEquals(List.of(), c.released());
        }
        StageStore.ShardCommit last =
                store.completeShard(claims.get(1), JsonSource.streamed(out -> out.write(outputs[1])), AFTER);
        assertEquals(new StageStore.ShardCommit(true, true, List.of()), last);

        assertJsonEquals(
                "[\"a\",{\"b\":[1,2]},null,3,\"é😀\"]",
                store.readOutput(1, FANNED).orElseThrow());
        for (int k = 0; k < 4; k++) {
            assertEquals(Optional.empty(), shardOutput(1, k), "shard " + k + "'s own output is deleted at the join");
        }
        assertEquals(Collections.nCopies(4, ShardState.COMPLETED), shardStates(1), "the shards stay, for the status");
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(AFTER, r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
        assertNull(r.leaseOwner());
        assertNull(r.leaseUntil());
        assertNull(r.error());
        assertNull(r.cursor());
        assertEquals(STATS.startedAt(), r.statsOf(FANNED).startedAt());
        assertNotNull(r.statsOf(FANNED).finishedAt(), "the stage finished at the join");
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(claims.get(1), JsonSource.ofText("[]"), AFTER));
        assertTrue(store.advance(claimed(1, AFTER), "\"done\"", Pipeline.COMPLETED, STATS), "the next stage runs");
    }

    @Test
    void shards_the_join_of_the_last_stage_completes_the_batch() {
        fannedOut(1, new ShardPlan(2, 2, 2));
        ShardRecord zero = claimedShard(1, 0);
        ShardRecord one = claimedShard(1, 1);
        assertFalse(store.completeShard(one, JsonSource.ofText("[2]"), Pipeline.COMPLETED)
                .joined());
        assertTrue(store.completeShard(zero, JsonSource.ofText("[1]"), Pipeline.COMPLETED)
                .joined());
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.COMPLETED, r.state());
        assertEquals(Pipeline.COMPLETED, r.stage());
        assertJsonEquals("[1,2]", store.readOutput(1, FANNED).orElseThrow());
    }

    @Test
    void shards_two_last_shards_racing_each_other_join_exactly_once() throws Exception {
        fannedOut(1, new ShardPlan(4, 3, 3));
        assertTrue(store.completeShard(claimedShard(1, 1), JsonSource.ofText("[\"b\"]"), AFTER)
                .committed());
        ShardRecord zero = claimedShard(1, 0);
        ShardRecord two = claimedShard(1, 2);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<StageStore.ShardCommit> a = pool.submit(() -> {
                start.await(30, java.util.concurrent.TimeUnit.SECONDS);
                return store.completeShard(zero, JsonSource.ofText("[\"a\",\"a2\"]"), AFTER);
            });
            Future<StageStore.ShardCommit> c = pool.submit(() -> {
                start.await(30, java.util.concurrent.TimeUnit.SECONDS);
                return store.completeShard(two, JsonSource.ofText("[\"c\"]"), AFTER);
            });
            start.countDown();
            StageStore.ShardCommit first = a.get();
            StageStore.ShardCommit second = c.get();
            assertTrue(first.committed() && second.committed(), first + " " + second);
            assertEquals(1, (first.joined() ? 1 : 0) + (second.joined() ? 1 : 0), first + " " + second);
        } finally {
            pool.shutdownNow();
        }
        assertJsonEquals(
                "[\"a\",\"a2\",\"b\",\"c\"]", store.readOutput(1, FANNED).orElseThrow());
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(AFTER, r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertEquals(1, r.attempt());
    }

    @Test
    void shards_a_stale_shard_claim_commits_nothing_even_when_its_owner_claimed_the_shard_again() {
        fannedOut(1, new ShardPlan(4, 2, 2));
        ShardRecord c = claimedShard(1, 0);
        assertTrue(store.saveShardProgress(c, "{\"next\":1}", JsonSource.ofText("[1]"), 1, null, Duration.ZERO));
        ShardRecord again = claimedShard(1, 0);
        assertEquals(c.leaseOwner(), again.leaseOwner(), "the same owner, a newer claim");
        assertJsonEquals("{\"next\":1}", again.cursor(), "the shard goes on from its progress");
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(c, JsonSource.ofText("[1,2]"), AFTER));
        assertFalse(store.saveShardProgress(c, "{\"next\":2}", JsonSource.ofText("[1,2]"), 1, null, Duration.ZERO));
        assertFalse(store.retryShard(c, "late", Duration.ZERO));
        assertFalse(store.failShard(c, "late"));
        assertEquals(again, shard(1, 0));
        assertJsonEquals("[1]", shardOutput(1, 0).orElseThrow());
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.IN_PROGRESS, r.state());
        assertEquals(StageStore.SHARDS_OWNER, r.leaseOwner());
        assertTrue(store.completeShard(again, JsonSource.ofText("[1,2]"), AFTER).committed(), "the newer claim holds");
    }

    @Test
    void shards_an_output_that_is_not_a_json_array_is_refused_and_the_claim_still_holds() {
        fannedOut(1, new ShardPlan(2, 2, 2));
        assertTrue(store.completeShard(claimedShard(1, 1), JsonSource.ofText("[2]"), AFTER)
                .committed());
        ShardRecord c = claimedShard(1, 0);
        BatchRecord batch = store.find(1).orElseThrow();
        List<ShardRecord> shards = store.shards(1, FANNED);
        JsonSource failing = JsonSource.streamed(out -> {
            out.write("[1,");
            throw new IOException("the source went away");
        });
        for (JsonSource bad : List.of(
                JsonSource.ofText("{\"a\":1}"),
                JsonSource.ofText("\"x\""),
                JsonSource.ofText("[1] [2]"),
                JsonSource.ofText("[1,"),
                JsonSource.ofText(null),
                failing)) {
            UnstorableValueException e = assertThrows(
                    UnstorableValueException.class,
                    () -> store.completeShard(c, bad, AFTER),
                    String.valueOf(bad.text()));
            assertTrue(e.getMessage().contains("batch 1"), e.getMessage());
        }
        assertEquals(batch, store.find(1).orElseThrow());
        assertEquals(shards, store.shards(1, FANNED));
        assertEquals(Optional.empty(), shardOutput(1, 0));
        assertEquals(Optional.empty(), store.readOutput(1, FANNED));
        assertTrue(store.completeShard(c, JsonSource.ofText("[1]"), AFTER).joined(), "the claim still holds");
        assertJsonEquals("[1,2]", store.readOutput(1, FANNED).orElseThrow());
    }

    @Test
    void shards_progress_of_a_shard_commits_its_cursor_and_partial_output_and_waits_for_the_backoff() {
        fannedOut(1, new ShardPlan(10, 2, 2));
        ShardRecord c = claimedShard(1, 0);
        assertTrue(store.saveShardProgress(c, "{\"next\":2}", JsonSource.ofText("[1,4]"), 1, null, Duration.ZERO));
        ShardRecord s = shard(1, 0);
        assertEquals(ShardState.PENDING, s.state());
        assertEquals(1, s.attempt());
        assertNull(s.error());
        assertNull(s.leaseOwner());
        assertNull(s.leaseUntil());
        assertJsonEquals("{\"next\":2}", s.cursor());
        assertJsonEquals("[1,4]", shardOutput(1, 0).orElseThrow(), "the partial output, under the shard's data key");
        assertTrue(store.readOutput(1, FANNED).isEmpty());

        ShardRecord again = claimedShard(1, 0);
        assertJsonEquals("{\"next\":2}", again.cursor());
        assertEquals(c.startedAt(), again.startedAt(), "started when first claimed");
        assertTrue(store.saveShardProgress(
                again, "{\"next\":4}", JsonSource.ofText("[1,4,9,16]"), 3, "item 4 failed: timeout", HOUR));
        s = shard(1, 0);
        assertEquals(ShardState.PENDING, s.state());
        assertEquals(3, s.attempt(), "the attempt given");
        assertEquals("item 4 failed: timeout", s.error());
        assertJsonEquals("{\"next\":4}", s.cursor());
        assertTrue(s.runAfter().isAfter(again.leaseUntil()), "due after the backoff: " + s);
        assertJsonEquals("[1,4,9,16]", shardOutput(1, 0).orElseThrow());
        assertTrue(store.claimShard(1, FANNED, 0, "worker-b", LEASE).isEmpty(), "not due before its backoff");
        assertEquals(ShardState.PENDING, shard(1, 1).state(), "the other shard is not touched");
    }

    @Test
    void shards_a_retry_of_a_shard_adds_an_attempt_and_keeps_its_progress() {
        fannedOut(1, new ShardPlan(10, 2, 2));
        assertTrue(store.saveShardProgress(
                claimedShard(1, 1), "{\"next\":7}", JsonSource.ofText("[5,6]"), 1, null, Duration.ZERO));
        ShardRecord c = claimedShard(1, 1);
        assertTrue(store.retryShard(c, "java.io.IOException: reset", Duration.ZERO));
        ShardRecord s = shard(1, 1);
        assertEquals(ShardState.PENDING, s.state());
        assertEquals(2, s.attempt());
        assertEquals("java.io.IOException: reset", s.error());
        assertNull(s.leaseOwner());
        assertJsonEquals("{\"next\":7}", s.cursor());
        assertJsonEquals("[5,6]", shardOutput(1, 1).orElseThrow());
        ShardRecord retried = claimedShard(1, 1);
        assertEquals(2, retried.attempt());
        assertEquals("java.io.IOException: reset", retried.error());
        assertTrue(store.retryShard(retried, "again", HOUR));
        assertEquals(3, shard(1, 1).attempt());
        assertTrue(store.claimShard(1, FANNED, 1, "worker-b", LEASE).isEmpty(), "not due before its backoff");
        assertEquals(BatchState.IN_PROGRESS, store.find(1).orElseThrow().state(), "the batch waits for its shards");
    }

    @Test
    void shards_a_failed_shard_fails_the_batch_and_cancels_the_others_which_commit_nothing() {
        fannedOut(1, new ShardPlan(8, 4, 3));
        assertTrue(store.completeShard(claimedShard(1, 0), JsonSource.ofText("[0]"), AFTER)
                .committed());
        ShardRecord one = claimedShard(1, 1);
        ShardRecord two = claimedShard(1, 2);
        assertEquals(
                List.of(ShardState.COMPLETED, ShardState.IN_PROGRESS, ShardState.IN_PROGRESS, ShardState.PENDING),
                shardStates(1));

        assertTrue(store.failShard(one, "item 3 failed: vision service said 500"));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.FAILED, r.state());
        assertEquals(FANNED, r.stage());
        assertEquals("item 3 failed: vision service said 500", r.error());
        assertNull(r.leaseOwner());
        assertEquals(
                List.of(ShardState.COMPLETED, ShardState.FAILED, ShardState.CANCELLED, ShardState.CANCELLED),
                shardStates(1));
        assertEquals("item 3 failed: vision service said 500", shard(1, 1).error());

        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(two, JsonSource.ofText("[2]"), AFTER));
        assertFalse(store.heartbeatShard(two, LEASE));
        assertFalse(store.failShard(one, "again"));
        assertEquals(Optional.empty(), shardOutput(1, 2));
        assertTrue(store.claimShard(1, FANNED, 3, "worker-b", LEASE).isEmpty(), "a cancelled shard is not claimable");
        assertTrue(store.findStalledShards(Duration.ZERO, 10).isEmpty(), "nor is it the sweeper's");
        assertEquals(r, store.find(1).orElseThrow());
        assertEquals(Optional.empty(), store.readOutput(1, FANNED));
    }

    @Test
    void shards_cancelling_a_fanned_out_batch_deletes_its_shards_and_their_outputs() {
        fannedOut(1, new ShardPlan(6, 3, 2));
        assertTrue(store.completeShard(claimedShard(1, 0), JsonSource.ofText("[0]"), AFTER)
                .committed());
        ShardRecord running = claimedShard(1, 1);
        assertTrue(store.saveShardProgress(running, "1", JsonSource.ofText("[1]"), 1, null, Duration.ZERO));
        running = claimedShard(1, 1);

        assertEquals(BatchState.CANCELLED, store.cancel(1).orElseThrow().state());
        assertEquals(List.of(), store.shards(1, FANNED));
        for (int k = 0; k < 3; k++) {
            assertEquals(Optional.empty(), shardOutput(1, k), "shard " + k);
        }
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(running, JsonSource.ofText("[1]"), AFTER));
        assertFalse(store.heartbeatShard(running, LEASE));
        assertTrue(store.claimShard(1, FANNED, 2, "worker-b", LEASE).isEmpty());
        assertEquals(BatchState.CANCELLED, store.find(1).orElseThrow().state());
        assertEquals(Optional.empty(), store.readOutput(1, FANNED));
    }

    @Test
    void shards_a_restart_from_the_stage_or_before_it_deletes_its_shards_and_their_outputs() {
        fannedOut(1, new ShardPlan(6, 3, 3));
        assertTrue(store.completeShard(claimedShard(1, 0), JsonSource.ofText("[0]"), AFTER)
                .committed());
        ShardRecord running = claimedShard(1, 1);

        BatchRecord r = store.reset(1, FANNED, List.of(AFTER), -1).orElseThrow();
        assertEquals(FANNED, r.stage());
        assertEquals(BatchState.PENDING, r.state());
        assertNull(r.leaseOwner());
        assertEquals(List.of(), store.shards(1, FANNED));
        assertEquals(Optional.empty(), shardOutput(1, 0));
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(running, JsonSource.ofText("[1]"), AFTER));
        assertTrue(store.claimShard(1, FANNED, 2, "worker-b", LEASE).isEmpty());

        List<ShardRecord> again =
                store.fanOut(claimed(1, FANNED), new ShardPlan(6, 3, 3), STATS).orElseThrow();
        assertEquals(3, again.size(), "a new fan-out starts every shard afresh");
        assertEquals(Collections.nCopies(3, ShardState.PENDING), shardStates(1));
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(running, JsonSource.ofText("[1]"), AFTER));
        for (int k = 0; k < 3; k++) {
            assertEquals(1, shard(1, k).attempt());
            assertNull(shard(1, k).cursor());
            ShardRecord claim = claimedShard(1, k);
            if (k == 1) {
                assertEquals(running.leaseOwner(), claim.leaseOwner());
                assertEquals(
                        StageStore.ShardCommit.LOST,
                        store.completeShard(running, JsonSource.ofText("[\"old\"]"), AFTER),
                        "the old run's claim commits nothing, though the same owner holds the new run's shard");
            }
            assertTrue(store.completeShard(claim, JsonSource.ofText("[" + k + "]"), AFTER)
                    .committed());
        }
        assertJsonEquals("[0,1,2]", store.readOutput(1, FANNED).orElseThrow());

        assertTrue(store.advance(claimed(1, AFTER), "\"P\"", Pipeline.COMPLETED, STATS));
        store.reset(1, "setup", List.of(FANNED, AFTER), -1).orElseThrow();
        assertEquals(List.of(), store.shards(1, FANNED), "a restart from an earlier stage");
        assertEquals(Optional.empty(), store.readOutput(1, FANNED));
    }

    @Test
    void shards_the_sweeper_rescues_a_shard_whose_lease_expired_and_the_late_owner_commits_nothing() {
        fannedOut(1, new ShardPlan(4, 2, 2));
        ShardRecord healthy = claimedShard(1, 1);
        ShardRecord c = store.claimShard(1, FANNED, 0, "worker-a", Duration.ofMillis(50))
                .orElseThrow();
        ShardRecord stalled = awaitStalled(1, 0);
        assertEquals(c, stalled);
        assertTrue(
                store.findStalledShards(HOUR, 100).stream().noneMatch(s -> s.shard() == 1),
                "a shard whose lease holds is not stalled");
        assertTrue(store.findStalled(Duration.ZERO, 10).isEmpty(), "the batch itself is not stalled");

        ShardRecord r = store.rescueShard(stalled, "lease expired", false).orElseThrow();
        assertEquals(ShardState.PENDING, r.state());
        assertEquals(2, r.attempt());
        assertEquals("lease expired", r.error());
        assertNull(r.leaseOwner());
        assertEquals(r, shard(1, 0));
        assertTrue(store.rescueShard(stalled, "lease expired", false).isEmpty(), "a second rescue is refused");
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(c, JsonSource.ofText("[\"late\"]"), AFTER));
        assertFalse(store.heartbeatShard(c, LEASE));
        assertEquals(Optional.empty(), shardOutput(1, 0));

        ShardRecord again = store.claimShard(1, FANNED, 0, "worker-a", LEASE).orElseThrow();
        assertEquals(2, again.attempt(), "due at once");
        assertFalse(store.heartbeatShard(c, LEASE), "the old claim of the same owner stays lost");
        assertEquals(StageStore.ShardCommit.LOST, store.completeShard(c, JsonSource.ofText("[\"late\"]"), AFTER));
        assertTrue(store.completeShard(again, JsonSource.ofText("[0]"), AFTER).committed());
        assertTrue(store.completeShard(healthy, JsonSource.ofText("[1]"), AFTER).joined(), "its lease held");
        assertJsonEquals("[0,1]", store.readOutput(1, FANNED).orElseThrow());
    }

    @Test
    void shards_the_sweeper_touches_an_overdue_pending_shard_once() {
        fannedOut(1, new ShardPlan(4, 2, 1));
        List<ShardRecord> overdue = store.findStalledShards(Duration.ZERO, 100).stream()
                .filter(s -> s.batchId() == 1)
                .toList();
        assertEquals(List.of(shard(1, 0)), overdue, "the pending shard, not the waiting one");
        assertTrue(store.findStalledShards(HOUR, 100).isEmpty(), "within its grace");

        ShardRecord touched = store.rescueShard(overdue.get(0), null, false).orElseThrow();
        assertEquals(ShardState.PENDING, touched.state());
        assertEquals(1, touched.attempt());
        assertNotEquals(overdue.get(0).version(), touched.version());
        assertEquals(touched, shard(1, 0));
        assertTrue(store.rescueShard(overdue.get(0), null, false).isEmpty(), "only one sweeper re-triggers it");
        assertEquals(1, claimedShard(1, 0).attempt(), "still claimable, at the same attempt");
    }

    @Test
    void shards_a_rescue_with_no_attempts_left_fails_the_shard_and_the_batch() {
        fannedOut(1, new ShardPlan(4, 3, 2));
        store.claimShard(1, FANNED, 1, "worker-a", Duration.ofMillis(50)).orElseThrow();
        ShardRecord failed = store.rescueShard(awaitStalled(1, 1), "lease expired (gave up)", true)
                .orElseThrow();
        assertEquals(ShardState.FAILED, failed.state());
        assertEquals("lease expired (gave up)", failed.error());
        assertEquals(failed, shard(1, 1));
        assertEquals(List.of(ShardState.CANCELLED, ShardState.FAILED, ShardState.CANCELLED), shardStates(1));
        BatchRecord r = store.find(1).orElseThrow();
        assertEquals(BatchState.FAILED, r.state());
        assertEquals(FANNED, r.stage());
        assertEquals("lease expired (gave up)", r.error());
        assertTrue(store.findStalledShards(Duration.ZERO, 100).isEmpty());
    }

    private static String text(Reader in) throws IOException {
        StringWriter out = new StringWriter();
        in.transferTo(out);
        return out.toString();
    }

    /**
     * Compares JSON texts ignoring insignificant whitespace (PostgreSQL's jsonb normalises it).
     *
     * @param expected the JSON written
     * @param actual the JSON read back
     */
    protected static void assertJsonEquals(String expected, String actual) {
        assertEquals(stripWhitespace(expected), stripWhitespace(actual));
    }

    /**
     * {@link #assertJsonEquals(String, String)} with a message for the failure.
     *
     * @param expected the JSON written
     * @param actual the JSON read back
     * @param message what was compared
     */
    protected static void assertJsonEquals(String expected, String actual, String message) {
        assertEquals(stripWhitespace(expected), stripWhitespace(actual), message);
    }

    private static String stripWhitespace(String json) {
        StringBuilder out = new StringBuilder(json.length());
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char ch = json.charAt(i);
            if (ch == '"' && (i == 0 || json.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (inString || !Character.isWhitespace(ch)) {
                out.append(ch);
            }
        }
        return out.toString();
    }
}
