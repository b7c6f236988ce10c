package dev.baton.example.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.baton.example.screenshots.GeneratedScreenshot;
import dev.baton.example.screenshots.ScreenshotGenerator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs the client against a local stub of the detect endpoint that answers with the simulator's boxes. */
class MoondreamVisionModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SimulatedVisionModel simulator = new SimulatedVisionModel();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> authHeaders = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> cannedBody = new AtomicReference<>();
    private HttpServer stub;
    private MoondreamVisionModel model;

    @BeforeEach
    void startStub() throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/v1/detect", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            requests.add(request);
            authHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-Moondream-Auth")));
            String body = cannedBody.get() != null ? cannedBody.get() : answer(request);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        stub.start();
        model = new MoondreamVisionModel(
                URI.create("http://127.0.0.1:" + stub.getAddress().getPort()), "key-123", Duration.ofSeconds(5));
    }

    @AfterEach
    void stopStub() {
        stub.stop(0);
    }

    /** Answers like Moondream: the simulator's boxes, normalised to [0, 1]. */
    private String answer(JsonNode request) throws IOException {
        String dataUri = request.path("image_url").asText();
        byte[] png = Base64.getDecoder().decode(dataUri.substring(dataUri.indexOf(',') + 1));
        PngSize size = PngSize.of(png);
        var objects = JSON.createArrayNode();
        for (Box b : simulator.detect(png, request.path("object").asText())) {
            objects.addObject()
                    .put("x_min", b.x() / (double) size.width())
                    .put("y_min", b.y() / (double) size.height())
                    .put("x_max", b.right() / (double) size.width())
                    .put("y_max", b.bottom() / (double) size.height());
        }
        return JSON.createObjectNode()
                .put("request_id", "stub")
                .set("objects", objects)
                .toString();
    }

    @Test
    void sends_the_image_as_a_data_uri_with_the_object_and_the_key() throws IOException {
        GeneratedScreenshot shot = new ScreenshotGenerator().generate(4, 0);
        model.detect(shot.png(), "button");

        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).path("object").asText()).isEqualTo("button");
        assertThat(requests.get(0).path("image_url").asText())
                .isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(shot.png()));
        assertThat(authHeaders).containsExactly("key-123");
    }

    @Test
    void turns_normalised_coordinates_into_the_pixel_boxes_of_the_image() throws IOException {
        GeneratedScreenshot shot = new ScreenshotGenerator().generate(4, 1);
        for (String kind : UiKinds.DETECTION_TARGETS) {
            assertThat(model.detect(shot.png(), kind)).as(kind).isEqualTo(simulator.detect(shot.png(), kind));
        }
    }

    @Test
    void extraction_asks_for_every_kind_and_sorts_the_answers() throws IOException {
        GeneratedScreenshot shot = new ScreenshotGenerator().generate(4, 2);
        Extraction found = model.extract(shot.png());

        assertThat(requests)
                .extracting(r -> r.path("object").asText())
                .containsExactly("header", "button", "input", "image", "text", "text line", "link");
        assertThat(found.components()).extracting(UiElement::kind).contains(UiKinds.HEADER, UiKinds.TEXT);
        assertThat(found.elements()).hasSameSizeAs(shot.drawn().elements());
        assertThat(found.anchors()).hasSameSizeAs(shot.drawn().anchors());
    }

    @Test
    void an_error_status_is_an_io_exception_naming_the_status_and_the_object() {
        status.set(503);
        cannedBody.set("{\"error\":\"overloaded\"}");
        byte[] png = new ScreenshotGenerator().generate(4, 0).png();
        assertThatThrownBy(() -> model.detect(png, "button"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("503")
                .hasMessageContaining("'button'")
                .hasMessageContaining("overloaded");
    }

    @Test
    void a_malformed_answer_is_an_io_exception() {
        byte[] png = new ScreenshotGenerator().generate(4, 0).png();
        cannedBody.set("{\"objects\":[{\"x_min\":0.1,\"y_min\":0.1,\"x_max\":1.7,\"y_max\":0.2}]}");
        assertThatThrownBy(() -> model.detect(png, "button"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("x_max");
        cannedBody.set("<html>gateway</html>");
        assertThatThrownBy(() -> model.detect(png, "button"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not JSON");
        cannedBody.set("{\"boxes\":[]}");
        assertThatThrownBy(() -> model.detect(png, "button"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("\"objects\"");
    }

    @Test
    void refuses_an_image_that_is_not_a_png_before_calling_the_service() {
        assertThatThrownBy(() -> model.detect(new byte[40], "button"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a PNG");
        assertThat(requests).isEmpty();
    }
}
