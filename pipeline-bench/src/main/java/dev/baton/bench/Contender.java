package dev.baton.bench;

/**
 * One way of running the benchmark's job: {@value #STAGES} stages per batch, each writing its
 * {@link Payload} durably before the next one starts. The harness calls, for one run:
 * {@link #prepareSchema} once, then per round {@link #setUp}, {@link #run} (timed) and
 * {@link #tearDown}. A contender records the begin and end of every stage body in the round's
 * {@link StageTimeline}; it opens connections only through {@link Database#pool} or
 * {@link Database#url} tagged with {@link #applicationName()}, and {@link #tearDown} closes them all.
 * Not thread-safe: the harness drives one contender at a time.
 */
public interface Contender {
    /** Stages of the job. */
    int STAGES = 6;

    /** @return the name in the report ({@code floor}, {@code baton-inprocess}, …) */
    String name();

    /** @return the {@code application_name} of this contender's connections */
    default String applicationName() {
        return "baton-bench-" + name();
    }

    /**
     * Creates this contender's tables (dropping what an earlier run left).
     *
     * @param db the database
     * @throws Exception if the schema cannot be made
     */
    void prepareSchema(Database db) throws Exception;

    /**
     * Empties this contender's tables and starts its runtime (pools, schedulers), untimed.
     *
     * @param db the database
     * @param round what to run
     * @throws Exception if it cannot start
     */
    void setUp(Database db, Round round) throws Exception;

    /**
     * Runs every batch of the round to completion with the round's workers. Timed.
     *
     * @param round what to run
     * @throws Exception if a batch fails or does not finish in time
     */
    void run(Round round) throws Exception;

    /**
     * Stops the runtime and closes every connection, untimed.
     *
     * @throws Exception if it cannot stop
     */
    void tearDown() throws Exception;

    /**
     * One round of one contender.
     *
     * @param batches batches to run
     * @param workers concurrent workers (threads, connections)
     * @param payload the output of each stage
     * @param timeline where stage bodies are recorded
     */
    record Round(int batches, int workers, Payload payload, StageTimeline timeline) {
        /** @return stage transitions in the round */
        public long transitions() {
            return (long) batches * STAGES;
        }
    }
}
