package dev.baton.example.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.example.screenshots.GeneratedScreenshot;
import dev.baton.example.screenshots.ScreenshotGenerator;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedVisionModelTest {
    private final ScreenshotGenerator generator = new ScreenshotGenerator();
    private final SimulatedVisionModel model = new SimulatedVisionModel();

    @Test
    void extraction_finds_exactly_what_was_drawn() throws IOException {
        for (long batch = 1; batch <= 5; batch++) {
            for (int position = 0; position < 10; position++) {
                GeneratedScreenshot shot = generator.generate(batch, position);
                Extraction found = model.extract(shot.png());
                assertThat(found.components())
                        .as("components of %d/%d", batch, position)
                        .containsExactlyInAnyOrderElementsOf(shot.drawn().components());
                assertThat(found.elements())
                        .containsExactlyInAnyOrderElementsOf(shot.drawn().elements());
                assertThat(found.anchors())
                        .containsExactlyInAnyOrderElementsOf(shot.drawn().anchors());
            }
        }
    }

    @Test
    void detection_finds_the_drawn_objects_within_a_pixel_or_two() throws IOException {
        GeneratedScreenshot shot = generator.generate(3, 2);
        for (String kind : UiKinds.DETECTION_TARGETS) {
            List<Box> drawn = java.util.stream.Stream.concat(
                            shot.drawn().components().stream(), shot.drawn().anchors().stream())
                    .filter(e -> e.kind().equals(kind))
                    .map(UiElement::box)
                    .toList();
            List<Box> detected = model.detect(shot.png(), kind);
            assertThat(detected).as(kind).hasSameSizeAs(drawn);
            for (Box d : drawn) {
                assertThat(detected.stream().mapToDouble(d::iou).max().orElse(0))
                        .as("best IoU for %s %s", kind, d)
                        .isGreaterThan(0.7);
            }
        }
    }

    @Test
    void detection_understands_synonyms_and_finds_nothing_for_unknown_objects() throws IOException {
        byte[] png = generator.generate(5, 1).png();
        assertThat(model.detect(png, "Navigation bar"))
                .isEqualTo(model.detect(png, "header"))
                .hasSize(1);
        assertThat(model.detect(png, "giraffe")).isEmpty();
    }

    @Test
    void rejects_bytes_that_are_not_an_image() {
        assertThatThrownBy(() -> model.extract(new byte[] {1, 2, 3}))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an image");
    }
}
