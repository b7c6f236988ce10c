package dev.baton.example.screenshots;

import dev.baton.example.vision.Extraction;

/**
 * A screenshot made by {@link ScreenshotGenerator}, with what was drawn on it.
 *
 * @param png the PNG bytes
 * @param width width in pixels
 * @param height height in pixels
 * @param drawn the parts drawn, where they were drawn: the ground truth a perfect extraction finds
 */
public record GeneratedScreenshot(byte[] png, int width, int height, Extraction drawn) {}
