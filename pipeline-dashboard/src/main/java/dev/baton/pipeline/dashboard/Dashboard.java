package dev.baton.pipeline.dashboard;

import dev.baton.pipeline.BatchClient;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baton's operator dashboard as one framework-neutral handler: a {@link Request} in, a {@link Response}
 * out. It serves, relative to where it is mounted:
 * <ul>
 *   <li>{@code GET /} (and {@code /index.html}): the page; {@code GET /assets/…}: its script and style;</li>
 *   <li>{@code GET /api/dashboard/overview?state=&stage=&error=&id=&offset=&limit=}: counts per state,
 *       stalled batches and one page of the batches that match, most recently changed first;</li>
 *   <li>{@code GET /api/dashboard/batches/{id}}: the batch's stage timeline with a preview of each output;</li>
 *   <li>{@code GET /api/dashboard/session}: which actions the request's credentials are granted;</li>
 *   <li>{@code POST /api/batches/{id}/retry}, {@code /cancel}, {@code /restart} (body
 *       {@code {"stage": "…"}}): the actions, answered 200 with the new status, 401 without credentials,
 *       403 for refused ones or a cross-site request, 404 for an unknown batch, 409 when the batch's state
 *       does not allow the action, 400 for a bad body or an unknown stage, 415 for a form content type.</li>
 * </ul>
 * Every response carries a strict {@value #CONTENT_SECURITY_POLICY} Content-Security-Policy, {@code nosniff}
 * and {@code no-store}. Adapters: {@link DashboardHttpHandler} (JDK {@code HttpServer}) and
 * {@link DashboardServlet} (Jakarta Servlet); {@link #owns(String)} tells a host that mounts it beside
 * other routes which paths are the dashboard's.
 *
 * <pre>{@code
 * Dashboard dashboard = Dashboard.builder(runner.client())
 *         .authorizer(Authorizer.bearerToken(System.getenv("PIPELINE_ADMIN_TOKEN"), "admin-token"))
 *         .build();
 * server.createContext("/baton", DashboardHttpHandler.of(dashboard));
 * }</pre>
 * Building starts nothing; the dashboard has no thread. Thread-safe.
 */
public final class Dashboard {
    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    /** The Content-Security-Policy of every response. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    /** Largest request body read: 16 KiB. */
    public static final int MAX_BODY_BYTES = 16 * 1024;

    private static final Pattern ACTION_PATH = Pattern.compile("/api/batches/[^/]+/(retry|cancel|restart)");

    private final Views views;
    private final Actions actions;
    private final Authorizer authorizer;
    private final Assets assets = new Assets();

    private Dashboard(Builder b) {
        this.authorizer = b.authorizer;
        this.views = new Views(b.client, b.stalledAfter, b.previewChars);
        this.actions = new Actions(b.client, b.authorizer, new CrossSiteGuard(b.allowedOrigins));
    }

    /**
     * @param client reads and steers the batches; its trigger fires the stage a retried batch resumes at
     * @return a builder
     */
    public static Builder builder(BatchClient client) {
        return new Builder(client);
    }

    /**
     * @param path a request path relative to the dashboard's mount, starting with {@code /}
     * @return whether the dashboard answers it (for a host that serves other routes beside it)
     */
    public boolean owns(String path) {
        return path.equals("/")
                || path.equals("/index.html")
                || path.startsWith(Assets.PREFIX)
                || path.startsWith(Views.PREFIX)
                || ACTION_PATH.matcher(path).matches();
    }

    /**
     * Answers one request. Never throws: an unexpected failure is logged and answered 500.
     *
     * @param request the request, its path relative to the dashboard's mount
     * @return the response, with the security headers
     */
    public Response handle(Request request) {
        Response response;
        try {
            response = route(request);
        } catch (RuntimeException e) {
            LOG.error("dashboard: {} {} failed", request.method(), request.path(), e);
            response = Response.error(500, "the dashboard could not answer; see the server's log");
        }
        return response.secured();
    }

    private Response route(Request r) {
        String path = r.path();
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        if (ACTION_PATH.matcher(path).matches()) {
            return r.method().equals("POST") ? actions.handle(r) : Response.notAllowed("POST");
        }
        if (!read) {
            return owns(path) ? Response.notAllowed("GET, HEAD") : Response.error(404, "no such dashboard path");
        }
        if (path.equals("/") || path.equals("/index.html")) {
            return assets.page();
        }
        if (path.startsWith(Assets.PREFIX)) {
            return assets.asset(path.substring(Assets.PREFIX.length()));
        }
        if (path.equals(Views.PREFIX + "session")) {
            return views.session(authorizer, r);
        }
        if (path.equals(Views.PREFIX + "overview")) {
            return views.overview(r.queryParameters());
        }
        if (path.startsWith(Views.PREFIX + "batches/")) {
            return views.batch(path.substring((Views.PREFIX + "batches/").length()));
        }
        return Response.error(404, "no such dashboard path");
    }

    /**
     * One HTTP request, as an adapter hands it over.
     *
     * @param method the HTTP method
     * @param path the raw path relative to the dashboard's mount, starting with {@code /}
     * @param query the raw query string without {@code ?}, or {@code null}
     * @param headers the headers, looked up ignoring case
     * @param body the body, at most {@link #MAX_BODY_BYTES} bytes read (an adapter reads one byte more to
     *     tell an oversized body)
     */
    public record Request(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {

        /** Copies the headers into a case-insensitive, read-only map; an empty path is {@code /}. */
        public Request {
            Objects.requireNonNull(method, "method");
            path = path == null || path.isEmpty() ? "/" : path;
            TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            if (headers != null) {
                headers.forEach((k, v) -> {
                    if (k != null) {
                        copy.merge(k, List.copyOf(v), (a, b2) -> {
                            List<String> both = new ArrayList<>(a);
                            both.addAll(b2);
                            return List.copyOf(both);
                        });
                    }
                });
            }
            headers = Collections.unmodifiableMap(copy);
            body = body == null ? new byte[0] : body;
        }

        /**
         * @param name a header name, any case
         * @return its first value, or {@code null}
         */
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        Map<String, String> queryParameters() {
            Map<String, String> params = new LinkedHashMap<>();
            if (query == null || query.isEmpty()) {
                return params;
            }
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                params.putIfAbsent(key, value);
            }
            return params;
        }

        private static String decode(String s) {
            try {
                return URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
    }

    /**
     * One HTTP response.
     *
     * @param status the HTTP status
     * @param headers the headers to send
     * @param body the body
     */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        static final String JSON = "application/json; charset=utf-8";

        /** Copies the headers. */
        public Response {
            headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
            body = body == null ? new byte[0] : body;
        }

        static Response of(int status, String contentType, byte[] body) {
            return new Response(status, Map.of("Content-Type", contentType), body);
        }

        static Response json(int status, byte[] body) {
            return of(status, JSON, body);
        }

        static Response error(int status, String message) {
            return json(status, Views.errorJson(message));
        }

        static Response notAllowed(String allow) {
            Response r = error(405, "method not allowed; use " + allow);
            Map<String, String> h = new LinkedHashMap<>(r.headers());
            h.put("Allow", allow);
            return new Response(405, h, r.body());
        }

        Response secured() {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            h.put("X-Content-Type-Options", "nosniff");
            h.put("X-Frame-Options", "DENY");
            h.put("Referrer-Policy", "no-referrer");
            h.put("Cross-Origin-Opener-Policy", "same-origin");
            h.put("Cross-Origin-Resource-Policy", "same-origin");
            h.putIfAbsent("Cache-Control", "no-store");
            return new Response(status, h, body);
        }

        /** @return the body as UTF-8 text, for tests and logs */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Builds a {@link Dashboard}; building starts nothing. Not thread-safe. */
    public static final class Builder {
        private final BatchClient client;
        private Authorizer authorizer = Authorizer.readOnly();
        private Duration stalledAfter = Duration.ofSeconds(30);
        private int previewChars = 2000;
        private Set<String> allowedOrigins = Set.of();

        private Builder(BatchClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /**
         * @param authorizer who may act; default {@link Authorizer#readOnly()}
         * @return this
         */
        public Builder authorizer(Authorizer authorizer) {
            this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        /**
         * @param stalledAfter how long a due pending batch may wait for its trigger before the dashboard lists
         *     it as stalled (an expired lease always is); default 30 s, the sweeper's pending grace is a good value
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder stalledAfter(Duration stalledAfter) {
            if (stalledAfter.isNegative()) {
                throw new IllegalArgumentException("stalledAfter must not be negative, got " + stalledAfter);
            }
            this.stalledAfter = stalledAfter;
            return this;
        }

        /**
         * @param previewChars characters of each stage output shown, 16 to 100,000; default 2000
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder previewChars(int previewChars) {
            if (previewChars < 16 || previewChars > 100_000) {
                throw new IllegalArgumentException("previewChars must be in 16..100000, got " + previewChars);
            }
            this.previewChars = previewChars;
            return this;
        }

        /**
         * @param origins origins besides the request's own host that may post actions (a dashboard behind a
         *     proxy that rewrites {@code Host}), e.g. {@code https://ops.example.com}; default none
         * @return this
         */
        public Builder allowedOrigins(Set<String> origins) {
            this.allowedOrigins = origins.stream()
                    .map(o -> o.toLowerCase(Locale.ROOT).replaceAll("/+$", ""))
                    .collect(Collectors.toUnmodifiableSet());
            return this;
        }

        /** @return the dashboard */
        public Dashboard build() {
            return new Dashboard(this);
        }
    }
}
