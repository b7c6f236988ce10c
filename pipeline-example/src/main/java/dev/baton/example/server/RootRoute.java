package dev.baton.example.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.baton.pipeline.BatchState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything under {@code /} that has no context of its own: the read-only status page at
 * {@code /}, its data at {@code GET /api/batches}, and otherwise Baton's {@code StageEndpoint}
 * (stage calls, batch status, health). Thread-safe.
 */
public final class RootRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RootRoute.class);
    /** Path of the status page's data. */
    public static final String LIST_PATH = "/api/batches";

    private final byte[] page;
    private final BatchListing listing;
    private final Supplier<Map<BatchState, Long>> counts;
    private final HttpHandler endpoint;

    /**
     * @param listing the status page's data
     * @param counts batches per state
     * @param endpoint Baton's endpoint, mounted at {@code /}
     */
    public RootRoute(BatchListing listing, Supplier<Map<BatchState, Long>> counts, HttpHandler endpoint) {
        this.listing = Objects.requireNonNull(listing, "listing");
        this.counts = Objects.requireNonNull(counts, "counts");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.page = resource("/dev/baton/example/web/status.html");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        boolean read = "GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod());
        if (path.equals("/") || path.equals("/index.html")) {
            try (exchange) {
                if (!read) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    Exchanges.sendError(exchange, 405, "method not allowed; use GET");
                    return;
                }
                Exchanges.send(exchange, 200, "text/html; charset=utf-8", page);
            }
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

    private static byte[] resource(String path) {
        try (InputStream in = RootRoute.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
