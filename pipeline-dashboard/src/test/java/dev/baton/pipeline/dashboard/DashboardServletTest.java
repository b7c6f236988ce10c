package dev.baton.pipeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.SynchronousTrigger;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Servlet adapter hands the container's request to the dashboard and writes its answer back as it is. */
class DashboardServletTest {
    private final SynchronousTrigger trigger = new SynchronousTrigger();
    private DashboardFixture app;
    private DashboardServlet servlet;

    @BeforeEach
    void start() throws Exception {
        app = new DashboardFixture(new InMemoryStageStore(), trigger, DashboardFixture.tokenAuthorizer());
        app.failures.put(2L, DashboardFixture.REFUSED);
        app.runner.client().start(2);
        trigger.drain();
        servlet = new DashboardServlet(app.dashboard);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static HttpServletRequest request(String method, String pathInfo, Map<String, String> headers) {
        HttpServletRequest req = mock(HttpServletRequest.class);
        when(req.getMethod()).thenReturn(method);
        when(req.getPathInfo()).thenReturn(pathInfo);
        when(req.getContextPath()).thenReturn("/app");
        when(req.getServletPath()).thenReturn("/baton");
        when(req.getHeaderNames()).thenReturn(Collections.enumeration(headers.keySet()));
        headers.forEach((k, v) -> when(req.getHeaders(k)).thenReturn(Collections.enumeration(List.of(v))));
        ByteArrayInputStream body = new ByteArrayInputStream(new byte[0]);
        try {
            when(req.getInputStream()).thenReturn(new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return body.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {}

                @Override
                public int read() {
                    return body.read();
                }
            });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return req;
    }

    private static HttpServletResponse response(ByteArrayOutputStream sink) throws Exception {
        HttpServletResponse resp = mock(HttpServletResponse.class);
        when(resp.getOutputStream()).thenReturn(new ServletOutputStream() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {}

            @Override
            public void write(int b) {
                sink.write(b);
            }
        });
        return resp;
    }

    @Test
    void a_retry_without_the_token_is_401_with_the_security_headers_and_with_it_the_batch_runs_again()
            throws Exception {
        ByteArrayOutputStream refusedBody = new ByteArrayOutputStream();
        HttpServletResponse refused = response(refusedBody);
        servlet.service(request("POST", "/api/batches/2/retry", Map.of()), refused);
        verify(refused).setStatus(401);
        verify(refused).setHeader("Content-Security-Policy", Dashboard.CONTENT_SECURITY_POLICY);
        verify(refused).setHeader("X-Content-Type-Options", "nosniff");
        assertThat(refusedBody.toString(StandardCharsets.UTF_8)).contains("Authorization: Bearer");
        assertThat(app.runner.client().status(2).orElseThrow().state()).isEqualTo(BatchState.FAILED);

        app.failures.clear();
        HttpServletResponse done = response(new ByteArrayOutputStream());
        servlet.service(
                request("POST", "/api/batches/2/retry", Map.of("Authorization", "Bearer " + DashboardFixture.TOKEN)),
                done);
        verify(done).setStatus(200);
        trigger.drain();
        assertThat(app.runner.client().status(2).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void the_mount_path_without_its_slash_is_redirected_to_the_page() throws Exception {
        HttpServletResponse resp = response(new ByteArrayOutputStream());
        servlet.service(request("GET", null, Map.of()), resp);
        verify(resp).setStatus(308);
        verify(resp).setHeader("Location", "/app/baton/");
    }
}
