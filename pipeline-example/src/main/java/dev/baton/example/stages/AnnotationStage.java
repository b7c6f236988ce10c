package dev.baton.example.stages;

import dev.baton.example.vision.Box;
import dev.baton.example.vision.UiElement;
import dev.baton.example.vision.UiKinds;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.StageContext;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Stage 3: asks the {@link VisionModel} to detect each of {@link UiKinds#DETECTION_TARGETS} on every screenshot. */
public final class AnnotationStage extends PerScreenshotStage<SetupOutput.FetchedScreenshot, AnnotationOutput.ScreenshotDetections> {
    private final VisionModel model;

    /**
     * @param model the vision model
     * @param itemDelay extra time per screenshot
     */
    public AnnotationStage(VisionModel model, Duration itemDelay) {
        super(AnnotationOutput.ScreenshotDetections.class, itemDelay);
        this.model = Objects.requireNonNull(model, "model");
    }

    @Override
    protected List<SetupOutput.FetchedScreenshot> items(StageContext context) {
        return context.output(StageNames.SETUP, SetupOutput.class).screenshots();
    }

    @Override
    protected AnnotationOutput.ScreenshotDetections process(StageContext context, SetupOutput.FetchedScreenshot shot) throws IOException {
        List<UiElement> detections = new ArrayList<>();
        for (String kind : UiKinds.DETECTION_TARGETS) {
            for (Box box : model.detect(shot.png(), kind)) {
                detections.add(new UiElement(kind, box));
            }
        }
        return new AnnotationOutput.ScreenshotDetections(shot.screenshotId(), detections);
    }

    @Override
    protected AnnotationOutput finish(StageContext context, List<AnnotationOutput.ScreenshotDetections> results) {
        return new AnnotationOutput(model.name(), results);
    }
}
