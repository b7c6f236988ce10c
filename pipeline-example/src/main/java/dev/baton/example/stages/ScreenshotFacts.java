package dev.baton.example.stages;

import dev.baton.example.imagefacts.ImageFacts;

/**
 * The facts of one image. Metadata's output is the list of these, in position order.
 *
 * @param screenshotId the screenshot
 * @param facts what its image is
 */
public record ScreenshotFacts(long screenshotId, ImageFacts facts) {}
