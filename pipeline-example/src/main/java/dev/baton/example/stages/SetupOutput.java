package dev.baton.example.stages;

import java.util.List;

/**
 * What setup hands on: every screenshot of the batch with its image.
 *
 * @param screenshots in position order
 */
public record SetupOutput(List<FetchedScreenshot> screenshots) {

    /** Copies the list. */
    public SetupOutput {
        screenshots = List.copyOf(screenshots);
    }

    /**
     * One screenshot and its fetched image.
     *
     * @param screenshotId the host's id
     * @param position its place in the batch
     * @param objectKey where the image is stored
     * @param sha256 hex SHA-256 of the image
     * @param png the image (base64 in the stored JSON)
     */
    public record FetchedScreenshot(long screenshotId, int position, String objectKey, String sha256, byte[] png) {}
}
