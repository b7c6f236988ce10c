package dev.baton.example.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Names the regions of a screenshot by their geometry and colour, the way a person reads a
 * wireframe: a full-width bar at the top is the header; a thin bar is a line of text, or a link
 * when it is coloured; a saturated block is a button; an outline is an input; a grey block is an
 * image. Lines of text that sit under one another, left-aligned, form a text block. Stateless and
 * thread-safe.
 */
final class RegionClassifier {
    /** Taller than this is not a line of text. */
    static final int MAX_LINE_HEIGHT = 14;
    /** Lines further apart than this belong to different text blocks. */
    static final int MAX_LINE_GAP = 10;

    private static final double SATURATED = 0.35;
    private static final double OUTLINE_FILL = 0.5;

    Extraction classify(List<Region> regions, int imageWidth) {
        List<UiElement> components = new ArrayList<>();
        List<UiElement> lines = new ArrayList<>();
        List<UiElement> links = new ArrayList<>();
        for (Region r : regions) {
            Box b = r.box();
            if (b.y() <= 2 && b.width() >= imageWidth * 0.9) {
                components.add(new UiElement(UiKinds.HEADER, b));
            } else if (b.height() <= MAX_LINE_HEIGHT) {
                if (r.saturation() >= SATURATED) {
                    links.add(new UiElement(UiKinds.LINK, b));
                } else {
                    lines.add(new UiElement(UiKinds.TEXT_LINE, b));
                }
            } else if (r.saturation() >= SATURATED) {
                components.add(new UiElement(UiKinds.BUTTON, b));
            } else if (r.fillRatio() < OUTLINE_FILL) {
                components.add(new UiElement(UiKinds.INPUT, b));
            } else {
                components.add(new UiElement(UiKinds.IMAGE, b));
            }
        }
        components.addAll(textBlocks(lines));
        Comparator<UiElement> reading = Comparator.comparingInt(
                        (UiElement e) -> e.box().y())
                .thenComparingInt(e -> e.box().x());
        components.sort(reading);
        lines.sort(reading);
        links.sort(reading);
        return new Extraction(components, lines, links);
    }

    private static List<UiElement> textBlocks(List<UiElement> lines) {
        List<UiElement> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparingInt((UiElement e) -> e.box().y())
                .thenComparingInt(e -> e.box().x()));
        List<UiElement> blocks = new ArrayList<>();
        Box current = null;
        Box last = null;
        for (UiElement line : sorted) {
            Box b = line.box();
            boolean continues = current != null
                    && Math.abs(b.x() - last.x()) <= 4
                    && b.y() - last.bottom() <= MAX_LINE_GAP
                    && b.y() >= last.bottom();
            if (continues) {
                current = current.union(b);
            } else {
                if (current != null) {
                    blocks.add(new UiElement(UiKinds.TEXT, current));
                }
                current = b;
            }
            last = b;
        }
        if (current != null) {
            blocks.add(new UiElement(UiKinds.TEXT, current));
        }
        return blocks;
    }
}
