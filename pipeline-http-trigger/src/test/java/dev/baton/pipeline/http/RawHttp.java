package dev.baton.pipeline.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Sends arbitrary requests (any method, raw path, any headers) with the JDK client, for tests. */
final class RawHttp {
    private static final Set<String> RESTRICTED = Set.of("content-length", "host", "connection");
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private RawHttp() {}

    static StageEndpoint.Response send(URI base, StageEndpoint.Request r) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + r.path()))
                .timeout(Duration.ofSeconds(30))
                .method(
                        r.method(),
                        r.body().length == 0 && !r.method().equals("POST")
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        r.headers().forEach((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        HttpResponse<byte[]> response = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> headers = new java.util.HashMap<>();
        response.headers().map().forEach((k, v) -> headers.put(k, String.join(",", v)));
        return new StageEndpoint.Response(response.statusCode(), headers, response.body());
    }

    static StageEndpoint.Response get(URI base, String path) throws IOException, InterruptedException {
        return send(base, new StageEndpoint.Request("GET", path, Map.of(), new byte[0]));
    }

    static StageEndpoint.Response post(URI base, String path, String body, Map<String, List<String>> headers)
            throws IOException, InterruptedException {
        return send(
                base,
                new StageEndpoint.Request(
                        "POST", path, headers, body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
