package dev.baton.pipeline.dashboard;

import com.sun.net.httpserver.HttpServer;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A three-stage pipeline ({@code fetch → analyse → store}) whose {@code analyse} fails for good for the
 * batches in {@link #failures}, with the dashboard served on a JDK server at {@code /baton}.
 */
final class DashboardFixture implements AutoCloseable {
    static final String TOKEN = "dashboard-admin-token-0123456789";
    static final String REFUSED = "vision service: connection refused (10.0.0.7:443)";

    /** The error {@code analyse} fails with, per batch; a batch not in it passes. */
    final Map<Long, String> failures = new ConcurrentHashMap<>();

    final PipelineRunner runner;
    final Dashboard dashboard;
    private final HttpServer server;

    DashboardFixture(StageStore store, Trigger trigger, Authorizer authorizer) throws IOException {
        Pipeline pipeline = Pipeline.builder()
                .stage("fetch", ctx -> StageResult.done(new int[] {1, 2, 3}))
                .stage(
                        "analyse",
                        ctx -> failures.containsKey(ctx.batchId())
                                ? StageResult.fail(failures.get(ctx.batchId()))
                                : StageResult.done(Map.of("sum", 6, "note", "x".repeat(5000))),
                        s -> s.retry(RetryPolicy.none()))
                .stage("store", ctx -> StageResult.done("stored"))
                .build();
        runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        runner.start();
        dashboard = Dashboard.builder(runner.client())
                .authorizer(authorizer)
                .previewChars(200)
                .build();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "dashboard-test-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/baton", DashboardHttpHandler.of(dashboard));
        server.start();
    }

    static Authorizer tokenAuthorizer() {
        return Authorizer.bearerToken(TOKEN, "admin-token");
    }

    /** @return {@code http://127.0.0.1:<port>/baton/} */
    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/baton/");
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        runner.close();
    }
}
