package dev.baton.example.screenshots;

import dev.baton.example.vision.Box;
import dev.baton.example.vision.Extraction;
import dev.baton.example.vision.UiElement;
import dev.baton.example.vision.UiKinds;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Draws fake application screenshots with java.awt (headless): a header bar, text blocks, links,
 * button rows, text inputs and image placeholders, laid out from a random generator seeded by the
 * batch id and the screenshot's position, so the same batch always gets the same PNGs. Text is
 * drawn as skeleton bars rather than glyphs, so no font is needed and the pixels are the same on
 * every machine. Thread-safe and stateless.
 */
public final class ScreenshotGenerator {
    private static final int[][] SIZES = {{640, 400}, {720, 450}, {800, 500}};
    private static final int[] BACKGROUNDS = {0xFFFFFF, 0xF8F9FB, 0xFBFAF7};
    private static final int[] BRANDS = {0x3B5BDB, 0x2F9E44, 0xE8590C, 0xAE3EC9, 0xC2255C, 0x1098AD};
    private static final int[] LINKS = {0x1C7ED6, 0x1971C2, 0x4263EB};
    private static final int[] TEXTS = {0x212529, 0x343A40, 0x495057};
    private static final int[] BORDERS = {0xADB5BD, 0xA5ADB5};
    private static final int[] PLACEHOLDERS = {0xDEE2E6, 0xE3E6EA};
    private static final int PLACEHOLDER_LINES = 0xC4CAD0;
    private static final int MARGIN = 24;
    private static final int GAP = 20;
    /** Height of a line of skeleton text. */
    static final int LINE_HEIGHT = 8;
    /** Space between two lines of one text block. */
    static final int LINE_GAP = 6;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /**
     * Draws screenshot {@code position} of batch {@code batchId}.
     *
     * @param batchId the batch, which seeds the layout together with {@code position}
     * @param position the screenshot's position in its batch, from 0
     * @return the PNG and what it shows
     */
    public GeneratedScreenshot generate(long batchId, int position) {
        SplittableRandom random =
                new SplittableRandom(batchId * 0x9E3779B97F4A7C15L + position * 0xBF58476D1CE4E5B9L + 17);
        int[] size = SIZES[random.nextInt(SIZES.length)];
        int width = size[0];
        int height = size[1];
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            Canvas canvas = new Canvas(g, random, width, height);
            canvas.draw();
            return new GeneratedScreenshot(
                    encode(image), width, height, new Extraction(canvas.components, canvas.lines, canvas.links));
        } finally {
            g.dispose();
        }
    }

    private static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("this JVM has no PNG writer (javax.imageio)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a screenshot as PNG failed", e);
        }
        return out.toByteArray();
    }

    /** One drawing: the palette, the cursor, and what has been drawn so far. */
    private static final class Canvas {
        private final Graphics2D g;
        private final SplittableRandom random;
        private final int width;
        private final int height;
        private final int brand;
        private final int link;
        private final int text;
        private final List<UiElement> components = new ArrayList<>();
        private final List<UiElement> lines = new ArrayList<>();
        private final List<UiElement> links = new ArrayList<>();
        private int y;

        Canvas(Graphics2D g, SplittableRandom random, int width, int height) {
            this.g = g;
            this.random = random;
            this.width = width;
            this.height = height;
            this.brand = pick(BRANDS);
            this.link = pick(LINKS);
            this.text = pick(TEXTS);
        }

        void draw() {
            fill(pick(BACKGROUNDS), 0, 0, width, height);
            header();
            int blocks = 0;
            while (true) {
                int kind = blocks == 0 ? 0 : random.nextInt(5);
                int needed = switch (kind) {
                    case 0 -> 3 * (LINE_HEIGHT + LINE_GAP);
                    case 1 -> 36;
                    case 2 -> 3 * LINE_HEIGHT + 2 * 12;
                    case 3 -> 36;
                    default -> 90;
                };
                if (y + needed > height - MARGIN) {
                    break;
                }
                switch (kind) {
                    case 0 -> textBlock();
                    case 1 -> buttonRow();
                    case 2 -> linkList();
                    case 3 -> inputWithButton();
                    default -> imagePlaceholder();
                }
                y += GAP;
                blocks++;
            }
        }

        private void header() {
            int h = 44 + random.nextInt(3) * 8;
            int colour = random.nextBoolean() ? brand : 0x212529;
            fill(colour, 0, 0, width, h);
            fill(0xFFFFFF, MARGIN, h / 2 - 5, 90 + random.nextInt(60), 10);
            int x = width - MARGIN;
            for (int i = 0, n = 2 + random.nextInt(3); i < n; i++) {
                int w = 40 + random.nextInt(30);
                x -= w;
                fill(0xFFFFFF, x, h / 2 - 3, w, 6);
                x -= 16;
            }
            components.add(new UiElement(UiKinds.HEADER, new Box(0, 0, width, h)));
            y = h + GAP + random.nextInt(12);
        }

        private void textBlock() {
            int maxLines = Math.max(1, Math.min(6, (height - MARGIN - y + LINE_GAP) / (LINE_HEIGHT + LINE_GAP)));
            int count = 2 + random.nextInt(Math.max(1, maxLines - 1));
            count = Math.min(count, maxLines);
            int full = width - 2 * MARGIN - random.nextInt(width / 4);
            Box block = null;
            for (int i = 0; i < count; i++) {
                int w = i == count - 1 ? full / 3 + random.nextInt(full / 2) : full - random.nextInt(full / 6);
                Box line = new Box(MARGIN, y, w, LINE_HEIGHT);
                fill(text, line);
                lines.add(new UiElement(UiKinds.TEXT_LINE, line));
                block = block == null ? line : block.union(line);
                y += LINE_HEIGHT + LINE_GAP;
            }
            y -= LINE_GAP;
            components.add(new UiElement(UiKinds.TEXT, block));
        }

        private void buttonRow() {
            int x = MARGIN;
            int h = 28 + random.nextInt(3) * 4;
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                int w = 80 + random.nextInt(70);
                if (x + w > width - MARGIN) {
                    break;
                }
                button(x, y, w, h, i == 0 ? brand : pick(BRANDS));
                x += w + 16;
            }
            y += h;
        }

        private void button(int x, int top, int w, int h, int colour) {
            fill(colour, x, top, w, h);
            fill(0xFFFFFF, x + w / 4, top + h / 2 - 3, w / 2, 6);
            components.add(new UiElement(UiKinds.BUTTON, new Box(x, top, w, h)));
        }

        private void linkList() {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                Box box = new Box(MARGIN, y, 60 + random.nextInt(140), LINE_HEIGHT);
                fill(link, box);
                links.add(new UiElement(UiKinds.LINK, box));
                y += LINE_HEIGHT + 12;
            }
            y -= 12;
        }

        private void inputWithButton() {
            int w = 200 + random.nextInt(100);
            int h = 32;
            int border = pick(BORDERS);
            fill(border, MARGIN, y, w, 2);
            fill(border, MARGIN, y + h - 2, w, 2);
            fill(border, MARGIN, y, 2, h);
            fill(border, MARGIN + w - 2, y, 2, h);
            components.add(new UiElement(UiKinds.INPUT, new Box(MARGIN, y, w, h)));
            if (MARGIN + w + 16 + 120 <= width - MARGIN) {
                button(MARGIN + w + 16, y, 90 + random.nextInt(30), h, brand);
            }
            y += h;
        }

        private void imagePlaceholder() {
            int w = 160 + random.nextInt(Math.min(160, width / 3));
            int h = Math.min(70 + random.nextInt(70), height - MARGIN - y);
            int x = random.nextBoolean() ? MARGIN : width - MARGIN - w;
            fill(pick(PLACEHOLDERS), x, y, w, h);
            g.setColor(new Color(PLACEHOLDER_LINES));
            g.drawLine(x, y, x + w - 1, y + h - 1);
            g.drawLine(x, y + h - 1, x + w - 1, y);
            components.add(new UiElement(UiKinds.IMAGE, new Box(x, y, w, h)));
            y += h;
        }

        private void fill(int rgb, Box box) {
            fill(rgb, box.x(), box.y(), box.width(), box.height());
        }

        private void fill(int rgb, int x, int top, int w, int h) {
            g.setColor(new Color(rgb));
            g.fillRect(x, top, w, h);
        }

        private int pick(int[] values) {
            return values[random.nextInt(values.length)];
        }
    }
}
