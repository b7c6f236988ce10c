package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import dev.baton.example.vision.UiKinds;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Stage 4: accuracy of extraction against annotation. For each screenshot and each kind of
 * {@link UiKinds#DETECTION_TARGETS}, extracted components and anchors are matched to detections by
 * IoU; precision, recall, F1 and mean IoU are reported per screenshot, per kind and overall.
 * A screenshot that one stage saw and the other did not is a permanent failure. Thread-safe.
 */
public final class ValidationStage implements Stage {
    private final AccuracyCalculator calculator = new AccuracyCalculator();

    @Override
    public StageResult execute(StageContext context) {
        List<ScreenshotExtraction> extraction =
                List.of(context.output(StageNames.EXTRACTION, ScreenshotExtraction[].class));
        Map<Long, ScreenshotDetections> detections = Stream.of(
                        context.output(StageNames.ANNOTATION, ScreenshotDetections[].class))
                .collect(Collectors.toMap(ScreenshotDetections::screenshotId, Function.identity(), (a, b) -> a));
        if (detections.size() != extraction.size()) {
            return StageResult.fail("extraction saw " + extraction.size() + " screenshots but annotation saw "
                    + detections.size() + "; restart the batch from setup");
        }
        Map<String, AccuracyCalculator.Tally> perKind = new LinkedHashMap<>();
        List<ValidationOutput.ScreenshotAccuracy> perScreenshot = new ArrayList<>();
        for (ScreenshotExtraction extracted : extraction) {
            ScreenshotDetections detected = detections.get(extracted.screenshotId());
            if (detected == null) {
                return StageResult.fail("screenshot " + extracted.screenshotId() + " was extracted but not annotated;"
                        + " restart the batch from setup");
            }
            List<UiElement> parts = new ArrayList<>(extracted.components());
            parts.addAll(extracted.anchors());
            AccuracyCalculator.Tally screenshot = AccuracyCalculator.Tally.ZERO;
            for (String kind : UiKinds.DETECTION_TARGETS) {
                AccuracyCalculator.Tally t = calculator.compare(kind, parts, detected.detections());
                perKind.merge(kind, t, AccuracyCalculator.Tally::plus);
                screenshot = screenshot.plus(t);
            }
            perScreenshot.add(new ValidationOutput.ScreenshotAccuracy(extracted.screenshotId(), screenshot.accuracy()));
        }
        AccuracyCalculator.Tally overall =
                perKind.values().stream().reduce(AccuracyCalculator.Tally.ZERO, AccuracyCalculator.Tally::plus);
        Map<String, Accuracy> kinds = new LinkedHashMap<>();
        perKind.forEach((kind, t) -> kinds.put(kind, t.accuracy()));
        context.log()
                .info(
                        "extraction vs annotation: precision {} recall {} over {} screenshots",
                        overall.accuracy().precision(),
                        overall.accuracy().recall(),
                        perScreenshot.size());
        return StageResult.done(new ValidationOutput(overall.accuracy(), kinds, perScreenshot));
    }
}
