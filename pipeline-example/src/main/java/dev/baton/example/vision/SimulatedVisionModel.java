package dev.baton.example.vision;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import javax.imageio.ImageIO;

/**
 * The built-in vision model: deterministic, offline, and derived from the pixels it is given.
 *
 * <p>Extraction segments the screenshot at full resolution into connected regions and names them
 * ({@link RegionClassifier}). Detection does the same on a copy at half the resolution, as a
 * detector that resizes its input would, so its boxes can be a pixel or two off, and parts too
 * thin for that resolution can be missed: validation then has something real to measure. The
 * low-resolution view of an image is kept while its byte array is in use (a {@link WeakHashMap} on
 * the array's identity), so asking for several objects decodes it once. Thread-safe.
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

    /** The half-resolution view of images still in use, so that detecting six objects decodes the image once. */
    private final Map<byte[], Extraction> lowResolution = Collections.synchronizedMap(new WeakHashMap<>());

    @Override
    public List<Box> detect(byte[] png, String object) throws IOException {
        Extraction seen = lowResolution.get(png);
        if (seen == null) {
            BufferedImage image = decode(png);
            seen = CLASSIFIER.classify(HALF.segment(image), image.getWidth());
            lowResolution.put(png, seen);
        }
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
