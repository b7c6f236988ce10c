package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import java.util.List;

/**
 * What the detector found on one screenshot. Annotation's output is the list of these, in position order.
 *
 * @param screenshotId the screenshot
 * @param model the vision model that was used
 * @param detections every detected object, its kind being the object asked for
 */
public record ScreenshotDetections(long screenshotId, String model, List<UiElement> detections) {}
