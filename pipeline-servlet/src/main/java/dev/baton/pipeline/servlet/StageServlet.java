package dev.baton.pipeline.servlet;

import dev.baton.pipeline.http.StageEndpoint;
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
 * A {@link StageEndpoint} as a Jakarta Servlet (6.0 and later), for hosts on Tomcat, Jetty or any other servlet
 * container, with or without Spring. Every request is handed to the endpoint as it arrived (method, raw path,
 * headers, body read up to the endpoint's limit), and its answer is written back unchanged, so the status codes,
 * the signature check and the body limit are exactly the endpoint's: 200 a stage ran, 401 bad or missing
 * signature, 404 unknown stage or batch, 409 the batch is not at that stage, 413 body over the limit, 400 a
 * malformed body; {@code POST /api/process-batch} and {@code GET /api/batches/{id}} as documented there.
 *
 * <p>The path given to the endpoint is the request URI without the context path, so map the servlet to the
 * paths the endpoint should answer (the stage path with a trailing {@code *}, for example
 * {@code /api/batch-processing/*}, and {@code /api/process-batch} and {@code /api/batches/*} only if clients may
 * start batches through it); a path it is not mapped to never reaches it.
 *
 * <pre>{@code
 * ServletRegistration.Dynamic stages = servletContext.addServlet("baton", new StageServlet(endpoint));
 * stages.addMapping("/api/batch-processing/*");
 * }</pre>
 *
 * <p>Thread-safe, like the endpoint.
 */
public final class StageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient StageEndpoint endpoint;

    /** @param endpoint answers the requests */
    public StageServlet(StageEndpoint endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /** @return the endpoint that answers this servlet's requests */
    public StageEndpoint endpoint() {
        return endpoint;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        StageEndpoint.Response answer = endpoint.handle(toRequest(req, endpoint.readBody(req.getInputStream())));
        resp.setStatus(answer.status());
        answer.headers().forEach(resp::setHeader);
        resp.setContentLength(answer.body().length);
        resp.getOutputStream().write(answer.body());
    }

    /**
     * @return the endpoint's view of a servlet request: its method, its raw request URI less the context path,
     *     every header with every value, and {@code body}
     */
    static StageEndpoint.Request toRequest(HttpServletRequest req, byte[] body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : Collections.list(req.getHeaderNames())) {
            headers.put(name, new ArrayList<>(Collections.list(req.getHeaders(name))));
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        return new StageEndpoint.Request(req.getMethod(), path, headers, body);
    }
}
