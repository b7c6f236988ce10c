package dev.baton.example.vision;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits an image into connected regions of pixels that differ from the background (the most
 * frequent colour), optionally looking at it at a lower resolution first, as a detector that
 * resizes its input does. Stateless and thread-safe.
 */
final class PixelSegmenter {
    private static final int MIN_PIXELS = 4;
    private static final int MAX_SAMPLES = 4096;

    private final int step;

    /** @param step look at every {@code step}-th pixel in each direction; 1 for full resolution */
    PixelSegmenter(int step) {
        if (step < 1) {
            throw new IllegalArgumentException("step must be at least 1, got " + step);
        }
        this.step = step;
    }

    List<Region> segment(BufferedImage image) {
        int fullW = image.getWidth();
        int[] full = image.getRGB(0, 0, fullW, image.getHeight(), null, 0, fullW);
        int w = (fullW + step - 1) / step;
        int h = (image.getHeight() + step - 1) / step;
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[y * w + x] = full[y * step * fullW + x * step] & 0xFFFFFF;
            }
        }
        int background = mostFrequent(rgb, 0, rgb.length, null);
        boolean[] seen = new boolean[rgb.length];
        int[] stack = new int[rgb.length];
        List<Region> regions = new ArrayList<>();
        for (int start = 0; start < rgb.length; start++) {
            if (seen[start] || rgb[start] == background) {
                continue;
            }
            int[] members = new int[64];
            int count = 0;
            int top = 0;
            stack[top++] = start;
            seen[start] = true;
            int minX = Integer.MAX_VALUE;
            int minY = Integer.MAX_VALUE;
            int maxX = -1;
            int maxY = -1;
            while (top > 0) {
                int p = stack[--top];
                if (count == members.length) {
                    members = java.util.Arrays.copyOf(members, count * 2);
                }
                members[count++] = p;
                int px = p % w;
                int py = p / w;
                minX = Math.min(minX, px);
                maxX = Math.max(maxX, px);
                minY = Math.min(minY, py);
                maxY = Math.max(maxY, py);
                if (px > 0) {
                    top = push(p - 1, rgb, background, seen, stack, top);
                }
                if (px < w - 1) {
                    top = push(p + 1, rgb, background, seen, stack, top);
                }
                if (py > 0) {
                    top = push(p - w, rgb, background, seen, stack, top);
                }
                if (py < h - 1) {
                    top = push(p + w, rgb, background, seen, stack, top);
                }
            }
            if (count < MIN_PIXELS) {
                continue;
            }
            int boxW = maxX - minX + 1;
            int boxH = maxY - minY + 1;
            Box box = new Box(
                    minX * step,
                    minY * step,
                    Math.min(boxW * step, image.getWidth() - minX * step),
                    Math.min(boxH * step, image.getHeight() - minY * step));
            regions.add(new Region(box, count / (double) (boxW * boxH), mostFrequent(rgb, 0, count, members)));
        }
        return regions;
    }

    private static int push(int p, int[] rgb, int background, boolean[] seen, int[] stack, int top) {
        if (!seen[p] && rgb[p] != background) {
            seen[p] = true;
            stack[top++] = p;
        }
        return top;
    }

    /** The most frequent colour, counted over at most {@value #MAX_SAMPLES} evenly spread pixels. */
    private static int mostFrequent(int[] rgb, int from, int to, int[] indices) {
        Map<Integer, Integer> counts = new HashMap<>();
        int best = 0;
        int bestCount = -1;
        int stride = Math.max(1, (to - from) / MAX_SAMPLES);
        for (int i = from; i < to; i += stride) {
            int colour = indices == null ? rgb[i] : rgb[indices[i]];
            int c = counts.merge(colour, 1, Integer::sum);
            if (c > bestCount) {
                bestCount = c;
                best = colour;
            }
        }
        return best;
    }
}
