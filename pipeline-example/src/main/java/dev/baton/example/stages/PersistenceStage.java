package dev.baton.example.stages;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.example.host.AnalysisWriter;
import dev.baton.example.host.BatchSummary;
import dev.baton.example.host.ScreenshotAnalysis;
import dev.baton.example.imagefacts.ImageFacts;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Stage 6: writes every earlier stage's results into the host's {@code screenshot_analysis} and
 * {@code batch_result} tables with upserts and marks the host's batch {@code completed}, in one
 * transaction ({@link AnalysisWriter}); a retry writes the same rows again. Thread-safe.
 */
public final class PersistenceStage implements Stage {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AnalysisWriter writer;

    /** @param writer writes into the host's tables */
    public PersistenceStage(AnalysisWriter writer) {
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    @Override
    public StageResult execute(StageContext context) throws SQLException, JsonProcessingException {
        ScreenshotExtraction[] extraction = context.output(StageNames.EXTRACTION, ScreenshotExtraction[].class);
        Map<Long, ScreenshotDetections> detections = index(
                context.output(StageNames.ANNOTATION, ScreenshotDetections[].class),
                ScreenshotDetections::screenshotId);
        ValidationOutput validation = context.output(StageNames.VALIDATION, ValidationOutput.class);
        Map<Long, ValidationOutput.ScreenshotAccuracy> accuracy = index(
                validation.screenshots().toArray(ValidationOutput.ScreenshotAccuracy[]::new),
                ValidationOutput.ScreenshotAccuracy::screenshotId);
        Map<Long, ScreenshotFacts> facts =
                index(context.output(StageNames.METADATA, ScreenshotFacts[].class), ScreenshotFacts::screenshotId);

        List<ScreenshotAnalysis> rows = new ArrayList<>();
        int components = 0;
        int detected = 0;
        for (ScreenshotExtraction e : extraction) {
            long id = e.screenshotId();
            ScreenshotDetections d = detections.get(id);
            ValidationOutput.ScreenshotAccuracy a = accuracy.get(id);
            ScreenshotFacts f = facts.get(id);
            if (d == null || a == null || f == null) {
                return StageResult.fail("screenshot " + id + " is missing from the output of "
                        + (d == null ? StageNames.ANNOTATION : a == null ? StageNames.VALIDATION : StageNames.METADATA)
                        + "; restart the batch from setup");
            }
            ImageFacts image = f.facts();
            rows.add(new ScreenshotAnalysis(
                    id,
                    e.model(),
                    json(e.components()),
                    json(e.elements()),
                    json(e.anchors()),
                    json(d.detections()),
                    a.accuracy().precision(),
                    a.accuracy().recall(),
                    a.accuracy().f1(),
                    a.accuracy().meanIou(),
                    image.width(),
                    image.height(),
                    image.sha256(),
                    json(image.dominantColours()),
                    image.meanLuminance()));
            components += e.components().size() + e.anchors().size();
            detected += d.detections().size();
        }
        Accuracy overall = validation.overall();
        writer.write(
                context.batchId(),
                rows,
                new BatchSummary(
                        rows.size(),
                        components,
                        detected,
                        overall.precision(),
                        overall.recall(),
                        overall.f1(),
                        overall.meanIou(),
                        json(validation.perKind())));
        context.log().info("wrote {} screenshot analyses; batch {} completed", rows.size(), context.batchId());
        return StageResult.done(new PersistenceOutput(rows.size(), "completed"));
    }

    private static <T> Map<Long, T> index(T[] items, Function<T, Long> id) {
        return Stream.of(items).collect(Collectors.toMap(id, Function.identity(), (a, b) -> a));
    }

    private static String json(Object value) throws JsonProcessingException {
        return JSON.writeValueAsString(value);
    }
}
