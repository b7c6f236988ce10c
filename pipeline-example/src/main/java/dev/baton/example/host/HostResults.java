package dev.baton.example.host;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A fingerprint of what the persistence stage wrote into the host's tables: every {@code screenshot_analysis} row,
 * keyed by batch and position, and every {@code batch_result} row, without their timestamps and generated ids. Two runs
 * of the same batches (with or without fan-out, sliced or not, on any trigger) wrote the same results exactly when
 * their fingerprints are equal.
 *
 * @param analyses screenshot analyses
 * @param batches batch results
 * @param sha256 SHA-256 of the rows in order, in hex
 */
public record HostResults(int analyses, int batches, String sha256) {
    private static final String ANALYSES = """
            SELECT a.batch_id, s.position, a.model, a.components::text, a.elements::text, a.anchors::text,
                   a.detections::text, a.precision, a.recall, a.f1, a.mean_iou, a.width, a.height, a.sha256,
                   a.dominant_colours::text, a.mean_luminance
            FROM screenshot_analysis a JOIN screenshot s ON s.screenshot_id = a.screenshot_id
            ORDER BY a.batch_id, s.position
            """;
    private static final String BATCHES = """
            SELECT batch_id, screenshots, components, detections, precision, recall, f1, mean_iou, per_kind::text
            FROM batch_result ORDER BY batch_id
            """;

    /** @throws NullPointerException without a digest */
    public HostResults {
        Objects.requireNonNull(sha256, "sha256");
    }

    /**
     * @param dataSource the host's database
     * @return the fingerprint of its results now
     * @throws SQLException if the database fails
     */
    public static HostResults of(DataSource dataSource) throws SQLException {
        MessageDigest digest = newDigest();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            int analyses = rows(s, ANALYSES, digest);
            digest.update((byte) 0);
            int batches = rows(s, BATCHES, digest);
            return new HostResults(analyses, batches, HexFormat.of().formatHex(digest.digest()));
        }
    }

    private static int rows(Statement s, String sql, MessageDigest digest) throws SQLException {
        int n = 0;
        try (ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    String v = rs.getString(i);
                    digest.update((v == null ? "\u0000null" : v).getBytes(StandardCharsets.UTF_8));
                    digest.update((byte) '\t');
                }
                digest.update((byte) '\n');
                n++;
            }
        }
        return n;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** @return e.g. {@code 200 screenshot analyses, 20 batch results, sha256 3f2a…} (the digest's first 16 digits) */
    @Override
    public String toString() {
        return analyses + " screenshot analyses, " + batches + " batch results, sha256 " + sha256.substring(0, 16);
    }
}
