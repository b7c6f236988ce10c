package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import java.util.List;

/**
 * What extraction found on one screenshot. Extraction's output is the list of these, in position order.
 *
 * @param screenshotId the screenshot
 * @param model the vision model that was used
 * @param components header, buttons, inputs, images, text blocks
 * @param elements text lines
 * @param anchors links
 */
public record ScreenshotExtraction(
        long screenshotId,
        String model,
        List<UiElement> components,
        List<UiElement> elements,
        List<UiElement> anchors) {}
