package dev.baton.example.host;

/**
 * One row of the host's {@code screenshot} table.
 *
 * @param screenshotId its id
 * @param batchId its batch
 * @param position its place in the batch, from 0
 * @param objectKey where its PNG is stored ({@code stored_object.object_key})
 * @param width width in pixels, as recorded when it was stored
 * @param height height in pixels, as recorded when it was stored
 */
public record ScreenshotRow(long screenshotId, long batchId, int position, String objectKey, int width, int height) {}
