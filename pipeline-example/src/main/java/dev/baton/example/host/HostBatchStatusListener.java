package dev.baton.example.host;

import dev.baton.pipeline.PipelineListener;
import java.sql.SQLException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the host's {@code batch.status} in step with the pipeline: a batch that
 * fails for good is marked {@code failed} with the pipeline's error. (A completed batch is marked
 * by the persistence stage, in the same transaction as its results.) Thread-safe.
 */
public final class HostBatchStatusListener implements PipelineListener {
    private static final Logger LOG = LoggerFactory.getLogger(HostBatchStatusListener.class);

    private final HostBatches batches;

    /** @param batches the host's batches */
    public HostBatchStatusListener(HostBatches batches) {
        this.batches = Objects.requireNonNull(batches, "batches");
    }

    @Override
    public void batchFailed(long batchId, String stage, String error) {
        try {
            if (!batches.markFailed(batchId, "stage " + stage + " failed: " + error)) {
                LOG.warn("batch {} failed at stage {} but the host has no such batch row", batchId, stage);
            }
        } catch (SQLException e) {
            LOG.error(
                    "batch {} failed at stage {}, and marking the host's batch row failed did not work either: {}",
                    batchId,
                    stage,
                    e.toString());
        }
    }
}
