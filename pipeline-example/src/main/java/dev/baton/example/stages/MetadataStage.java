package dev.baton.example.stages;

import dev.baton.example.imagefacts.ImageFactsReader;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.util.List;

/**
 * Stage 5: reads the real facts of every image with {@code javax.imageio}: size, hash, luminance,
 * dominant colours. Its output is a list of {@link ScreenshotFacts}.
 */
public final class MetadataStage extends PerScreenshotStage<FetchedScreenshot, ScreenshotFacts> {
    private final ImageFactsReader reader = new ImageFactsReader();

    /** @param tuning concurrency, budget, per-item delay */
    public MetadataStage(StageTuning tuning) {
        super(tuning);
    }

    @Override
    protected List<FetchedScreenshot> items(StageContext context) {
        return List.of(context.output(StageNames.SETUP, FetchedScreenshot[].class));
    }

    @Override
    protected ScreenshotFacts process(FetchedScreenshot shot) throws IOException {
        return new ScreenshotFacts(shot.screenshotId(), reader.read(shot.png()));
    }
}
