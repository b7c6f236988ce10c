package dev.baton.example.host;

/**
 * One row of the host's {@code screenshot_analysis} table; JSON columns are given as JSON text.
 *
 * @param screenshotId the screenshot
 * @param model the vision model used
 * @param componentsJson extracted components
 * @param elementsJson extracted elements
 * @param anchorsJson extracted anchors
 * @param detectionsJson detections
 * @param precision extraction vs annotation
 * @param recall extraction vs annotation
 * @param f1 extraction vs annotation
 * @param meanIou extraction vs annotation
 * @param width image width
 * @param height image height
 * @param sha256 image hash
 * @param dominantColoursJson the dominant colours
 * @param meanLuminance mean luma, 0 to 255
 */
public record ScreenshotAnalysis(
        long screenshotId,
        String model,
        String componentsJson,
        String elementsJson,
        String anchorsJson,
        String detectionsJson,
        double precision,
        double recall,
        double f1,
        double meanIou,
        int width,
        int height,
        String sha256,
        String dominantColoursJson,
        double meanLuminance) {}
