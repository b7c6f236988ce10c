package dev.baton.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * What the PostgreSQL server did during one timed round: its CPU, its WAL, and what its backends were doing, from
 * {@code pg_stat_activity} sampled about every 10 ms. A sample is one backend of the contender at one moment,
 * classified as {@code idle} (between statements outside a transaction: the JVM has it), or, when busy, {@code CPU}
 * (active, no wait event), {@code Lock}, {@code LWLock}, {@code IO}, {@code Client} (in a transaction, waiting for
 * the JVM's next statement) or {@code other} (IPC, Timeout, Activity, …).
 *
 * @param elapsedNanos the timed part
 * @param serverCpuNanos CPU of every server process over it (postmaster, backends, WAL writer, checkpointer, …;
 *     the sampler's backend included), or -1 when the server's processes are not visible from here
 * @param walBytes WAL written over it ({@code pg_current_wal_insert_lsn()} difference)
 * @param samples backend samples taken
 * @param byKind samples by kind
 * @param byEvent busy samples by {@code wait_event_type:wait_event}, waits only, {@code Client} aside
 */
public record ServerLoad(
        long elapsedNanos,
        long serverCpuNanos,
        long walBytes,
        long samples,
        Map<String, Long> byKind,
        Map<String, Long> byEvent) {
    /** Copies the maps. */
    public ServerLoad {
        byKind = Map.copyOf(byKind);
        byEvent = Map.copyOf(byEvent);
    }

    /** @return server CPU seconds per second of the round (cores kept busy), or -1 when unknown */
    @JsonProperty
    public double serverCores() {
        return serverCpuNanos < 0 ? -1 : (double) serverCpuNanos / elapsedNanos;
    }

    /** @return WAL bytes per second of the round */
    @JsonProperty
    public double walBytesPerSec() {
        return walBytes / (elapsedNanos / 1e9);
    }

    /** @return the share of samples whose backend was busy (not idle), 0 to 1 (0 without samples) */
    @JsonProperty
    public double busyShare() {
        return samples == 0 ? 0 : (double) busySamples() / samples;
    }

    private long busySamples() {
        return samples - byKind.getOrDefault("idle", 0L);
    }

    /**
     * @param kind {@code CPU}, {@code Lock}, {@code LWLock}, {@code IO}, {@code Client} or {@code other}
     * @return its share of the busy samples, 0 to 1 (0 without busy samples)
     */
    public double share(String kind) {
        long busy = busySamples();
        return busy == 0 ? 0 : (double) byKind.getOrDefault(kind, 0L) / busy;
    }
}
