package dev.baton.example.stages;

import dev.baton.example.host.HostBatches;
import dev.baton.example.host.ScreenshotRow;
import dev.baton.example.objectstore.ObjectFetcher;
import dev.baton.example.objectstore.ObjectUrlSigner;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Stage 1: loads the batch's screenshot rows from the host's tables, makes a signed URL for each
 * image and fetches it through that URL, checking that it is the image the row describes. Its
 * output is a list of {@link FetchedScreenshot}. The batch's {@link BatchInput}, when it has one with
 * a count, limits the work to its first {@code screenshots} screenshots (by position); without one,
 * every screenshot is fetched. A batch without screenshots, or with fewer than its input asks for,
 * fails at once (retrying cannot add them).
 */
public final class SetupStage extends PerScreenshotStage<ScreenshotRow, FetchedScreenshot> {
    /** How long a signed URL is valid. */
    static final Duration URL_VALIDITY = Duration.ofMinutes(5);

    private final HostBatches batches;
    private final ObjectUrlSigner signer;
    private final ObjectFetcher fetcher;

    /**
     * @param batches the host's batches
     * @param signer signs object URLs
     * @param fetcher downloads them
     * @param tuning concurrency, budget, per-item delay
     */
    public SetupStage(HostBatches batches, ObjectUrlSigner signer, ObjectFetcher fetcher, StageTuning tuning) {
        super(tuning);
        this.batches = Objects.requireNonNull(batches, "batches");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    }

    @Override
    protected List<ScreenshotRow> items(StageContext context) throws Exception {
        List<ScreenshotRow> rows = batches.screenshots(context.batchId());
        Integer wanted = wanted(context);
        return wanted == null || wanted >= rows.size() ? rows : rows.subList(0, wanted);
    }

    @Override
    protected StageResult refuse(StageContext context, List<ScreenshotRow> items) throws Exception {
        Integer wanted = wanted(context);
        if (wanted != null && !items.isEmpty() && items.size() < wanted) {
            return StageResult.fail("batch " + context.batchId() + " stage " + context.stage() + ": the input asks for "
                    + wanted + " screenshots but the host's screenshot table has " + items.size()
                    + "; add the missing ones and restart the batch, or start the work under a new batch id"
                    + " (POST /api/process-batch creates the screenshots of a new batch)");
        }
        return super.refuse(context, items);
    }

    /** @return the screenshot count of the batch's input, or {@code null} for all of them */
    private static Integer wanted(StageContext context) {
        return context.input(BatchInput.class).map(BatchInput::screenshots).orElse(null);
    }

    @Override
    protected StageResult whenEmpty(StageContext context) {
        return StageResult.fail("batch " + context.batchId() + " has no screenshots in the host's screenshot table;"
                + " add them (POST /api/process-batch creates them for a new batch) and restart the batch");
    }

    @Override
    protected FetchedScreenshot process(ScreenshotRow row) throws IOException {
        URI url = signer.sign(row.objectKey(), URL_VALIDITY);
        byte[] png = fetcher.fetch(url);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new IOException("screenshot " + row.screenshotId() + " (" + row.objectKey() + ") is not an image");
        }
        if (image.getWidth() != row.width() || image.getHeight() != row.height()) {
            throw new IOException("screenshot " + row.screenshotId() + " is " + image.getWidth() + "x"
                    + image.getHeight() + " but its row says " + row.width() + "x" + row.height());
        }
        return new FetchedScreenshot(row.screenshotId(), row.position(), row.objectKey(), sha256(png), png);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
