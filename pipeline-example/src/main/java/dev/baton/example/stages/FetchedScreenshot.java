package dev.baton.example.stages;

/**
 * What setup hands on for one screenshot: its identity and its image. Setup's output is the list
 * of these, in position order.
 *
 * @param screenshotId the host's id
 * @param position its place in the batch
 * @param objectKey where the image is stored
 * @param sha256 hex SHA-256 of the image
 * @param png the image (base64 in the stored JSON)
 */
public record FetchedScreenshot(long screenshotId, int position, String objectKey, String sha256, byte[] png) {}
