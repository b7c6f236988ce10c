package dev.baton.example.host;

import dev.baton.example.screenshots.GeneratedScreenshot;
import dev.baton.example.screenshots.ScreenshotGenerator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The host's batches and their screenshots: creating a batch with its generated PNGs, reading its
 * screenshots, and moving its {@code status}. Plain JDBC; thread-safe.
 */
public final class HostBatches {
    /** Most screenshots one batch may have. */
    public static final int MAX_SCREENSHOTS = 1000;

    private final DataSource dataSource;
    private final ScreenshotGenerator generator;

    /**
     * @param dataSource the host's database
     * @param generator draws the screenshots of new batches
     */
    public HostBatches(DataSource dataSource, ScreenshotGenerator generator) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.generator = Objects.requireNonNull(generator, "generator");
    }

    /**
     * Creates batch {@code batchId} with {@code screenshots} generated screenshots, stored as objects,
     * in one transaction, unless the batch exists already (then nothing changes).
     *
     * @param batchId the new batch, positive
     * @param screenshots how many screenshots, 1 to {@link #MAX_SCREENSHOTS}
     * @return {@code true} when it was created now, {@code false} when it existed
     * @throws IllegalArgumentException on a value out of range
     * @throws SQLException if the database fails
     */
    public boolean createIfAbsent(long batchId, int screenshots) throws SQLException {
        if (batchId <= 0) {
            throw new IllegalArgumentException("batchId must be positive, got " + batchId);
        }
        if (screenshots < 1 || screenshots > MAX_SCREENSHOTS) {
            throw new IllegalArgumentException("screenshots must be 1.." + MAX_SCREENSHOTS + ", got " + screenshots);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean created;
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO batch(batch_id, status, screenshot_count) VALUES (?, 'pending', ?) ON CONFLICT "
                                + "(batch_id) DO NOTHING")) {
                    insert.setLong(1, batchId);
                    insert.setInt(2, screenshots);
                    created = insert.executeUpdate() == 1;
                }
                if (created) {
                    insertScreenshots(c, batchId, screenshots);
                }
                c.commit();
                return created;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void insertScreenshots(Connection c, long batchId, int screenshots) throws SQLException {
        try (PreparedStatement object = c.prepareStatement(
                        "INSERT INTO stored_object(object_key, content_type, content) VALUES (?, 'image/png', ?) ON "
                                + "CONFLICT (object_key) DO NOTHING");
                PreparedStatement row = c.prepareStatement(
                        "INSERT INTO screenshot(batch_id, position, object_key, width, height) VALUES (?, ?, ?, ?, "
                                + "?)")) {
            for (int position = 0; position < screenshots; position++) {
                GeneratedScreenshot shot = generator.generate(batchId, position);
                String key = objectKey(batchId, position);
                object.setString(1, key);
                object.setBytes(2, shot.png());
                object.addBatch();
                row.setLong(1, batchId);
                row.setInt(2, position);
                row.setString(3, key);
                row.setInt(4, shot.width());
                row.setInt(5, shot.height());
                row.addBatch();
            }
            object.executeBatch();
            row.executeBatch();
        }
    }

    /**
     * @param batchId a batch
     * @param position a screenshot's position
     * @return the key its PNG is stored under
     */
    public static String objectKey(long batchId, int position) {
        return "screenshots/" + batchId + "/" + position + ".png";
    }

    /**
     * @param batchId a batch
     * @return its screenshots in position order; empty when it has none or does not exist
     * @throws SQLException if the database fails
     */
    public List<ScreenshotRow> screenshots(long batchId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement q =
                        c.prepareStatement("SELECT screenshot_id, batch_id, position, object_key, width, height"
                                + " FROM screenshot WHERE batch_id = ? ORDER BY position")) {
            q.setLong(1, batchId);
            List<ScreenshotRow> rows = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    rows.add(new ScreenshotRow(
                            rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getString(4), rs.getInt(5), rs.getInt(6)));
                }
            }
            return rows;
        }
    }

    /**
     * @param batchId a batch
     * @return its row, or empty
     * @throws SQLException if the database fails
     */
    public Optional<HostBatch> find(long batchId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement q = c.prepareStatement(
                        "SELECT batch_id, status, error_message, screenshot_count, created_at, completed_at"
                                + " FROM batch WHERE batch_id = ?")) {
            q.setLong(1, batchId);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new HostBatch(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getInt(4),
                        instant(rs.getTimestamp(5)),
                        instant(rs.getTimestamp(6))));
            }
        }
    }

    /**
     * @param batchIds some batches
     * @return the {@code status} of those that exist
     * @throws SQLException if the database fails
     */
    public Map<Long, String> statuses(Collection<Long> batchIds) throws SQLException {
        Map<Long, String> statuses = new HashMap<>();
        if (batchIds.isEmpty()) {
            return statuses;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement q =
                        c.prepareStatement("SELECT batch_id, status FROM batch WHERE batch_id = ANY(?)")) {
            q.setArray(1, c.createArrayOf("bigint", batchIds.toArray()));
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    statuses.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return statuses;
    }

    /**
     * Marks a new batch {@code processing} once its run has started. Only a {@code pending} batch
     * moves, so a run that already finished is never set back.
     *
     * @param batchId the batch
     * @return {@code false} when there is no such batch or it is not pending
     * @throws SQLException if the database fails
     */
    public boolean markProcessing(long batchId) throws SQLException {
        return update(
                "UPDATE batch SET status = 'processing', updated_at = now() WHERE batch_id = ? AND status = 'pending'",
                batchId,
                null);
    }

    /**
     * Marks a batch {@code failed} with the pipeline's error.
     *
     * @param batchId the batch
     * @param error what went wrong
     * @return {@code false} when there is no such batch
     * @throws SQLException if the database fails
     */
    public boolean markFailed(long batchId, String error) throws SQLException {
        return update(
                "UPDATE batch SET status = 'failed', error_message = ?, updated_at = now() WHERE batch_id = ?",
                batchId,
                error);
    }

    private boolean update(String sql, long batchId, String error) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement u = c.prepareStatement(sql)) {
            int i = 1;
            if (error != null) {
                u.setString(i++, error);
            }
            u.setLong(i, batchId);
            return u.executeUpdate() == 1;
        }
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
