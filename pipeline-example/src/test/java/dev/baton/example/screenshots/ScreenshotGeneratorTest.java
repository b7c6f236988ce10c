package dev.baton.example.screenshots;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.vision.UiKinds;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ScreenshotGeneratorTest {
    private final ScreenshotGenerator generator = new ScreenshotGenerator();

    @Test
    void the_same_batch_and_position_give_the_same_png() {
        assertThat(generator.generate(42, 3).png())
                .isEqualTo(generator.generate(42, 3).png());
    }

    @Test
    void other_positions_and_batches_give_other_pngs() {
        byte[] a = generator.generate(42, 3).png();
        assertThat(generator.generate(42, 4).png()).isNotEqualTo(a);
        assertThat(generator.generate(43, 3).png()).isNotEqualTo(a);
    }

    @Test
    void writes_a_real_png_of_the_stated_size_with_a_header_and_content() throws IOException {
        for (int position = 0; position < 20; position++) {
            GeneratedScreenshot shot = generator.generate(7, position);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(shot.png()));
            assertThat(image).isNotNull();
            assertThat(image.getWidth()).isEqualTo(shot.width());
            assertThat(image.getHeight()).isEqualTo(shot.height());
            assertThat(shot.drawn().components()).extracting(e -> e.kind()).contains(UiKinds.HEADER, UiKinds.TEXT);
            assertThat(shot.drawn().elements()).isNotEmpty();
            shot.drawn().components().forEach(c -> {
                assertThat(c.box().right()).isLessThanOrEqualTo(shot.width());
                assertThat(c.box().bottom()).isLessThanOrEqualTo(shot.height());
            });
        }
    }

    @Test
    void draws_what_it_reports_at_the_reported_place() throws IOException {
        GeneratedScreenshot shot = generator.generate(11, 0);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(shot.png()));
        int background = image.getRGB(shot.width() - 1, shot.height() - 1);
        shot.drawn()
                .elements()
                .forEach(line ->
                        assertThat(image.getRGB(line.box().x(), line.box().y())).isNotEqualTo(background));
    }
}
