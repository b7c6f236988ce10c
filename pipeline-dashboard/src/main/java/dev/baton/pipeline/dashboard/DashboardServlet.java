package dev.baton.pipeline.dashboard;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serves a {@link Dashboard} in a Jakarta Servlet 6 container: register it at a path such as
 * {@code /baton/*}; the path after the servlet's is the dashboard's path, and the mount path without its
 * slash is redirected to the page. Needs {@code jakarta.servlet-api} (the container's). Thread-safe.
 */
public final class DashboardServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** The dashboard; not serialised with the servlet. */
    private final transient Dashboard dashboard;

    /** @param dashboard the dashboard to serve */
    public DashboardServlet(Dashboard dashboard) {
        this.dashboard = Objects.requireNonNull(dashboard, "dashboard");
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo();
        if (path == null || path.isEmpty()) {
            resp.setHeader("Content-Security-Policy", Dashboard.CONTENT_SECURITY_POLICY);
            resp.setStatus(308);
            resp.setHeader("Location", req.getContextPath() + req.getServletPath() + "/");
            return;
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : Collections.list(req.getHeaderNames())) {
            headers.put(name, new ArrayList<>(Collections.list(req.getHeaders(name))));
        }
        Dashboard.Response response = dashboard.handle(new Dashboard.Request(
                req.getMethod(),
                path,
                req.getQueryString(),
                headers,
                DashboardHttpHandler.readBody(req.getInputStream())));
        resp.setStatus(response.status());
        response.headers().forEach(resp::setHeader);
        if (!req.getMethod().equals("HEAD") && response.body().length > 0) {
            resp.setContentLength(response.body().length);
            resp.getOutputStream().write(response.body());
        }
    }
}
