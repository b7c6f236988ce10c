package dev.baton.example.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.baton.example.host.HostBatches;
import dev.baton.pipeline.http.StageEndpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's {@code POST /api/process-batch}: for a batch id the host does not know yet, it first
 * creates the {@code batch} row and its generated screenshots (the queue row's foreign key needs
 * them), then hands the request to Baton's {@link StageEndpoint}, which enqueues the batch and
 * answers (202 with the queue row, 409 when it already has a run, 400 on bad input). After a 202
 * the host's batch is marked {@code processing}. Thread-safe.
 */
public final class HostProcessBatchRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HostProcessBatchRoute.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StageEndpoint endpoint;
    private final HostBatches batches;
    private final int screenshotsPerBatch;

    /**
     * @param endpoint Baton's endpoint
     * @param batches the host's batches
     * @param screenshotsPerBatch screenshots created for a new batch
     */
    public HostProcessBatchRoute(StageEndpoint endpoint, HostBatches batches, int screenshotsPerBatch) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.batches = Objects.requireNonNull(batches, "batches");
        this.screenshotsPerBatch = screenshotsPerBatch;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = endpoint.readBody(exchange.getRequestBody());
            long batchId = "POST".equals(exchange.getRequestMethod()) && body.length <= endpoint.maxBodyBytes() ? batchIdOf(body) : -1;
            if (batchId > 0) {
                try {
                    if (batches.createIfAbsent(batchId, screenshotsPerBatch)) {
                        LOG.info("created host batch {} with {} screenshots", batchId, screenshotsPerBatch);
                    }
                } catch (SQLException e) {
                    LOG.error("creating host batch {} failed: {}", batchId, e.toString());
                    Exchanges.sendError(exchange, 503, "could not create batch " + batchId + " in the host's tables; try again");
                    return;
                }
            }
            StageEndpoint.Response response = endpoint.handle(new StageEndpoint.Request(exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(), exchange.getRequestHeaders(), body));
            if (response.status() == 202 && batchId > 0) {
                try {
                    batches.markProcessing(batchId);
                } catch (SQLException e) {
                    LOG.warn("batch {} started but marking the host's row processing failed: {}", batchId, e.toString());
                }
            }
            response.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    /** @return the positive batch id of a well-formed body, or -1 (the endpoint then explains what is wrong) */
    static long batchIdOf(byte[] body) {
        try {
            JsonNode id = JSON.readTree(body).get("batchId");
            return id != null && id.canConvertToLong() && id.isIntegralNumber() && id.asLong() > 0 ? id.asLong() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
