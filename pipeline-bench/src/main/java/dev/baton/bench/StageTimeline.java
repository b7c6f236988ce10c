package dev.baton.bench;

import java.util.Arrays;

/**
 * When each stage body of each batch of one round began and ended ({@link System#nanoTime()}), as
 * recorded by the stage code of every contender. The hand-off from stage k to stage k+1 of a batch is
 * the time from the end of stage k's body to the start of stage k+1's body: the contender's commit of
 * stage k, its dispatch, and any queueing in between. Thread-safe for distinct (batch, stage) slots,
 * which is how contenders use it: one slot is written by the one thread that runs that stage.
 */
public final class StageTimeline {
    private final int batches;
    private final int stages;
    private final long[] began;
    private final long[] ended;

    /**
     * @param batches batches in the round, at least 1
     * @param stages stages per batch, at least 2
     * @throws IllegalArgumentException if out of range
     */
    public StageTimeline(int batches, int stages) {
        if (batches < 1 || stages < 2) {
            throw new IllegalArgumentException(
                    "a timeline needs at least 1 batch and 2 stages, got " + batches + " and " + stages);
        }
        this.batches = batches;
        this.stages = stages;
        this.began = new long[batches * stages];
        this.ended = new long[batches * stages];
    }

    /** @return batches in the round */
    public int batches() {
        return batches;
    }

    /** @return stages per batch */
    public int stages() {
        return stages;
    }

    /**
     * @param batch batch index, from 0
     * @param stage stage index, from 0
     */
    public void begin(int batch, int stage) {
        began[slot(batch, stage)] = System.nanoTime();
    }

    /**
     * @param batch batch index, from 0
     * @param stage stage index, from 0
     */
    public void end(int batch, int stage) {
        ended[slot(batch, stage)] = System.nanoTime();
    }

    /**
     * Records a stage body measured elsewhere (another JVM on the same machine, whose {@link System#nanoTime()} is
     * the same monotonic clock on Linux).
     *
     * @param batch batch index, from 0
     * @param stage stage index, from 0
     * @param beganNanos when the body began
     * @param endedNanos when it ended
     */
    public void record(int batch, int stage, long beganNanos, long endedNanos) {
        int slot = slot(batch, stage);
        began[slot] = beganNanos;
        ended[slot] = endedNanos;
    }

    /**
     * @param batch batch index, from 0
     * @param stage stage index, from 0
     * @return when the body began, or 0 if it has not
     */
    public long began(int batch, int stage) {
        return began[slot(batch, stage)];
    }

    /**
     * @param batch batch index, from 0
     * @param stage stage index, from 0
     * @return when the body ended, or 0 if it has not
     */
    public long ended(int batch, int stage) {
        return ended[slot(batch, stage)];
    }

    private int slot(int batch, int stage) {
        if (batch < 0 || batch >= batches || stage < 0 || stage >= stages) {
            throw new IndexOutOfBoundsException(
                    "batch " + batch + " stage " + stage + " is outside " + batches + " x " + stages);
        }
        return batch * stages + stage;
    }

    /**
     * @throws IllegalStateException naming the first (batch, stage) whose body never ran
     */
    public void verifyComplete() {
        for (int i = 0; i < began.length; i++) {
            if (began[i] == 0 || ended[i] == 0) {
                throw new IllegalStateException("batch index " + (i / stages) + " stage index " + (i % stages)
                        + " never ran: the contender reported completion without running every stage");
            }
        }
    }

    /** @return every hand-off of the round in nanoseconds, sorted ascending; {@code batches × (stages − 1)} values */
    public long[] handOffsSorted() {
        long[] out = new long[batches * (stages - 1)];
        int n = 0;
        for (int b = 0; b < batches; b++) {
            for (int s = 0; s + 1 < stages; s++) {
                out[n++] = began[slot(b, s + 1)] - ended[slot(b, s)];
            }
        }
        Arrays.sort(out);
        return out;
    }
}
