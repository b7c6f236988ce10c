package dev.baton.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measures a {@link ServerLoad} around one timed round: {@link #start} reads the server's CPU and WAL position and
 * starts sampling {@code pg_stat_activity} every {@value #SAMPLE_MILLIS} ms on a connection of its own;
 * {@link #stop} stops the sampler and reads them again. Samples the backends whose {@code application_name} starts
 * with the given prefix. One round at a time; not thread-safe.
 */
final class ServerProbe {
    /** Milliseconds between two samples. */
    static final int SAMPLE_MILLIS = 10;

    private static final String SAMPLE = "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
            + " WHERE application_name LIKE ? AND backend_type = 'client backend' AND pid <> pg_backend_pid()";

    private final Database db;
    private final OptionalLong postmaster;
    private ScheduledExecutorService sampler;
    private Connection connection;
    private PreparedStatement statement;
    private final Map<String, Long> byKind = new HashMap<>();
    private final Map<String, Long> byEvent = new HashMap<>();
    private final AtomicReference<SQLException> failure = new AtomicReference<>();
    private long samples;
    private long cpuStart;
    private long walStart;
    private long startNanos;

    /**
     * @param db the database
     * @throws SQLException if the server cannot be asked where its processes are
     */
    ServerProbe(Database db) throws SQLException {
        this.db = db;
        this.postmaster = db.postmasterPid();
    }

    /** @return whether the server's CPU can be read from here */
    boolean seesServerCpu() {
        return postmaster.isPresent();
    }

    /**
     * @param applicationPrefix the {@code application_name} prefix of the contender's connections
     * @throws SQLException if the server cannot be asked
     */
    void start(String applicationPrefix) throws SQLException {
        byKind.clear();
        byEvent.clear();
        samples = 0;
        failure.set(null);
        connection = db.connect("baton-bench-sampler");
        PreparedStatement sample = connection.prepareStatement(SAMPLE);
        sample.setString(1, applicationPrefix.replace("_", "\\_").replace("%", "\\%") + "%");
        statement = sample;
        walStart = db.counters().walBytes();
        cpuStart = postmaster.isPresent() ? ProcStat.serverCpuNanos(postmaster.getAsLong()) : -1;
        startNanos = System.nanoTime();
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-pg-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> sample(sample), 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sample(PreparedStatement sample) {
        if (failure.get() != null) {
            return;
        }
        Map<String, Long> kinds = new HashMap<>();
        Map<String, Long> events = new HashMap<>();
        long n = 0;
        try (ResultSet rs = sample.executeQuery()) {
            while (rs.next()) {
                String state = rs.getString(1);
                String type = rs.getString(2);
                String event = rs.getString(3);
                String kind = "idle".equals(state)
                        ? "idle"
                        : type == null
                                ? ("active".equals(state) ? "CPU" : "other")
                                : switch (type) {
                                    case "Lock", "LWLock", "IO", "Client" -> type;
                                    default -> "other";
                                };
                kinds.merge(kind, 1L, Long::sum);
                if (type != null && !type.equals("Client") && !kind.equals("idle")) {
                    events.merge(type + ":" + event, 1L, Long::sum);
                }
                n++;
            }
        } catch (SQLException e) {
            failure.compareAndSet(null, e);
            return;
        }
        synchronized (this) {
            kinds.forEach((k, v) -> byKind.merge(k, v, Long::sum));
            events.forEach((k, v) -> byEvent.merge(k, v, Long::sum));
            samples += n;
        }
    }

    /** Stops sampling after a failed round, without measuring; does nothing when not sampling. */
    void cancel() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // the round failed already; its error is the one to report
            }
        }
    }

    /**
     * @return what the server did since {@link #start}
     * @throws SQLException if the server cannot be asked, or a sample failed
     * @throws InterruptedException if interrupted while the sampler stops
     */
    ServerLoad stop() throws SQLException, InterruptedException {
        long elapsed = System.nanoTime() - startNanos;
        long cpuEnd = postmaster.isPresent() ? ProcStat.serverCpuNanos(postmaster.getAsLong()) : -1;
        sampler.shutdown();
        if (!sampler.awaitTermination(10, TimeUnit.SECONDS)) {
            sampler.shutdownNow();
        }
        synchronized (this) {
            if (samples == 0) {
                // a round shorter than the sampler's first run still gets one sample
                sample(statement);
            }
        }
        connection.close();
        long walEnd = db.counters().walBytes();
        SQLException e = failure.get();
        if (e != null) {
            throw new SQLException("sampling pg_stat_activity failed: " + e.getMessage(), e);
        }
        synchronized (this) {
            return new ServerLoad(
                    elapsed,
                    cpuStart < 0 || cpuEnd < 0 ? -1 : cpuEnd - cpuStart,
                    walEnd - walStart,
                    samples,
                    byKind,
                    byEvent);
        }
    }
}
