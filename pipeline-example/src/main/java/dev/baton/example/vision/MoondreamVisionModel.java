package dev.baton.example.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A {@link VisionModel} backed by a Moondream-style detection service: {@code POST {base}/v1/detect}
 * with {@code {"image_url": "data:image/png;base64,…", "object": "button"}}, answered by
 * {@code {"objects": [{"x_min": 0.1, "y_min": 0.2, "x_max": 0.3, "y_max": 0.4}, …]}} in coordinates
 * normalised to [0, 1]. The API key, when given, goes in the {@code X-Moondream-Auth} header.
 *
 * <p>Extraction asks for each kind of component in turn ({@link UiKinds}). Any answer other than
 * 200, and any malformed body, is an {@link IOException}, which the stage treats as transient and
 * retries. Thread-safe.
 */
public final class MoondreamVisionModel implements VisionModel {
    /** Environment variable with the service's base URL, e.g. {@code http://localhost:2020}. */
    public static final String URL_VARIABLE = "MOONDREAM_URL";
    /** Environment variable with the API key, sent as {@code X-Moondream-Auth}. */
    public static final String KEY_VARIABLE = "MOONDREAM_API_KEY";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI detect;
    private final String apiKey;
    private final HttpClient client;
    private final Duration timeout;

    /**
     * @param baseUrl the service, e.g. {@code https://api.moondream.ai}; {@code /v1/detect} is appended
     * @param apiKey the API key, or {@code null} for a local service that needs none
     * @param timeout how long one request may take
     */
    public MoondreamVisionModel(URI baseUrl, String apiKey, Duration timeout) {
        String base = Objects.requireNonNull(baseUrl, "baseUrl").toString();
        this.detect = URI.create(base.endsWith("/") ? base + "v1/detect" : base + "/v1/detect");
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String name() {
        return "moondream " + detect.getHost();
    }

    @Override
    public Extraction extract(byte[] png) throws IOException {
        List<UiElement> components = new ArrayList<>();
        for (String kind : List.of(UiKinds.HEADER, UiKinds.BUTTON, UiKinds.INPUT, UiKinds.IMAGE, UiKinds.TEXT)) {
            detect(png, kind).forEach(b -> components.add(new UiElement(kind, b)));
        }
        List<UiElement> lines = detect(png, UiKinds.TEXT_LINE).stream()
                .map(b -> new UiElement(UiKinds.TEXT_LINE, b))
                .toList();
        List<UiElement> links = detect(png, UiKinds.LINK).stream()
                .map(b -> new UiElement(UiKinds.LINK, b))
                .toList();
        return new Extraction(components, lines, links);
    }

    @Override
    public List<Box> detect(byte[] png, String object) throws IOException {
        PngSize size = PngSize.of(png);
        ObjectNode body = JSON.createObjectNode()
                .put("image_url", "data:image/png;base64," + Base64.getEncoder().encodeToString(png))
                .put("object", object);
        HttpRequest.Builder request = HttpRequest.newBuilder(detect)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (apiKey != null) {
            request.header("X-Moondream-Auth", apiKey);
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + detect, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("POST " + detect + " (object '" + object + "') answered " + response.statusCode()
                    + ": " + excerpt(response.body()));
        }
        return boxes(response.body(), size, object);
    }

    private List<Box> boxes(String body, PngSize size, String object) throws IOException {
        JsonNode objects;
        try {
            objects = JSON.readTree(body).path("objects");
        } catch (IOException e) {
            throw new IOException("POST " + detect + " answered with a body that is not JSON: " + excerpt(body), e);
        }
        if (!objects.isArray()) {
            throw new IOException("POST " + detect + " (object '" + object
                    + "') answered without an \"objects\" array: " + excerpt(body));
        }
        List<Box> boxes = new ArrayList<>();
        for (JsonNode o : objects) {
            double x0 = coordinate(o, "x_min", body);
            double y0 = coordinate(o, "y_min", body);
            double x1 = coordinate(o, "x_max", body);
            double y1 = coordinate(o, "y_max", body);
            int left = (int) Math.round(Math.min(x0, x1) * size.width());
            int top = (int) Math.round(Math.min(y0, y1) * size.height());
            int right = (int) Math.round(Math.max(x0, x1) * size.width());
            int bottom = (int) Math.round(Math.max(y0, y1) * size.height());
            if (right > left && bottom > top) {
                boxes.add(new Box(left, top, right - left, bottom - top));
            }
        }
        return boxes;
    }

    private double coordinate(JsonNode o, String field, String body) throws IOException {
        JsonNode v = o.get(field);
        if (v == null || !v.isNumber() || v.asDouble() < 0.0 || v.asDouble() > 1.0) {
            throw new IOException("POST " + detect + " answered an object whose " + field
                    + " is not a number in [0, 1]: " + excerpt(body));
        }
        return v.asDouble();
    }

    private static String excerpt(String body) {
        String s = body == null ? "" : body.strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
