package dev.baton.example.vision;

/**
 * A connected patch of non-background pixels, in the coordinates of the full-size image.
 *
 * @param box its bounding box
 * @param fillRatio the share of the box its pixels cover, in (0, 1]
 * @param dominantRgb the most frequent colour of its pixels, {@code 0xRRGGBB}
 */
record Region(Box box, double fillRatio, int dominantRgb) {

    /** @return the HSB saturation of the dominant colour, in [0, 1] */
    double saturation() {
        int r = (dominantRgb >> 16) & 0xFF;
        int g = (dominantRgb >> 8) & 0xFF;
        int b = dominantRgb & 0xFF;
        int max = Math.max(r, Math.max(g, b));
        int min = Math.min(r, Math.min(g, b));
        return max == 0 ? 0.0 : (max - min) / (double) max;
    }
}
