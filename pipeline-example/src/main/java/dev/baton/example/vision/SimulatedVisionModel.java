package dev.baton.example.vision;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The built-in vision model: deterministic, offline, and derived from the pixels it is given.
 *
 * <p>Extraction segments the screenshot at full resolution into connected regions and names them
 * ({@link RegionClassifier}). Detection does the same on a copy at half the resolution, as a
 * detector that resizes its input would, so its boxes can be a pixel or two off, and parts too
 * thin for that resolution can be missed: validation then has something real to measure.
 * Thread-safe.
 */
public final class SimulatedVisionModel implements VisionModel {
    private static final PixelSegmenter FULL = new PixelSegmenter(1);
    private static final PixelSegmenter HALF = new PixelSegmenter(2);
    private static final RegionClassifier CLASSIFIER = new RegionClassifier();

    @Override
    public String name() {
        return "simulator";
    }

    @Override
    public Extraction extract(byte[] png) throws IOException {
        BufferedImage image = decode(png);
        return CLASSIFIER.classify(FULL.segment(image), image.getWidth());
    }

    @Override
    public List<Box> detect(byte[] png, String object) throws IOException {
        BufferedImage image = decode(png);
        Extraction seen = CLASSIFIER.classify(HALF.segment(image), image.getWidth());
        String wanted = normalise(object);
        return java.util.stream.Stream.of(seen.components(), seen.elements(), seen.anchors())
                .flatMap(List::stream)
                .filter(e -> normalise(e.kind()).equals(wanted))
                .map(UiElement::box)
                .toList();
    }

    private static String normalise(String object) {
        String s = object.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "anchor", "hyperlink" -> UiKinds.LINK;
            case "text block", "paragraph" -> UiKinds.TEXT;
            case "text field", "text input" -> UiKinds.INPUT;
            case "navbar", "navigation bar" -> UiKinds.HEADER;
            default -> s;
        };
    }

    static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new IOException("not an image javax.imageio can read (" + png.length + " bytes)");
        }
        return image;
    }
}
