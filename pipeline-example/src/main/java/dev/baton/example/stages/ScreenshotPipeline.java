package dev.baton.example.stages;

import dev.baton.example.host.AnalysisWriter;
import dev.baton.example.host.HostBatches;
import dev.baton.example.objectstore.ObjectFetcher;
import dev.baton.example.objectstore.ObjectUrlSigner;
import dev.baton.example.trial.FaultInjectingStage;
import dev.baton.example.trial.TrialSettings;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Stage;
import java.time.Duration;
import java.util.Objects;

/**
 * Assembles the six stages of the screenshot-analysis pipeline into a {@link Pipeline} with a trial's budget, lease,
 * retry limit, delays, faults and fan-out.
 *
 * <p>Extraction, annotation and metadata are declared as {@link FanOut}s over the batch's screenshots. Without
 * {@code --fan-out} each has one shard and runs as before, sliced by its budget; {@code --fan-out annotation=8}
 * splits annotation into 8 shards that run in parallel, each slicing through its screenshots with the same
 * concurrency, and the joined output, and so everything persistence writes, is the same.
 *
 * @param batches the host's batches and screenshots
 * @param signer signs object URLs
 * @param fetcher fetches images
 * @param model the vision model of extraction and annotation
 * @param writer writes results into the host's tables
 * @param concurrency screenshots a per-screenshot stage processes at once, 1 to 256
 */
public record ScreenshotPipeline(
        HostBatches batches,
        ObjectUrlSigner signer,
        ObjectFetcher fetcher,
        VisionModel model,
        AnalysisWriter writer,
        int concurrency) {

    /** Wait before the second try of a failed stage; doubles per try, with jitter. */
    public static final Duration INITIAL_BACKOFF = Duration.ofMillis(200);
    /** Longest wait between two tries. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** Default screenshots processed at once by one stage invocation. */
    public static final int DEFAULT_CONCURRENCY = 4;

    /**
     * @throws NullPointerException if a part is missing
     * @throws IllegalArgumentException if concurrency is out of range
     */
    public ScreenshotPipeline {
        Objects.requireNonNull(batches, "batches");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(fetcher, "fetcher");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(writer, "writer");
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("concurrency must be 1..256, got " + concurrency);
        }
    }

    /**
     * @param trial budget, lease, attempts, delays and faults
     * @return the pipeline
     */
    public Pipeline build(TrialSettings trial) {
        RetryPolicy retry =
                RetryPolicy.exponential(trial.maxAttempts(), INITIAL_BACKOFF).withMaxBackoff(MAX_BACKOFF);
        return Pipeline.builder()
                .stage(
                        StageNames.SETUP,
                        wrap(
                                StageNames.SETUP,
                                new SetupStage(batches, signer, fetcher, tuning(trial, StageNames.SETUP)),
                                trial))
                .stage(
                        StageNames.EXTRACTION,
                        perScreenshot(
                                StageNames.EXTRACTION,
                                new ExtractionStage(model, tuning(trial, StageNames.EXTRACTION)),
                                trial))
                .stage(
                        StageNames.ANNOTATION,
                        perScreenshot(
                                StageNames.ANNOTATION,
                                new AnnotationStage(model, tuning(trial, StageNames.ANNOTATION)),
                                trial))
                .stage(StageNames.VALIDATION, wrap(StageNames.VALIDATION, new ValidationStage(), trial))
                .stage(
                        StageNames.METADATA,
                        perScreenshot(
                                StageNames.METADATA, new MetadataStage(tuning(trial, StageNames.METADATA)), trial))
                .stage(StageNames.PERSISTENCE, wrap(StageNames.PERSISTENCE, new PersistenceStage(writer), trial))
                .retry(retry)
                .budget(trial.budget())
                .lease(trial.lease())
                .build();
    }

    private StageTuning tuning(TrialSettings trial, String stage) {
        return new StageTuning(concurrency, trial.budget(), trial.itemDelay(stage));
    }

    /**
     * @return the stage as a fan-out: of one shard, its faults around it as around any stage, when the trial does not
     *     fan it out; else of the trial's shards, all at once, with the faults around each shard
     */
    private static Stage perScreenshot(
            String name, PerScreenshotStage<FetchedScreenshot, ?> stage, TrialSettings trial) {
        int shards = trial.shards(name);
        if (shards == 1) {
            return wrap(name, stage.fanOut(), trial);
        }
        return stage.fanOut(FaultInjectingStage.aroundShards(name, trial, FetchedScreenshot::position))
                .shards(shards)
                .parallelism(shards);
    }

    private static Stage wrap(String name, Stage stage, TrialSettings trial) {
        return FaultInjectingStage.wrap(name, stage, trial);
    }
}
