package dev.baton.example.stages;

import dev.baton.example.vision.Extraction;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Stage 2: component, element and anchor extraction of every screenshot through the
 * {@link VisionModel}. Its output is a list of {@link ScreenshotExtraction}.
 */
public final class ExtractionStage extends PerScreenshotStage<FetchedScreenshot, ScreenshotExtraction> {
    private final VisionModel model;

    /**
     * @param model the vision model
     * @param tuning concurrency, budget, per-item delay
     */
    public ExtractionStage(VisionModel model, StageTuning tuning) {
        super(tuning);
        this.model = Objects.requireNonNull(model, "model");
    }

    @Override
    protected List<FetchedScreenshot> items(StageContext context) {
        return List.of(context.output(StageNames.SETUP, FetchedScreenshot[].class));
    }

    @Override
    protected ScreenshotExtraction process(FetchedScreenshot shot) throws IOException {
        Extraction found = model.extract(shot.png());
        return new ScreenshotExtraction(
                shot.screenshotId(), model.name(), found.components(), found.elements(), found.anchors());
    }
}
