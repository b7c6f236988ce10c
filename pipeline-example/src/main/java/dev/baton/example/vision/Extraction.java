package dev.baton.example.vision;

import java.util.List;

/**
 * What component extraction found on one screenshot.
 *
 * @param components page parts: header, buttons, inputs, images, text blocks
 * @param elements the smaller parts inside them: text lines
 * @param anchors hyperlinks
 */
public record Extraction(List<UiElement> components, List<UiElement> elements, List<UiElement> anchors) {

    /** Copies the lists. */
    public Extraction {
        components = List.copyOf(components);
        elements = List.copyOf(elements);
        anchors = List.copyOf(anchors);
    }
}
