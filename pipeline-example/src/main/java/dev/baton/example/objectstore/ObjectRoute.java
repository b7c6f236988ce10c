package dev.baton.example.objectstore;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.baton.example.host.StoredObjects;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /objects/{key}?expires=…&signature=…} from {@link StoredObjects}: 200 with the
 * bytes, 403 for a missing, wrong or expired signature, 404 for an unknown key, 405 for other
 * methods. Thread-safe.
 */
public final class ObjectRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectRoute.class);

    private final StoredObjects objects;
    private final ObjectUrlSigner signer;

    /**
     * @param objects where the files are
     * @param signer checks the URLs' signatures
     */
    public ObjectRoute(StoredObjects objects, ObjectUrlSigner signer) {
        this.objects = Objects.requireNonNull(objects, "objects");
        this.signer = Objects.requireNonNull(signer, "signer");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, "text/plain", "only GET is allowed here\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String key = path.startsWith(ObjectUrlSigner.PATH_PREFIX)
                    ? path.substring(ObjectUrlSigner.PATH_PREFIX.length())
                    : "";
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (!signer.verify(key, query.get("expires"), query.get("signature"))) {
                send(
                        exchange,
                        403,
                        "text/plain",
                        "missing, wrong or expired signature; ask the app for a fresh URL\n"
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            Optional<StoredObjects.StoredObject> found;
            try {
                found = objects.find(key);
            } catch (SQLException e) {
                LOG.warn("serving {} failed: {}", path, e.toString());
                send(
                        exchange,
                        503,
                        "text/plain",
                        "the object store is not reachable; try again\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (found.isEmpty()) {
                send(exchange, 404, "text/plain", ("no object '" + key + "'\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, found.get().contentType(), found.get().content());
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }
}
