package dev.baton.example.stages;

import dev.baton.example.vision.Extraction;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Stage 2: component, element and anchor extraction of every screenshot through the {@link VisionModel}. */
public final class ExtractionStage extends PerScreenshotStage<SetupOutput.FetchedScreenshot, ExtractionOutput.ScreenshotExtraction> {
    private final VisionModel model;

    /**
     * @param model the vision model
     * @param itemDelay extra time per screenshot
     */
    public ExtractionStage(VisionModel model, Duration itemDelay) {
        super(ExtractionOutput.ScreenshotExtraction.class, itemDelay);
        this.model = Objects.requireNonNull(model, "model");
    }

    @Override
    protected List<SetupOutput.FetchedScreenshot> items(StageContext context) {
        return context.output(StageNames.SETUP, SetupOutput.class).screenshots();
    }

    @Override
    protected ExtractionOutput.ScreenshotExtraction process(StageContext context, SetupOutput.FetchedScreenshot shot) throws IOException {
        Extraction found = model.extract(shot.png());
        return new ExtractionOutput.ScreenshotExtraction(shot.screenshotId(), found.components(), found.elements(), found.anchors());
    }

    @Override
    protected ExtractionOutput finish(StageContext context, List<ExtractionOutput.ScreenshotExtraction> results) {
        return new ExtractionOutput(model.name(), results);
    }
}
