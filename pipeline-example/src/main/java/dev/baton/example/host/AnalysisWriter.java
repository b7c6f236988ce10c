package dev.baton.example.host;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Writes a batch's results into the host's tables in one transaction, idempotently: screenshot
 * analyses and the batch summary are upserted, and the batch is marked {@code completed}. Running
 * it twice for a batch (a retried persistence stage) leaves the same rows. Thread-safe.
 */
public final class AnalysisWriter {
    private static final String UPSERT_ANALYSIS = """
            INSERT INTO screenshot_analysis(screenshot_id, batch_id, model, components, elements, anchors, detections,
                precision, recall, f1, mean_iou, width, height, sha256, dominant_colours, mean_luminance, analysed_at)
            VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, now())
            ON CONFLICT (screenshot_id) DO UPDATE SET
                batch_id = EXCLUDED.batch_id, model = EXCLUDED.model, components = EXCLUDED.components,
                elements = EXCLUDED.elements, anchors = EXCLUDED.anchors, detections = EXCLUDED.detections,
                precision = EXCLUDED.precision, recall = EXCLUDED.recall, f1 = EXCLUDED.f1,
                mean_iou = EXCLUDED.mean_iou,
                width = EXCLUDED.width, height = EXCLUDED.height, sha256 = EXCLUDED.sha256,
                dominant_colours = EXCLUDED.dominant_colours, mean_luminance = EXCLUDED.mean_luminance,
                analysed_at = EXCLUDED.analysed_at
            """;
    private static final String UPSERT_SUMMARY = """
            INSERT INTO batch_result(batch_id, screenshots, components, detections, precision, recall, f1, mean_iou,
                                     per_kind, persisted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, now())
            ON CONFLICT (batch_id) DO UPDATE SET
                screenshots = EXCLUDED.screenshots, components = EXCLUDED.components, detections = EXCLUDED.detections,
                precision = EXCLUDED.precision, recall = EXCLUDED.recall, f1 = EXCLUDED.f1,
                mean_iou = EXCLUDED.mean_iou,
                per_kind = EXCLUDED.per_kind, persisted_at = EXCLUDED.persisted_at
            """;

    private final DataSource dataSource;

    /** @param dataSource the host's database */
    public AnalysisWriter(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * @param batchId the batch
     * @param analyses one per screenshot
     * @param summary the batch's totals
     * @throws SQLException if the database fails (nothing is written)
     * @throws IllegalStateException if the host has no such batch
     */
    public void write(long batchId, List<ScreenshotAnalysis> analyses, BatchSummary summary) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement up = c.prepareStatement(UPSERT_ANALYSIS)) {
                    for (ScreenshotAnalysis a : analyses) {
                        int i = 1;
                        up.setLong(i++, a.screenshotId());
                        up.setLong(i++, batchId);
                        up.setString(i++, a.model());
                        up.setString(i++, a.componentsJson());
                        up.setString(i++, a.elementsJson());
                        up.setString(i++, a.anchorsJson());
                        up.setString(i++, a.detectionsJson());
                        up.setDouble(i++, a.precision());
                        up.setDouble(i++, a.recall());
                        up.setDouble(i++, a.f1());
                        up.setDouble(i++, a.meanIou());
                        up.setInt(i++, a.width());
                        up.setInt(i++, a.height());
                        up.setString(i++, a.sha256());
                        up.setString(i++, a.dominantColoursJson());
                        up.setDouble(i, a.meanLuminance());
                        up.addBatch();
                    }
                    up.executeBatch();
                }
                try (PreparedStatement up = c.prepareStatement(UPSERT_SUMMARY)) {
                    int i = 1;
                    up.setLong(i++, batchId);
                    up.setInt(i++, summary.screenshots());
                    up.setInt(i++, summary.components());
                    up.setInt(i++, summary.detections());
                    up.setDouble(i++, summary.precision());
                    up.setDouble(i++, summary.recall());
                    up.setDouble(i++, summary.f1());
                    up.setDouble(i++, summary.meanIou());
                    up.setString(i, summary.perKindJson());
                    up.executeUpdate();
                }
                try (PreparedStatement done =
                        c.prepareStatement("UPDATE batch SET status = 'completed', error_message = NULL,"
                                + " completed_at = now(), updated_at = now() WHERE batch_id = ?")) {
                    done.setLong(1, batchId);
                    if (done.executeUpdate() != 1) {
                        throw new IllegalStateException("the host has no batch " + batchId);
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
