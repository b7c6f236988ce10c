package dev.baton.bench.contenders;

/** The benchmark's job as a DBOS workflow: the interface DBOS proxies. */
public interface SixStepJob {
    /**
     * Runs the six steps of one batch.
     *
     * @param batchIndex the batch, from 0
     * @return the output of the last step
     */
    String run(int batchIndex);
}
