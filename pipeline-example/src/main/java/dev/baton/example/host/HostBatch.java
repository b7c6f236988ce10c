package dev.baton.example.host;

import java.time.Instant;

/**
 * One row of the host's {@code batch} table.
 *
 * @param batchId the batch
 * @param status {@code pending}, {@code processing}, {@code completed} or {@code failed}
 * @param error why it failed, or {@code null}
 * @param screenshotCount how many screenshots it has
 * @param createdAt when it was created
 * @param completedAt when its results were written, or {@code null}
 */
public record HostBatch(
        long batchId, String status, String error, int screenshotCount, Instant createdAt, Instant completedAt) {}
