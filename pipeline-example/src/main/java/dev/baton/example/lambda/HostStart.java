package dev.baton.example.lambda;

import dev.baton.example.host.HostBatches;
import dev.baton.example.stages.BatchInput;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StartRequest;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's {@code POST /api/process-batch} on Lambda, as {@code HostProcessBatchRoute} does it on the JDK
 * server: create the host's batch and its screenshots when the id is new, hand the request to Baton's
 * endpoint, mark the host's batch processing after a 202.
 */
final class HostStart {
    private static final Logger LOG = LoggerFactory.getLogger(HostStart.class);

    private final StageEndpoint endpoint;
    private final HostBatches batches;
    private final int screenshotsPerBatch;

    HostStart(StageEndpoint endpoint, HostBatches batches, int screenshotsPerBatch) {
        this.endpoint = endpoint;
        this.batches = batches;
        this.screenshotsPerBatch = screenshotsPerBatch;
    }

    StageEndpoint.Response handle(StageEndpoint.Request r, Instant stageDeadline) {
        StartRequest start = null;
        if (r.method().equals("POST") && r.body().length <= endpoint.maxBodyBytes()) {
            try {
                start = StartRequest.parse(r.body());
            } catch (IllegalArgumentException e) {
                start = null; // the endpoint answers the 400
            }
        }
        if (start != null) {
            try {
                int count = BatchInput.of(start.input()).screenshotsOr(screenshotsPerBatch);
                if (batches.createIfAbsent(start.batchId(), count)) {
                    LOG.info("created host batch {} with {} screenshots", start.batchId(), count);
                }
            } catch (IllegalArgumentException e) {
                return error(400, "batch " + start.batchId() + ": " + e.getMessage());
            } catch (SQLException e) {
                LOG.error("creating host batch {} failed: {}", start.batchId(), e.toString());
                return error(503, "could not create batch " + start.batchId() + " in the host's tables; try again");
            }
        }
        StageEndpoint.Response response = endpoint.handle(r, stageDeadline);
        if (response.status() == 202 && start != null) {
            try {
                batches.markProcessing(start.batchId());
            } catch (SQLException e) {
                LOG.warn("batch {} started but marking the host's row processing failed: {}", start.batchId(), e);
            }
        }
        return response;
    }

    private static StageEndpoint.Response error(int status, String message) {
        String json = "{\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        return new StageEndpoint.Response(
                status,
                Map.of("Content-Type", "application/json; charset=utf-8"),
                json.getBytes(StandardCharsets.UTF_8));
    }
}
