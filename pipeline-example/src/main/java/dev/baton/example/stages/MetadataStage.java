package dev.baton.example.stages;

import dev.baton.example.imagefacts.ImageFactsReader;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Stage 5: reads the real facts of every image with {@code javax.imageio}: size, hash, luminance, dominant colours. */
public final class MetadataStage extends PerScreenshotStage<SetupOutput.FetchedScreenshot, MetadataOutput.ScreenshotFacts> {
    private final ImageFactsReader reader = new ImageFactsReader();

    /** @param itemDelay extra time per screenshot */
    public MetadataStage(Duration itemDelay) {
        super(MetadataOutput.ScreenshotFacts.class, itemDelay);
    }

    @Override
    protected List<SetupOutput.FetchedScreenshot> items(StageContext context) {
        return context.output(StageNames.SETUP, SetupOutput.class).screenshots();
    }

    @Override
    protected MetadataOutput.ScreenshotFacts process(StageContext context, SetupOutput.FetchedScreenshot shot) throws IOException {
        return new MetadataOutput.ScreenshotFacts(shot.screenshotId(), reader.read(shot.png()));
    }

    @Override
    protected MetadataOutput finish(StageContext context, List<MetadataOutput.ScreenshotFacts> results) {
        return new MetadataOutput(results);
    }
}
