package dev.baton.example.imagefacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.example.screenshots.GeneratedScreenshot;
import dev.baton.example.screenshots.ScreenshotGenerator;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageFactsReaderTest {
    private final ImageFactsReader reader = new ImageFactsReader();

    @Test
    void reads_size_hash_colours_and_luminance_of_a_known_image() throws IOException {
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 4, 2);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, 1, 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        byte[] png = out.toByteArray();

        ImageFacts facts = reader.read(png);

        assertThat(facts.width()).isEqualTo(4);
        assertThat(facts.height()).isEqualTo(2);
        assertThat(facts.bytes()).isEqualTo(png.length);
        assertThat(facts.sha256()).hasSize(64).isEqualTo(ImageFactsReader.sha256(png));
        assertThat(facts.distinctColours()).isEqualTo(2);
        assertThat(facts.dominantColours())
                .containsExactly(
                        new ImageFacts.ColourShare("#ffffff", 0.75), new ImageFacts.ColourShare("#000000", 0.25));
        assertThat(facts.meanLuminance()).isEqualTo(191.25);
    }

    @Test
    void the_background_dominates_a_generated_screenshot() throws IOException {
        GeneratedScreenshot shot = new ScreenshotGenerator().generate(9, 0);
        ImageFacts facts = reader.read(shot.png());
        assertThat(facts.width()).isEqualTo(shot.width());
        assertThat(facts.dominantColours()).hasSizeBetween(3, 5);
        assertThat(facts.dominantColours().get(0).share()).isGreaterThan(0.4);
        assertThat(facts.meanLuminance()).isGreaterThan(150);
    }

    @Test
    void rejects_bytes_that_are_not_an_image() {
        assertThatThrownBy(() -> reader.read("hello".getBytes())).isInstanceOf(IOException.class);
    }
}
