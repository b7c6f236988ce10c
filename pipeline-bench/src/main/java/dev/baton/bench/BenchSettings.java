package dev.baton.bench;

import java.util.List;
import java.util.Map;

/**
 * What one run measures; validated by {@link BenchMain}.
 *
 * @param mode {@code quick} or {@code default}
 * @param batches batches per round
 * @param workers concurrent workers of every contender
 * @param rounds measured rounds, interleaved across contenders
 * @param warmupRounds unmeasured rounds run first
 * @param contenders names of the contenders to run, in order
 * @param payloadBytes output size per stage in the side-by-side rounds
 * @param scalingSizes output sizes of the payload-scaling rounds (Baton alone); empty for none
 * @param scalingRounds rounds per scaling size
 * @param scalingBudgetBytes bytes of output per scaling round: batches = budget / (6 × size), at least 2
 * @param serverSettings settings of the embedded server
 * @param sections the sections of the run, in {@link #SECTIONS} order
 * @param queueThreads the queue worker thread-scaling section
 * @param churn the queue-table churn section
 * @param scaleCurve the scale-curve section
 * @param syncOn the side-by-side rounds again with {@code synchronous_commit=on}
 */
public record BenchSettings(
        String mode,
        int batches,
        int workers,
        int rounds,
        int warmupRounds,
        List<String> contenders,
        int payloadBytes,
        List<Integer> scalingSizes,
        int scalingRounds,
        long scalingBudgetBytes,
        Map<String, String> serverSettings,
        List<String> sections,
        QueueThreads queueThreads,
        Churn churn,
        ScaleCurve scaleCurve,
        SyncOn syncOn) {

    /** The side-by-side rounds of every contender. */
    public static final String SIDE_BY_SIDE = "side-by-side";
    /** Baton in-process at growing output sizes. */
    public static final String SCALING = "scaling";
    /** Baton's queue worker at 1, 2, 4 … threads, every stage through the queue and inline. */
    public static final String QUEUE_THREADS = "queue-threads";
    /** The queue table under a long run of transitions. */
    public static final String CHURN = "churn";
    /** Throughput and the server's load against workers: threads in one JVM, then worker JVMs. */
    public static final String SCALE_CURVE = "scale-curve";
    /** The side-by-side contenders again with {@code synchronous_commit=on}. */
    public static final String SYNC_ON = "sync-on";
    /**
     * Every section of {@code BenchSettings}, in the order a run does them; the fan-out section, which has its own
     * settings, runs between {@link #CHURN} and {@link #SCALE_CURVE}.
     */
    public static final List<String> SECTIONS =
            List.of(SIDE_BY_SIDE, SCALING, QUEUE_THREADS, CHURN, SCALE_CURVE, SYNC_ON);

    /** Copies the collections. */
    public BenchSettings {
        contenders = List.copyOf(contenders);
        scalingSizes = List.copyOf(scalingSizes);
        serverSettings = Map.copyOf(serverSettings);
        sections = List.copyOf(sections);
    }

    /**
     * @param section one of {@link #SECTIONS}
     * @return whether this run does it
     */
    public boolean runs(String section) {
        return sections.contains(section);
    }

    /**
     * @param size output size per stage
     * @return batches per scaling round at that size
     */
    public int scalingBatches(int size) {
        long fit = scalingBudgetBytes / ((long) Contender.STAGES * size);
        return (int) Math.max(2, Math.min(batches, fit));
    }

    /**
     * The queue worker thread-scaling section: Baton with {@code QueueTrigger} + {@code QueueWorker}
     * at each thread count, once with every stage through the queue and once continuing inline.
     *
     * @param threads worker thread counts, in order
     * @param batches batches per round
     * @param rounds measured rounds (each runs every thread count and trigger, interleaved)
     * @param inFlightPerThread batches started and not yet completed, per worker thread; 0 starts every batch at once
     */
    public record QueueThreads(List<Integer> threads, int batches, int rounds, int inFlightPerThread) {
        /** Copies the list. */
        public QueueThreads {
            threads = List.copyOf(threads);
        }
    }

    /**
     * The scale-curve section: Baton in-process and through the queue at each thread count in this JVM, then the
     * queue with its workers in separate JVMs, each point with the server's CPU, WAL rate and wait events.
     *
     * @param threads worker thread counts in one JVM, in order
     * @param jvms worker JVM counts, in order; empty for none
     * @param threadsPerJvm queue worker threads in each worker JVM
     * @param batches batches per round
     * @param rounds measured rounds per point
     * @param warmupRounds unmeasured rounds per point first
     */
    public record ScaleCurve(
            List<Integer> threads, List<Integer> jvms, int threadsPerJvm, int batches, int rounds, int warmupRounds) {
        /** Copies the lists. */
        public ScaleCurve {
            threads = List.copyOf(threads);
            jvms = List.copyOf(jvms);
        }
    }

    /**
     * The sync-on section: the side-by-side contenders (HTTP aside) with {@code synchronous_commit=on}, set on the
     * same server for new connections and put back afterwards.
     *
     * @param contenders names of the contenders, in order
     * @param rounds measured rounds
     * @param warmupRounds unmeasured rounds first
     */
    public record SyncOn(List<String> contenders, int rounds, int warmupRounds) {
        /** Copies the list. */
        public SyncOn {
            contenders = List.copyOf(contenders);
        }
    }

    /**
     * The queue-table churn section: a long run of transitions through Baton's queue on the shipped
     * schema, with the tables' sizes and statistics before, during and after.
     *
     * @param transitions stage transitions of each run (a run stops admitting batches once it has them)
     * @param inFlight batches started and not yet completed at any time
     * @param threads queue worker threads
     * @param runs the runs, in order, each on fresh tables
     * @param samples how many times a run samples the tables' sizes on the way
     */
    public record Churn(long transitions, int inFlight, int threads, List<Run> runs, int samples) {
        /** Completed batches are purged (queue row, outputs, input) by Baton's retention, {@code BatchClient.purge}. */
        public static final String DELETE = "delete";
        /** Completed batches stay in the queue table with their outputs. */
        public static final String KEEP = "keep";

        /** Copies the list. */
        public Churn {
            runs = List.copyOf(runs);
        }

        /**
         * One churn run.
         *
         * @param retention what happens to completed batches: {@link #DELETE} or {@link #KEEP}
         * @param rate transitions per second the run admits batches at (a batch every 6/rate s); 0 for as fast as the
         *     workers go
         */
        public record Run(String retention, int rate) {
            /**
             * @param text {@code delete}, {@code keep}, or either with {@code @RATE}, e.g. {@code delete@400}
             * @return the run
             * @throws IllegalArgumentException on anything else
             */
            public static Run parse(String text) {
                String[] parts = text.trim().split("@", -1);
                if (parts.length > 2 || !(parts[0].equals(DELETE) || parts[0].equals(KEEP))) {
                    throw new IllegalArgumentException(
                            "'" + text + "' is not a churn run: write delete, keep, or delete@RATE / keep@RATE");
                }
                int rate = 0;
                if (parts.length == 2) {
                    try {
                        rate = Integer.parseInt(parts[1]);
                    } catch (NumberFormatException e) {
                        rate = -1;
                    }
                    if (rate < 1 || rate > 1_000_000) {
                        throw new IllegalArgumentException(
                                "'" + text + "': the rate must be 1 to 1000000 transitions/s");
                    }
                }
                return new Run(parts[0], rate);
            }

            /** @return {@code delete}, {@code keep}, {@code delete@400}, … */
            public String label() {
                return rate == 0 ? retention : retention + "@" + rate;
            }
        }
    }
}
