package dev.baton.example.stages;

import java.util.List;
import java.util.Map;

/**
 * Accuracy of extraction against annotation.
 *
 * @param overall over every screenshot and kind
 * @param perKind over every screenshot, per kind
 * @param screenshots per screenshot, in position order
 */
public record ValidationOutput(Accuracy overall, Map<String, Accuracy> perKind, List<ScreenshotAccuracy> screenshots) {

    /** Copies the collections. */
    public ValidationOutput {
        perKind = Map.copyOf(perKind);
        screenshots = List.copyOf(screenshots);
    }

    /**
     * @param screenshotId the screenshot
     * @param accuracy over every kind on it
     */
    public record ScreenshotAccuracy(long screenshotId, Accuracy accuracy) {}
}
