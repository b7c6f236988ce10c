package dev.baton.pipeline.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.baton.pipeline.http.HttpTrigger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lazy HTTP trigger hands shards and trace contexts on to the HTTP trigger it builds. */
class LazyHttpTriggerTest {

    @Test
    void a_shard_and_the_trace_context_reach_the_receiver() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                received.add(exchange.getRequestURI().getPath() + " " + body + " "
                        + exchange.getRequestHeaders().getFirst("traceparent"));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        LazyHttpTrigger trigger = new LazyHttpTrigger(() -> HttpTrigger.builder()
                .baseUrl(base)
                .secret("lazy-trigger-test-secret-0123456")
                .shutdownWait(Duration.ZERO)
                .build());
        try {
            trigger.start();
            trigger.fireShard(
                    3, "annotation", 2, Duration.ZERO, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            trigger.fire(3, "metadata", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            String first = received.poll(20, TimeUnit.SECONDS);
            String second = received.poll(20, TimeUnit.SECONDS);
            assertThat(new String[] {first, second})
                    .containsExactlyInAnyOrder(
                            "/api/batch-processing/annotation {\"batchId\":3,\"shard\":2}"
                                    + " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                            "/api/batch-processing/metadata {\"batchId\":3}"
                                    + " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        } finally {
            trigger.close();
            server.stop(0);
        }
    }
}
