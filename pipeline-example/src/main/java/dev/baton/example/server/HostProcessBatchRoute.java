package dev.baton.example.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.baton.example.host.HostBatches;
import dev.baton.example.stages.BatchInput;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StartRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's {@code POST /api/process-batch}: the body of Baton's route, {@code {"batchId": N}} with an
 * optional {@code "input": {"screenshots": M}} ({@link BatchInput}). For a batch id the host does not
 * know yet, it first creates the {@code batch} row and its generated screenshots ({@code M}, else the
 * default count; the queue row's foreign key needs them), then hands the request to Baton's
 * {@link StageEndpoint}, which starts the batch with the input and answers (202 with the queue row, also
 * for the same input again; 409 for another input; 400 on a bad body). A body the endpoint would refuse,
 * or an input that is not {@code {"screenshots": 1..1000}}, creates nothing. After a 202 the host's batch
 * is marked {@code processing}. Thread-safe.
 */
public final class HostProcessBatchRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HostProcessBatchRoute.class);

    private final StageEndpoint endpoint;
    private final HostBatches batches;
    private final int screenshotsPerBatch;

    /**
     * @param endpoint Baton's endpoint
     * @param batches the host's batches
     * @param screenshotsPerBatch screenshots created for a new batch started without a count
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
            StartRequest start = "POST".equals(exchange.getRequestMethod()) && body.length <= endpoint.maxBodyBytes()
                    ? parse(body)
                    : null;
            if (start != null) {
                BatchInput input;
                try {
                    input = BatchInput.of(start.input());
                } catch (IllegalArgumentException e) {
                    Exchanges.sendError(exchange, 400, "batch " + start.batchId() + ": " + e.getMessage());
                    return;
                }
                if (!createIfAbsent(exchange, start.batchId(), input.screenshotsOr(screenshotsPerBatch))) {
                    return;
                }
            }
            StageEndpoint.Response response = endpoint.handle(new StageEndpoint.Request(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    exchange.getRequestHeaders(),
                    body));
            if (response.status() == 202 && start != null) {
                try {
                    batches.markProcessing(start.batchId());
                } catch (SQLException e) {
                    LOG.warn(
                            "batch {} started but marking the host's row processing failed: {}",
                            start.batchId(),
                            e.toString());
                }
            }
            response.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    /** @return {@code false} when the answer (503) has been sent */
    private boolean createIfAbsent(HttpExchange exchange, long batchId, int screenshots) throws IOException {
        try {
            if (batches.createIfAbsent(batchId, screenshots)) {
                LOG.info("created host batch {} with {} screenshots", batchId, screenshots);
            }
            return true;
        } catch (SQLException e) {
            LOG.error("creating host batch {} failed: {}", batchId, e.toString());
            Exchanges.sendError(
                    exchange, 503, "could not create batch " + batchId + " in the host's tables; try again");
            return false;
        }
    }

    /** @return the request, or {@code null} for a body the endpoint refuses (it then says what is wrong) */
    static StartRequest parse(byte[] body) {
        try {
            return StartRequest.parse(body);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
