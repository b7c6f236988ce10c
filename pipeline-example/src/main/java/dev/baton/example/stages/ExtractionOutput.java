package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import java.util.List;

/**
 * What extraction found on each screenshot.
 *
 * @param model the vision model that was used
 * @param screenshots one entry per screenshot, in position order
 */
public record ExtractionOutput(String model, List<ScreenshotExtraction> screenshots) {

    /** Copies the list. */
    public ExtractionOutput {
        screenshots = List.copyOf(screenshots);
    }

    /**
     * @param screenshotId the screenshot
     * @param components header, buttons, inputs, images, text blocks
     * @param elements text lines
     * @param anchors links
     */
    public record ScreenshotExtraction(long screenshotId, List<UiElement> components, List<UiElement> elements, List<UiElement> anchors) {}
}
