package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import java.util.List;

/**
 * What the detector found on each screenshot.
 *
 * @param model the vision model that was used
 * @param screenshots one entry per screenshot, in position order
 */
public record AnnotationOutput(String model, List<ScreenshotDetections> screenshots) {

    /** Copies the list. */
    public AnnotationOutput {
        screenshots = List.copyOf(screenshots);
    }

    /**
     * @param screenshotId the screenshot
     * @param detections every detected object, its kind being the object asked for
     */
    public record ScreenshotDetections(long screenshotId, List<UiElement> detections) {}
}
