package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StoreException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the advances of claims that finish at about the same time together, in one statement over arrays
 * ({@link SqlText#ADVANCE_GROUP}).
 *
 * <p>An advance joins the queue and waits. When no more than {@code maxInFlight - 1} groups are being committed,
 * one waiting caller becomes the leader: it lingers at most {@code linger} for the group to fill, takes up to
 * {@code maxSize} advances (of distinct batches, oldest first) and commits them. So a group is, at most, what
 * arrived while the previous groups were committed, plus what came during the linger; a lone advance commits
 * alone, with the ordinary single-row statement, and waits for nobody.
 *
 * <p>Every row keeps its own compare-and-set: a row whose claim was lost is not updated and its caller learns
 * so; the others commit. When the group's statement fails (one output the database refuses, a deadlock, a
 * connection killed mid-flush), nothing of the group is kept, and every caller commits its own advance alone,
 * on its own thread, so one bad output fails only itself. A caller returns only after its row's commit, so a
 * stage's hand-off always follows its commit.
 *
 * <p>No caller waits forever: one that is still queued at its deadline commits alone; one whose group is still
 * being committed then fails with a {@link StoreException} (the group's round trips are bounded by the
 * store's network timeout, so this means the database stopped answering).
 */
final class GroupCommit {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** The single-row commit of one advance, the path every advance takes when it is not grouped. */
    interface Alone {
        Optional<JdbcStageStore.Moved> commit(Advance advance);
    }

    /**
     * One advance waiting for its group.
     *
     * @param claim the claim the stage ran under
     * @param next the next stage
     * @param status the row's status after the advance ({@code pending}, {@code completed}, or
     *     {@code in_progress} when it claims {@code next})
     * @param leaseMillis the next stage's lease when the advance claims it, else {@code null}
     * @param stats the stage's stats as JSON
     * @param output the stage's output, one JSON text that fits one row
     */
    record Advance(BatchRecord claim, String next, String status, Long leaseMillis, String stats, String output) {}

    /** An advance and what became of it; guarded by the lock. */
    private static final class Waiter {
        final Advance advance;
        final Alone alone;
        final long deadline;
        final Condition wake;
        boolean taken;
        boolean done;
        boolean retryAlone;
        JdbcStageStore.Moved moved;
        Throwable failure;

        Waiter(Advance advance, Alone alone, long deadline, Condition wake) {
            this.advance = advance;
            this.alone = alone;
            this.deadline = deadline;
            this.wake = wake;
        }
    }

    private final HotStatements hot;
    private final int maxSize;
    private final long lingerNanos;
    private final int maxInFlight;
    private final long waitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private Waiter gathering;
    private int inFlight;
    private final LongAdder groups = new LongAdder();
    private final LongAdder grouped = new LongAdder();

    /**
     * @param hot the store's plain JDBC statements, {@link SqlText#ADVANCE_GROUP} among them
     * @param maxSize the most advances in one group, at least 2
     * @param linger how long a leader waits for its group to fill, zero or more
     * @param maxInFlight how many groups may be committed at once, at least 1
     * @param networkTimeout the store's bound on one round trip; a caller waits at most a few of them
     */
    GroupCommit(HotStatements hot, int maxSize, Duration linger, int maxInFlight, Duration networkTimeout) {
        this.hot = hot;
        this.maxSize = maxSize;
        this.lingerNanos = linger.toNanos();
        this.maxInFlight = maxInFlight;
        // a group takes a connection and runs one statement: a few round trips, each bounded by the timeout
        this.waitNanos = linger.toNanos() + networkTimeout.multipliedBy(4).toNanos();
    }

    /**
     * Commits {@code advance} with whatever advances wait with it, or alone.
     *
     * @return the update's lease and time, empty when the claim was lost
     * @throws RuntimeException what the single-row commit throws, when the advance committed alone
     * @throws StoreException if the advance's group did not finish in time (its outcome is unknown)
     */
    Optional<JdbcStageStore.Moved> commit(Advance advance, Alone alone) {
        lock.lock();
        Waiter me = new Waiter(advance, alone, System.nanoTime() + waitNanos, lock.newCondition());
        try {
            queue.add(me);
            if (gathering != null && queue.size() >= maxSize) {
                gathering.wake.signal();
            }
            while (!me.done) {
                if (!me.taken && gathering == null && inFlight < maxInFlight) {
                    List<Waiter> group = gather(me);
                    nudge(); // another leader may gather while this group commits
                    lock.unlock();
                    try {
                        flush(group);
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                long left = me.deadline - System.nanoTime();
                if (left <= 0) {
                    if (me.taken) {
                        throw new StoreException(
                                "committing the output of stage '"
                                        + advance.claim().stage() + "' of batch "
                                        + advance.claim().batchId() + " failed: its group commit did not finish within "
                                        + TimeUnit.NANOSECONDS.toMillis(waitNanos)
                                        + " ms (the database stopped answering; the outcome is unknown)",
                                null);
                    }
                    queue.remove(me);
                    me.done = true;
                    me.retryAlone = true;
                    break;
                }
                me.wake.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (me.taken) {
                throw new StoreException(
                        "committing the output of stage '" + advance.claim().stage() + "' of batch "
                                + advance.claim().batchId() + " was interrupted while its group committed",
                        e);
            }
            queue.remove(me);
            me.retryAlone = true;
        } finally {
            lock.unlock();
        }
        if (me.retryAlone) {
            return alone.commit(advance);
        }
        if (me.failure instanceof RuntimeException e) {
            throw e;
        }
        if (me.failure instanceof Error e) {
            throw e;
        }
        return Optional.ofNullable(me.moved);
    }

    /** Lingers for the group to fill, then takes it: advances of distinct batches, oldest first. Under the lock. */
    private List<Waiter> gather(Waiter leader) throws InterruptedException {
        gathering = leader;
        try {
            long until = System.nanoTime() + lingerNanos;
            long left;
            while (queue.size() < maxSize && (left = until - System.nanoTime()) > 0) {
                leader.wake.awaitNanos(left);
            }
        } finally {
            gathering = null;
        }
        List<Waiter> group = new ArrayList<>(Math.min(queue.size(), maxSize));
        Set<Long> batches = new HashSet<>();
        for (Iterator<Waiter> it = queue.iterator(); it.hasNext() && group.size() < maxSize; ) {
            Waiter w = it.next();
            // two advances of one batch (a stale claim and its successor) never share a statement
            if (batches.add(w.advance.claim().batchId())) {
                it.remove();
                w.taken = true;
                group.add(w);
            }
        }
        inFlight++;
        return group;
    }

    /**
     * Commits {@code group} (outside the lock), then tells its members. A group of one commits alone, here; a
     * group whose statement fails has each member commit alone on its own thread.
     */
    private void flush(List<Waiter> group) {
        List<Optional<JdbcStageStore.Moved>> results = null;
        Throwable failure = null;
        try {
            if (group.size() == 1) {
                results = List.of(group.get(0).alone.commit(group.get(0).advance));
            } else {
                results = commitGroup(group);
                groups.increment();
                grouped.add(group.size());
            }
        } catch (RuntimeException | Error e) {
            if (group.size() == 1) {
                failure = e;
            } else {
                LOG.debug("a group of {} advances failed ({}); each commits alone", group.size(), e.toString());
            }
        } finally {
            lock.lock();
            try {
                inFlight--;
                for (int i = 0; i < group.size(); i++) {
                    Waiter w = group.get(i);
                    w.done = true;
                    if (results != null) {
                        w.moved = results.get(i).orElse(null);
                    } else if (failure != null) {
                        w.failure = failure;
                    } else {
                        w.retryAlone = true;
                    }
                    w.wake.signal();
                }
                nudge();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Wakes the oldest waiting advance when it may lead a group now. Under the lock. */
    private void nudge() {
        if (gathering == null && inFlight < maxInFlight && !queue.isEmpty()) {
            queue.peekFirst().wake.signal();
        }
    }

    /** One statement over arrays; element {@code i} of the result is member {@code i}'s row, empty if lost. */
    private List<Optional<JdbcStageStore.Moved>> commitGroup(List<Waiter> group) {
        int n = group.size();
        Long[] batch = new Long[n];
        Long[] version = new Long[n];
        Long[] lease = new Long[n];
        String[] owner = new String[n];
        String[] stage = new String[n];
        String[] next = new String[n];
        String[] status = new String[n];
        String[] stats = new String[n];
        String[] output = new String[n];
        for (int i = 0; i < n; i++) {
            Advance a = group.get(i).advance;
            batch[i] = a.claim().batchId();
            version[i] = a.claim().version();
            owner[i] = a.claim().leaseOwner();
            stage[i] = a.claim().stage();
            next[i] = a.next();
            status[i] = a.status();
            lease[i] = a.leaseMillis();
            stats[i] = a.stats();
            output[i] = a.output();
        }
        List<Optional<JdbcStageStore.Moved>> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            results.add(Optional.empty());
        }
        Params arrays = new Params()
                .bind("b", batch)
                .bind("v", version)
                .bind("owner", owner)
                .bind("stage", stage)
                .bind("next", next)
                .bind("status", status)
                .bind("lease", lease)
                .bind("stats", stats)
                .bind("output", output);
        for (Member moved : hot.all(SqlText.ADVANCE_GROUP, arrays, Member::read)) {
            results.set(moved.index(), Optional.of(moved.row()));
        }
        return results;
    }

    /** A row the group's statement moved: its member's index and the update's lease and time. */
    private record Member(int index, JdbcStageStore.Moved row) {
        static Member read(ResultSet rs) throws SQLException {
            return new Member(rs.getInt("n") - 1, JdbcStageStore.Moved.read(rs));
        }
    }

    /** @return advances waiting for a group now */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** @return groups of two or more committed together */
    long groups() {
        return groups.sum();
    }

    /** @return advances committed in those groups */
    long grouped() {
        return grouped.sum();
    }
}
