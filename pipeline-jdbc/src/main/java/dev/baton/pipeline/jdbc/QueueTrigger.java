package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.Trigger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
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
 * <p>A worker thread that finishes a stage runs the next one itself, claiming it in the advance's
 * transaction, except for stages with a global cap, which go back through the queue so the cap is
 * enforced in the database. Thread-safe.
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

    /**
     * @param dataSource the database the workers listen on
     * @param channel the NOTIFY channel, lower-case letters, digits and {@code _}
     * @param stageCaps global caps of concurrent executions per stage (the workers' caps)
     * @throws IllegalArgumentException on a bad channel name
     */
    public QueueTrigger(DataSource dataSource, String channel, Map<String, Integer> stageCaps) {
        // the NOTIFY runs on the thread that finished a stage: bound it like every other round trip of Baton's
        this(new TimedDataSource(Objects.requireNonNull(dataSource, "dataSource"), JdbcStageStore.DEFAULT_NETWORK_TIMEOUT),
                channel, stageCaps, true);
    }

    private QueueTrigger(TimedDataSource dataSource, String channel, Map<String, Integer> stageCaps, boolean inline) {
        this.dataSource = dataSource;
        if (channel == null || !CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("channel '" + channel + "' must be lower-case letters, digits or '_', at most 63");
        }
        this.channel = channel;
        this.stageCaps = Map.copyOf(stageCaps);
        this.inline = inline;
    }

    /**
     * A trigger that sends every stage back through the queue instead of letting the worker thread that
     * finished a stage run the next one: a batch's stages spread over all workers, at the cost of a
     * {@code NOTIFY}, a claim and a commit more per stage.
     *
     * @return a trigger like this one whose {@link #continuesInline} is always {@code false}
     */
    public QueueTrigger everyStageThroughQueue() {
        return new QueueTrigger(dataSource, channel, stageCaps, false);
    }

    /**
     * @param dataSource the database the workers listen on
     * @return a trigger on {@link #DEFAULT_CHANNEL} with no caps
     */
    public static QueueTrigger of(DataSource dataSource) {
        return new QueueTrigger(dataSource, DEFAULT_CHANNEL, Map.of());
    }

    /** @return the NOTIFY channel */
    public String channel() {
        return channel;
    }

    /** @return the global caps per stage */
    public Map<String, Integer> stageCaps() {
        return stageCaps;
    }

    /** Wakes the workers; the batch is already due in the table. */
    @Override
    public void fire(long batchId, String stage) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            s.setString(1, channel);
            s.setString(2, stage);
            s.execute();
        } catch (SQLException e) {
            LOG.debug("batch {} stage {}: NOTIFY failed ({}); the workers' polling picks the batch up", batchId, stage, e.toString());
        }
    }

    /** Does nothing: {@code run_after} already holds the time, and the workers poll for it. */
    @Override
    public void fireAfter(long batchId, String stage, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            fire(batchId, stage);
        }
    }

    /** @return {@code true} unless {@code nextStage} has a global cap or this is {@link #everyStageThroughQueue()} */
    @Override
    public boolean continuesInline(String nextStage) {
        return inline && !stageCaps.containsKey(nextStage);
    }
}
