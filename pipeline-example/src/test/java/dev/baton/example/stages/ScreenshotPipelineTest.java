package dev.baton.example.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.example.host.HostBatch;
import dev.baton.example.host.HostBatchStatusListener;
import dev.baton.example.screenshots.GeneratedScreenshot;
import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The six stages through the real {@link PipelineRunner}, on the testkit's in-memory store and synchronous trigger. */
class ScreenshotPipelineTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();

    private HostFixture host;

    @BeforeEach
    void host() throws Exception {
        host = new HostFixture(PG);
    }

    @AfterEach
    void close() {
        host.close();
    }

    /** A runner on its own store and trigger; {@link #drain} runs what it triggers. */
    private final class Run {
        final MutableClock storeClock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        final InMemoryStageStore store = new InMemoryStageStore(storeClock);
        final SynchronousTrigger trigger = new SynchronousTrigger(storeClock);
        final PipelineRunner runner;

        Run(TrialSettings trial) {
            runner = PipelineRunner.builder(host.parts.build(trial), store)
                    .trigger(trigger)
                    .listener(new HostBatchStatusListener(host.batches))
                    .clock(Clock.systemUTC())
                    .build();
        }

        BatchStatus process(long batchId) {
            return process(batchId, null);
        }

        BatchStatus process(long batchId, Object input) {
            runner.client().start(batchId, input);
            drain();
            return runner.client().status(batchId).orElseThrow();
        }

        /** Runs every fire, moving the store's clock past retry backoffs. */
        void drain() {
            for (int round = 0; round < 200 && trigger.pending() > 0; round++) {
                trigger.drain();
                storeClock.advance(ScreenshotPipeline.MAX_BACKOFF.multipliedBy(2));
            }
        }

        <T> T output(long batchId, String stage, Class<T> type) throws Exception {
            return JSON.readValue(store.readOutput(batchId, stage).orElseThrow(), type);
        }
    }

    private static TrialSettings trial(
            Map<String, Duration> itemDelays,
            Map<String, Double> failRates,
            Set<String> failAlways,
            Duration budget,
            int maxAttempts) {
        return new TrialSettings(
                Map.of(), itemDelays, failRates, failAlways, budget, maxAttempts, Duration.ofSeconds(30), 10, 7L);
    }

    private int count(String sql) throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void a_batch_goes_through_all_six_stages_and_its_results_land_in_the_host_tables() throws Exception {
        host.batches.createIfAbsent(1, 10);
        Run run = new Run(TrialSettings.defaults());

        BatchStatus status = run.process(1);

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(status.stages()).extracting(BatchStatus.StageView::name).containsExactlyElementsOf(StageNames.ALL);
        assertThat(status.stages()).allSatisfy(s -> assertThat(s.attempts()).isEqualTo(1));
        assertThat(host.batches.find(1)).get().extracting(HostBatch::status).isEqualTo("completed");
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 1"))
                .isEqualTo(10);
        assertThat(count("SELECT count(*) FROM batch_result WHERE batch_id = 1 AND screenshots = 10 AND "
                        + "precision > 0.9"))
                .isEqualTo(1);

        ScreenshotExtraction[] extraction = run.output(1, StageNames.EXTRACTION, ScreenshotExtraction[].class);
        GeneratedScreenshot first = new ScreenshotGenerator().generate(1, 0);
        assertThat(extraction).hasSize(10);
        assertThat(extraction[0].model()).isEqualTo("simulator");
        assertThat(extraction[0].components())
                .containsExactlyInAnyOrderElementsOf(first.drawn().components());
        ValidationOutput validation = run.output(1, StageNames.VALIDATION, ValidationOutput.class);
        assertThat(validation.overall().recall()).isGreaterThan(0.9);
        assertThat(validation.perKind()).containsOnlyKeys("header", "button", "input", "image", "text", "link");
        ScreenshotFacts[] metadata = run.output(1, StageNames.METADATA, ScreenshotFacts[].class);
        assertThat(metadata[0].facts().width()).isEqualTo(first.width());
        assertThat(metadata[0].facts().sha256())
                .isEqualTo(run.output(1, StageNames.SETUP, FetchedScreenshot[].class)[0].sha256());
    }

    @Test
    void a_stage_sliced_by_a_small_budget_produces_the_same_output_and_persistence_is_idempotent() throws Exception {
        host.batches.createIfAbsent(2, 10);
        Run whole = new Run(TrialSettings.defaults());
        whole.process(2);
        Run sliced = new Run(trial(
                Map.of(StageNames.EXTRACTION, Duration.ofMillis(100)), Map.of(), Set.of(), Duration.ofMillis(800), 3));

        BatchStatus status = sliced.process(2);

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        BatchStatus.StageView extraction = status.stages().get(1);
        assertThat(extraction.invocations()).isGreaterThan(1);
        assertThat(extraction.attempts()).isEqualTo(1);
        assertThat(sliced.store.readOutput(2, StageNames.EXTRACTION))
                .isEqualTo(whole.store.readOutput(2, StageNames.EXTRACTION));
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 2"))
                .isEqualTo(10);
        assertThat(count("SELECT count(*) FROM batch_result WHERE batch_id = 2"))
                .isEqualTo(1);
    }

    @Test
    void fanned_out_stages_whose_shards_fail_and_retry_alone_join_into_the_unsharded_outputs() throws Exception {
        host.batches.createIfAbsent(8, 10);
        Run whole = new Run(TrialSettings.defaults());
        whole.process(8);
        Run fanned = new Run(trial(Map.of(), Map.of(StageNames.ANNOTATION, 0.4), Set.of(), Duration.ofSeconds(50), 5)
                .withFanOut(Map.of(StageNames.EXTRACTION, 3, StageNames.ANNOTATION, 4, StageNames.METADATA, 10)));

        BatchStatus status = fanned.process(8);

        assertThat(status.state()).as("%s", status).isEqualTo(BatchState.COMPLETED);
        assertThat(status.stages())
                .extracting(BatchStatus.StageView::shards)
                .containsExactly(
                        null,
                        new BatchStatus.Shards(3, 3, 0, 0),
                        new BatchStatus.Shards(4, 4, 0, 0),
                        null,
                        new BatchStatus.Shards(10, 10, 0, 0),
                        null);
        assertThat(fanned.store.shards(8, StageNames.ANNOTATION))
                .as("annotation shards that failed and were retried alone")
                .anyMatch(s -> s.attempt() > 1);
        for (String stage : StageNames.ALL) {
            assertThat(JSON.readTree(fanned.store.readOutput(8, stage).orElseThrow()))
                    .as("the output of %s", stage)
                    .isEqualTo(JSON.readTree(whole.store.readOutput(8, stage).orElseThrow()));
        }
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 8"))
                .isEqualTo(10);
    }

    @Test
    void transient_failures_are_retried_until_every_batch_completes() throws Exception {
        Run run = new Run(trial(Map.of(), Map.of(StageNames.EXTRACTION, 0.3), Set.of(), Duration.ofSeconds(50), 5));
        int retried = 0;
        for (long id = 10; id < 16; id++) {
            host.batches.createIfAbsent(id, 2);
            BatchStatus status = run.process(id);
            assertThat(status.state()).as("batch %d", id).isEqualTo(BatchState.COMPLETED);
            retried += status.stages().get(1).attempts() > 1 ? 1 : 0;
        }
        assertThat(retried)
                .as("batches whose extraction needed more than one attempt")
                .isPositive();
    }

    @Test
    void a_stage_that_always_fails_fails_the_batch_and_the_host_row_after_the_last_attempt() throws Exception {
        host.batches.createIfAbsent(3, 2);
        Run run = new Run(trial(Map.of(), Map.of(), Set.of(StageNames.VALIDATION), Duration.ofSeconds(50), 3));

        BatchStatus status = run.process(3);

        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.stage()).isEqualTo(StageNames.VALIDATION);
        assertThat(status.error()).contains("validation").contains("gave up after 3 attempts");
        assertThat(status.stages().get(3).attempts()).isEqualTo(3);
        HostBatch row = host.batches.find(3).orElseThrow();
        assertThat(row.status()).isEqualTo("failed");
        assertThat(row.error()).startsWith("stage validation failed: ");
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 3"))
                .isZero();
    }

    @Test
    void a_batch_without_screenshots_fails_at_setup_at_once_with_advice() throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO batch(batch_id, screenshot_count) VALUES (4, 0)");
        }
        Run run = new Run(TrialSettings.defaults());

        BatchStatus status = run.process(4);

        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.stage()).isEqualTo(StageNames.SETUP);
        assertThat(status.attempt()).isEqualTo(1);
        assertThat(status.error()).contains("has no screenshots");
        assertThat(host.batches.find(4).orElseThrow().status()).isEqualTo("failed");
    }

    @Test
    void a_batch_started_with_a_screenshot_count_analyses_only_its_first_screenshots() throws Exception {
        host.batches.createIfAbsent(5, 10);
        Run run = new Run(TrialSettings.defaults());

        BatchStatus status = run.process(5, new BatchInput(4));

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(status.hasInput()).isTrue();
        assertThat(run.output(5, StageNames.SETUP, FetchedScreenshot[].class))
                .extracting(FetchedScreenshot::position)
                .containsExactly(0, 1, 2, 3);
        assertThat(count("SELECT count(*) FROM screenshot_analysis WHERE batch_id = 5"))
                .isEqualTo(4);
        assertThat(count("SELECT count(*) FROM batch_result WHERE batch_id = 5 AND screenshots = 4"))
                .isEqualTo(1);
    }

    @Test
    void an_input_without_a_count_analyses_every_screenshot() throws Exception {
        host.batches.createIfAbsent(7, 3);
        Run run = new Run(TrialSettings.defaults());

        BatchStatus status = run.process(7, Map.of());

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(count("SELECT count(*) FROM batch_result WHERE batch_id = 7 AND screenshots = 3"))
                .isEqualTo(1);
    }

    @Test
    void a_batch_whose_input_asks_for_more_screenshots_than_it_has_fails_at_setup_at_once_with_advice()
            throws Exception {
        host.batches.createIfAbsent(6, 2);
        Run run = new Run(TrialSettings.defaults());

        BatchStatus status = run.process(6, new BatchInput(5));

        assertThat(status.state()).isEqualTo(BatchState.FAILED);
        assertThat(status.stage()).isEqualTo(StageNames.SETUP);
        assertThat(status.attempt()).isEqualTo(1);
        assertThat(status.error())
                .contains("batch 6 stage setup: the input asks for 5 screenshots but the host's"
                        + " screenshot table has 2")
                .contains("restart the batch");
        assertThat(host.batches.find(6).orElseThrow().status()).isEqualTo("failed");
    }
}
