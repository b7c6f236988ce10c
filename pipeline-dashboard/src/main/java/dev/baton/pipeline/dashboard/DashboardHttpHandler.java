package dev.baton.pipeline.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link Dashboard} on the JDK's {@code com.sun.net.httpserver.HttpServer}: mount it at a context,
 * {@code server.createContext("/baton", DashboardHttpHandler.of(dashboard))}; paths are taken relative to
 * the context, and the context path without its slash is redirected to the page. Thread-safe.
 */
public final class DashboardHttpHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardHttpHandler.class);

    private final Dashboard dashboard;

    private DashboardHttpHandler(Dashboard dashboard) {
        this.dashboard = Objects.requireNonNull(dashboard, "dashboard");
    }

    /**
     * @param dashboard the dashboard to serve
     * @return a handler for a context of the JDK server
     */
    public static DashboardHttpHandler of(Dashboard dashboard) {
        return new DashboardHttpHandler(dashboard);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String context = exchange.getHttpContext().getPath().replaceAll("/+$", "");
            String path = exchange.getRequestURI().getRawPath();
            if (!context.isEmpty() && path.equals(context)) {
                exchange.getResponseHeaders().set("Location", context + "/");
                exchange.getResponseHeaders().set("Content-Security-Policy", Dashboard.CONTENT_SECURITY_POLICY);
                exchange.sendResponseHeaders(308, -1);
                return;
            }
            String relative = path.startsWith(context) ? path.substring(context.length()) : path;
            Dashboard.Response response = dashboard.handle(new Dashboard.Request(
                    exchange.getRequestMethod(),
                    relative,
                    exchange.getRequestURI().getRawQuery(),
                    exchange.getRequestHeaders(),
                    readBody(exchange.getRequestBody())));
            write(exchange, response);
        } catch (IOException e) {
            LOG.debug("dashboard: the caller went away before the answer was written ({})", e.toString());
        }
    }

    /**
     * Writes a dashboard response on an exchange, for a host that routes to {@link Dashboard#handle} itself.
     *
     * @param exchange the exchange, closed by the caller
     * @param response the dashboard's response
     * @throws IOException if the caller went away
     */
    public static void write(HttpExchange exchange, Dashboard.Response response) throws IOException {
        response.headers().forEach(exchange.getResponseHeaders()::set);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        byte[] body = response.body();
        exchange.sendResponseHeaders(response.status(), head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /**
     * @param in a request body
     * @return at most {@link Dashboard#MAX_BODY_BYTES} + 1 bytes of it (one more tells an oversized body)
     * @throws IOException if it cannot be read
     */
    public static byte[] readBody(InputStream in) throws IOException {
        return in.readNBytes(Dashboard.MAX_BODY_BYTES + 1);
    }
}
