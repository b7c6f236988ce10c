package dev.baton.example.vision;

/**
 * An axis-aligned rectangle in image pixels: the top-left corner and the size.
 *
 * @param x left edge, from 0
 * @param y top edge, from 0
 * @param width width in pixels, at least 1
 * @param height height in pixels, at least 1
 */
public record Box(int x, int y, int width, int height) {

    /**
     * @throws IllegalArgumentException if the size is not positive or a corner is negative
     */
    public Box {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a box needs a positive size, got " + width + "x" + height);
        }
        if (x < 0 || y < 0) {
            throw new IllegalArgumentException("a box starts inside the image, got (" + x + ", " + y + ")");
        }
    }

    /** @return the area in pixels */
    public long area() {
        return (long) width * height;
    }

    /** @return the x just past the right edge */
    public int right() {
        return x + width;
    }

    /** @return the y just past the bottom edge */
    public int bottom() {
        return y + height;
    }

    /**
     * @param other another box
     * @return the smallest box holding both
     */
    public Box union(Box other) {
        int left = Math.min(x, other.x);
        int top = Math.min(y, other.y);
        return new Box(left, top, Math.max(right(), other.right()) - left, Math.max(bottom(), other.bottom()) - top);
    }

    /**
     * Intersection over union: 1 for the same box, 0 for boxes that do not overlap.
     *
     * @param other another box
     * @return the IoU, in [0, 1]
     */
    public double iou(Box other) {
        int iw = Math.min(right(), other.right()) - Math.max(x, other.x);
        int ih = Math.min(bottom(), other.bottom()) - Math.max(y, other.y);
        if (iw <= 0 || ih <= 0) {
            return 0.0;
        }
        long intersection = (long) iw * ih;
        return (double) intersection / (area() + other.area() - intersection);
    }
}
