package dev.baton.example.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.dashboard.DashboardHttpHandler;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything under {@code /} that has no context of its own: Baton's operator dashboard (the page at
 * {@code /} with its assets, {@code /api/dashboard/…}, and the actions {@code POST /api/batches/{id}/retry},
 * {@code /cancel}, {@code /restart}), the listing at {@code GET /api/batches}, and otherwise Baton's
 * {@code StageEndpoint} (stage calls, {@code GET /api/batches/{id}}, health). Thread-safe.
 */
public final class RootRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RootRoute.class);
    /** Path of the batch listing (counts and the most recently changed batches). */
    public static final String LIST_PATH = "/api/batches";

    private final Dashboard dashboard;
    private final HttpHandler dashboardHandler;
    private final BatchListing listing;
    private final Supplier<Map<BatchState, Long>> counts;
    private final HttpHandler endpoint;

    /**
     * @param dashboard Baton's operator dashboard, mounted at {@code /}
     * @param listing the data of {@code GET /api/batches}
     * @param counts batches per state
     * @param endpoint Baton's endpoint, mounted at {@code /}
     */
    public RootRoute(
            Dashboard dashboard, BatchListing listing, Supplier<Map<BatchState, Long>> counts, HttpHandler endpoint) {
        this.dashboard = Objects.requireNonNull(dashboard, "dashboard");
        this.dashboardHandler = DashboardHttpHandler.of(dashboard);
        this.listing = Objects.requireNonNull(listing, "listing");
        this.counts = Objects.requireNonNull(counts, "counts");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        boolean read = "GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod());
        if (dashboard.owns(path)) {
            dashboardHandler.handle(exchange);
            return;
        }
        if (path.equals(LIST_PATH)) {
            try (exchange) {
                if (!read) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    Exchanges.sendError(exchange, 405, "method not allowed; use GET");
                    return;
                }
                try {
                    Exchanges.send(exchange, 200, Exchanges.JSON, listing.json(counts.get()));
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("listing batches failed: {}", e.toString());
                    Exchanges.sendError(exchange, 503, "the database is not reachable; try again");
                }
            }
            return;
        }
        endpoint.handle(exchange);
    }
}
