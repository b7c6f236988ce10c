package dev.baton.example.stages;

import dev.baton.example.vision.Box;
import dev.baton.example.vision.UiElement;
import dev.baton.example.vision.UiKinds;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Stage 3: asks the {@link VisionModel} to detect each of {@link UiKinds#DETECTION_TARGETS} on every
 * screenshot, as a Moondream-style model would. Its output is a list of {@link ScreenshotDetections}.
 */
public final class AnnotationStage extends PerScreenshotStage<FetchedScreenshot, ScreenshotDetections> {
    private final VisionModel model;

    /**
     * @param model the vision model
     * @param tuning concurrency, budget, per-item delay
     */
    public AnnotationStage(VisionModel model, StageTuning tuning) {
        super(tuning);
        this.model = Objects.requireNonNull(model, "model");
    }

    @Override
    protected List<FetchedScreenshot> items(StageContext context) {
        return List.of(context.output(StageNames.SETUP, FetchedScreenshot[].class));
    }

    @Override
    protected ScreenshotDetections process(FetchedScreenshot shot) throws IOException {
        List<UiElement> detections = new ArrayList<>();
        for (String kind : UiKinds.DETECTION_TARGETS) {
            for (Box box : model.detect(shot.png(), kind)) {
                detections.add(new UiElement(kind, box));
            }
        }
        return new ScreenshotDetections(shot.screenshotId(), model.name(), detections);
    }
}
