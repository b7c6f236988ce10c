package dev.baton.example.stages;

import dev.baton.example.imagefacts.ImageFacts;
import java.util.List;

/**
 * The facts of each image.
 *
 * @param screenshots one entry per screenshot, in position order
 */
public record MetadataOutput(List<ScreenshotFacts> screenshots) {

    /** Copies the list. */
    public MetadataOutput {
        screenshots = List.copyOf(screenshots);
    }

    /**
     * @param screenshotId the screenshot
     * @param facts what its image is
     */
    public record ScreenshotFacts(long screenshotId, ImageFacts facts) {}
}
