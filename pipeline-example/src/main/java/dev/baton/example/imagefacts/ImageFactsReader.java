package dev.baton.example.imagefacts;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Reads {@link ImageFacts} with {@code javax.imageio}: dimensions, hash, luminance and the
 * dominant colours (exact colours, as UI screenshots use few). Stateless and thread-safe.
 */
public final class ImageFactsReader {
    private static final int TOP_COLOURS = 5;

    /**
     * @param encoded an image file (PNG, JPEG, GIF, BMP)
     * @return its facts
     * @throws IOException if {@code javax.imageio} cannot decode it
     */
    public ImageFacts read(byte[] encoded) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
        if (image == null) {
            throw new IOException("not an image javax.imageio can read (" + encoded.length + " bytes)");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        int[] pixels = image.getRGB(0, 0, w, h, null, 0, w);
        Map<Integer, Integer> counts = new HashMap<>();
        double luma = 0;
        for (int p : pixels) {
            int rgb = p & 0xFFFFFF;
            counts.merge(rgb, 1, Integer::sum);
            luma += 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
        }
        List<Map.Entry<Integer, Integer>> ranked = new ArrayList<>(counts.entrySet());
        ranked.sort(
                Map.Entry.<Integer, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        List<ImageFacts.ColourShare> dominant = ranked.stream()
                .limit(TOP_COLOURS)
                .map(e -> new ImageFacts.ColourShare(
                        String.format("#%06x", e.getKey()), round(e.getValue() / (double) pixels.length)))
                .toList();
        return new ImageFacts(
                w, h, encoded.length, sha256(encoded), round(luma / pixels.length), counts.size(), dominant);
    }

    private static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
