package dev.baton.pipeline.testing;

import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A trigger for tests: fires are queued, and {@link #drain()} runs them one after the other on the
 * calling thread until none is left, so a whole batch runs deterministically inside the test.
 * Delayed fires (retry backoff) wait until the given clock has passed their time. Shard fires
 * ({@link #fireShard}) queue alongside and run {@link StageHandler#runShard}. With {@link #claimedStarts(boolean)}
 * it also takes the claimed first stages of starts ({@link #reserveClaimedStart}), queued to run with
 * {@link StageHandler#runClaimed}. Thread-safe.
 */
public final class SynchronousTrigger implements Trigger {
    /**
     * One queued fire; {@code shard} is {@link #STAGE} for a stage, else the shard's number; {@code claim} is the
     * claimed first stage of a start, else null.
     */
    private record Fire(long batchId, String stage, int shard, Instant due, BatchRecord claim) {}

    private static final int STAGE = -1;

    private final Clock clock;
    private final Deque<Fire> queue = new ArrayDeque<>();
    private final List<StageOutcome> outcomes = new ArrayList<>();
    private StageHandler handler;
    private int dropEvery;
    private int fired;
    private boolean claimedStarts;

    /** @param clock decides when a delayed fire is due; use the runner's clock */
    public SynchronousTrigger(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A trigger on the system clock. */
    public SynchronousTrigger() {
        this(Clock.systemUTC());
    }

    /**
     * Loses every {@code n}-th fire, as a flaky network would; 0 loses none.
     *
     * @param n the period, 0 to disable
     * @return this
     */
    public synchronized SynchronousTrigger dropEvery(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("dropEvery must be >= 0, got " + n);
        }
        this.dropEvery = n;
        return this;
    }

    /**
     * Whether to take the claimed first stage of a start from the runner's client ({@link #reserveClaimedStart}):
     * off by default, so a test's starts stay pending until it drains, whatever its clock does meanwhile. On, a start
     * is created claimed and {@link #drain()} runs the claim; the claim's lease runs from the start, so a test that
     * moves the clock past it before draining sees the sweeper rescue the batch. A claimed hand-off counts toward
     * {@link #dropEvery} like a fire, and a dropped one leaves its claim to expire.
     *
     * @param take {@code true} to take claimed starts
     * @return this
     */
    public synchronized SynchronousTrigger claimedStarts(boolean take) {
        this.claimedStarts = take;
        return this;
    }

    /**
     * With {@link #claimedStarts(boolean)} on and a bound handler that claims under {@code owner}, holds a place in
     * the queue for the start's claim; {@link #drain()} runs it. Otherwise holds nothing.
     */
    @Override
    public synchronized Optional<ClaimedStart> reserveClaimedStart(long batchId, String stage, String owner) {
        if (!claimedStarts || handler == null || owner == null || !owner.equals(handler.owner())) {
            return Optional.empty();
        }
        AtomicBoolean done = new AtomicBoolean();
        return Optional.of(new ClaimedStart() {
            @Override
            public void run(BatchRecord claim) {
                if (done.compareAndSet(false, true)) {
                    enqueue(new Fire(claim.batchId(), claim.stage(), STAGE, clock.instant(), claim));
                }
            }

            @Override
            public void release() {
                done.set(true);
            }
        });
    }

    @Override
    public synchronized void bind(StageHandler handler) {
        this.handler = handler;
    }

    @Override
    public void fire(long batchId, String stage) {
        enqueue(batchId, stage, STAGE, Duration.ZERO);
    }

    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        enqueue(batchId, stage, STAGE, delay);
    }

    /**
     * Queues the shard; {@link #drain()} runs it with {@link StageHandler#runShard} once the clock has passed
     * {@code delay}. Shard fires count toward {@link #dropEvery} like stage fires.
     */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        if (shard < 0) {
            throw new IllegalArgumentException(
                    "batch " + batchId + " stage " + stage + ": shard must be >= 0, got " + shard);
        }
        enqueue(batchId, stage, shard, delay);
    }

    private synchronized void enqueue(long batchId, String stage, int shard, Duration delay) {
        Instant due = clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay);
        enqueue(new Fire(batchId, stage, shard, due, null));
    }

    private synchronized void enqueue(Fire fire) {
        fired++;
        if (dropEvery > 0 && fired % dropEvery == 0) {
            return;
        }
        queue.addLast(fire);
    }

    /**
     * Runs queued fires that are due, and the fires they cause, until none is due.
     *
     * @return how many invocations ran
     * @throws IllegalStateException if the trigger is not bound to a runner
     */
    public int drain() {
        int ran = 0;
        Fire next;
        while ((next = nextDue()) != null) {
            StageHandler h;
            synchronized (this) {
                h = handler;
            }
            if (h == null) {
                throw new IllegalStateException(
                        "SynchronousTrigger is not bound: pass it to PipelineRunner.builder(...).trigger(...)");
            }
            StageOutcome outcome = next.claim() != null
                    ? h.runClaimed(next.claim())
                    : next.shard() == STAGE
                            ? h.runStage(next.batchId(), next.stage())
                            : h.runShard(next.batchId(), next.stage(), next.shard());
            synchronized (this) {
                outcomes.add(outcome);
            }
            ran++;
        }
        return ran;
    }

    private synchronized Fire nextDue() {
        Instant now = clock.instant();
        for (var it = queue.iterator(); it.hasNext(); ) {
            Fire f = it.next();
            if (!f.due().isAfter(now)) {
                it.remove();
                return f;
            }
        }
        return null;
    }

    /** @return fires waiting, due or not */
    public synchronized int pending() {
        return queue.size();
    }

    /** @return every outcome {@link #drain()} produced, in order */
    public synchronized List<StageOutcome> outcomes() {
        return List.copyOf(outcomes);
    }
}
