package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.Trigger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL queue trigger: stages run on {@link QueueWorker}s in any number of processes, and
 * PostgreSQL is the coordinator. The queue is {@code batch_processing_queue} itself: a batch is due
 * when it is {@code pending} and its {@code run_after} has passed, which every commit of the runner
 * already arranges (an advance sets {@code run_after = now()}, a retry sets its backoff). Firing
 * therefore only wakes the workers with {@code NOTIFY}; a lost notification costs at most one poll
 * interval, never the batch.
 *
 * <p>Shards of a fanned-out stage queue the same way: each shard's row in {@code batch_processing_shard} is
 * {@code pending} and due at its {@code run_after}, {@link #fireShard} only wakes the workers, and the workers claim
 * due shards like due batches. A stage's cap counts its running shards and its running batches that are not
 * fanned out.
 *
 * <p>A worker thread that finishes a stage runs the next one itself, claiming it in the advance's
 * transaction, except for stages with a global cap, which go back through the queue so the cap is
 * enforced in the database.
 *
 * <pre>{@code
 * QueueTrigger trigger = QueueTrigger.builder(dataSource).stageCap("render", 4).build();
 * }</pre>
 *
 * <p>Holds no thread and no connection: it takes one from the data source for each {@code NOTIFY}.
 * Thread-safe.
 */
public final class QueueTrigger implements Trigger {
    private static final Logger LOG = LoggerFactory.getLogger(QueueTrigger.class);
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** Default NOTIFY channel. */
    public static final String DEFAULT_CHANNEL = "baton_queue";

    private final TimedDataSource dataSource;
    private final String channel;
    private final Map<String, Integer> stageCaps;
    private final boolean inline;
    private final String notify = SqlText.NOTIFY.text();

    private QueueTrigger(Builder b) {
        // the NOTIFY runs on the thread that finished a stage: bound it like every other round trip of Baton's
        this.dataSource = new TimedDataSource(b.dataSource, b.networkTimeout);
        this.channel = b.channel;
        this.stageCaps = Map.copyOf(b.stageCaps);
        this.inline = b.inline;
    }

    /**
     * @param dataSource the database the workers listen on
     * @return a builder with the defaults: {@link #DEFAULT_CHANNEL}, no caps, the next stage run inline,
     *     {@link JdbcStageStore#DEFAULT_NETWORK_TIMEOUT}
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** @return the NOTIFY channel */
    public String channel() {
        return channel;
    }

    /** @return the global caps per stage */
    public Map<String, Integer> stageCaps() {
        return stageCaps;
    }

    /** Wakes the workers; the batch is already due in the table. A failed {@code NOTIFY} is only logged. */
    @Override
    public void fire(long batchId, String stage) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(notify)) {
            s.setString(1, channel);
            s.setString(2, stage);
            s.execute();
        } catch (SQLException e) {
            LOG.debug(
                    "batch {} stage {}: NOTIFY failed ({}); the workers' polling picks the batch up",
                    batchId,
                    stage,
                    e.toString());
        }
    }

    /** Does nothing: {@code run_after} already holds the time, and the workers poll for it. */
    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            fire(batchId, stage);
        }
    }

    /**
     * Wakes the workers for a shard of a fanned-out stage; the shard's row in {@code batch_processing_shard} is the
     * queue entry (pending, due at its {@code run_after}), which a {@link QueueWorker} claims. With a positive
     * {@code delay} it does nothing: the row's {@code run_after} already holds the time, and the workers poll for
     * it. A failed {@code NOTIFY} is only logged.
     */
    @Override
    public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
        if (!delay.isZero() && !delay.isNegative()) {
            return;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(notify)) {
            s.setString(1, channel);
            s.setString(2, stage);
            s.execute();
        } catch (SQLException e) {
            LOG.debug(
                    "batch {} stage {} shard {}: NOTIFY failed ({}); the workers' polling picks the shard up",
                    batchId,
                    stage,
                    shard,
                    e.toString());
        }
    }

    /** @return {@code true} unless {@code nextStage} has a cap or the trigger sends every stage through the queue */
    @Override
    public boolean continuesInline(String nextStage) {
        return inline && !stageCaps.containsKey(nextStage);
    }

    /** Builds a {@link QueueTrigger}; every setter validates. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String channel = DEFAULT_CHANNEL;
        private final Map<String, Integer> stageCaps = new LinkedHashMap<>();
        private boolean inline = true;
        private Duration networkTimeout = JdbcStageStore.DEFAULT_NETWORK_TIMEOUT;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * @param channel the NOTIFY channel, lower-case letters, digits and {@code _}, at most 63; the workers
         *     built with this trigger listen on it. Default {@link QueueTrigger#DEFAULT_CHANNEL}
         * @return this
         * @throws IllegalArgumentException on a bad channel name
         */
        public Builder channel(String channel) {
            if (channel == null || !CHANNEL.matcher(channel).matches()) {
                throw new IllegalArgumentException(
                        "channel '" + channel + "' must be lower-case letters, digits or '_', at most 63");
            }
            this.channel = channel;
            return this;
        }

        /**
         * Caps the executions of {@code stage} that run at once across all queue workers; the workers claim a
         * capped stage only while fewer run, and it always goes back through the queue. Each running shard of a
         * fanned-out stage is one execution; the fanned-out batch itself is none. Call once per stage.
         *
         * @param stage the stage's name
         * @param cap at most this many at once, at least 1
         * @return this
         * @throws IllegalArgumentException if {@code cap} is below 1
         * @throws NullPointerException if {@code stage} is null
         */
        public Builder stageCap(String stage, int cap) {
            Objects.requireNonNull(stage, "stage");
            if (cap < 1) {
                throw new IllegalArgumentException("the cap of stage '" + stage + "' must be at least 1, got " + cap
                        + "; leave the stage out for no cap");
            }
            stageCaps.put(stage, cap);
            return this;
        }

        /**
         * Sends every stage back through the queue instead of letting the worker thread that finished a stage
         * run the next one: a batch's stages spread over all workers, at the cost of a {@code NOTIFY}, a claim
         * and a commit more per stage.
         *
         * @return this
         */
        public Builder everyStageThroughQueue() {
            this.inline = false;
            return this;
        }

        /**
         * @param timeout the longest wait of the {@code NOTIFY}'s round trips, as
         *     {@link JdbcStageStore.Builder#networkTimeout}: 100 ms to 10 min, default
         *     {@link JdbcStageStore#DEFAULT_NETWORK_TIMEOUT}
         * @return this
         * @throws IllegalArgumentException if out of range
         * @throws NullPointerException if {@code timeout} is null
         */
        public Builder networkTimeout(Duration timeout) {
            this.networkTimeout = JdbcStageStore.requireNetworkTimeout(timeout);
            return this;
        }

        /** @return the trigger (it starts nothing) */
        public QueueTrigger build() {
            return new QueueTrigger(this);
        }
    }
}
