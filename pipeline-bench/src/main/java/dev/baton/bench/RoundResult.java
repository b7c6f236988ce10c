package dev.baton.bench;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one round of one contender measured.
 *
 * @param contender the contender's name
 * @param round the round, from 1
 * @param batches batches run
 * @param workers concurrent workers
 * @param payloadBytes output size per stage
 * @param transitions stage transitions ({@code batches × 6})
 * @param elapsedNanos from the first batch started to the last one completed
 * @param p50Nanos median hand-off
 * @param p99Nanos 99th percentile hand-off
 * @param commits {@code xact_commit} difference over the round, start-up and shut-down included
 * @param walBytes WAL written over the round, start-up and shut-down included
 * @param heapPeakBytes the JVM heap's peak while the contender ran ({@link HeapPeak})
 * @param jvmCpuNanos CPU time the whole JVM used during the timed part (every thread of the contender's runtime)
 * @param loadAverage the machine's one-minute load average at the end of the round, or -1 where unknown
 */
public record RoundResult(
        String contender,
        int round,
        int batches,
        int workers,
        int payloadBytes,
        long transitions,
        long elapsedNanos,
        long p50Nanos,
        long p99Nanos,
        long commits,
        long walBytes,
        long heapPeakBytes,
        long jvmCpuNanos,
        double loadAverage) {

    /** @return stage transitions per second */
    @JsonProperty
    public double transitionsPerSec() {
        return transitions / (elapsedNanos / 1e9);
    }

    /** @return commits per transition */
    @JsonProperty
    public double commitsPerTransition() {
        return (double) commits / transitions;
    }

    /** @return WAL bytes per transition */
    @JsonProperty
    public double walBytesPerTransition() {
        return (double) walBytes / transitions;
    }

    /** @return median hand-off in milliseconds */
    @JsonProperty
    public double p50Ms() {
        return p50Nanos / 1e6;
    }

    /** @return 99th percentile hand-off in milliseconds */
    @JsonProperty
    public double p99Ms() {
        return p99Nanos / 1e6;
    }

    /** @return JVM CPU time per transition, in microseconds */
    @JsonProperty
    public double jvmCpuMicrosPerTransition() {
        return jvmCpuNanos / 1e3 / transitions;
    }

    /** @return heap peak in MiB */
    @JsonProperty
    public double heapPeakMb() {
        return heapPeakBytes / (1024.0 * 1024.0);
    }
}
