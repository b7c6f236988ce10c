package dev.baton.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The code of README.md's "Quick start" and "Run N queue workers" snippets, line for line, run
 * against a real PostgreSQL. Everything between the {@code // README:} markers is what the README
 * shows; {@link #theReadmeShowsExactlyTheseLines()} fails when the two drift apart.
 */
class QuickStartTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Path SOURCE = Path.of("src/test/java/dev/baton/example/QuickStartTest.java");
    static final Path README = Path.of("../README.md");

    @Test
    void quickStartRunsABatchOfThreeStagesToCompletion() throws Exception {
        DataSource dataSource = PG.dataSource();
        // spotless:off
        // README: quick start
        Pipeline pipeline = Pipeline.builder()
            .stage("fetch", ctx -> StageResult.done(ctx.input(int[].class).orElseThrow()))
            .stage("square", ctx -> {
                List<Integer> numbers = List.of(ctx.output("fetch", Integer[].class));
                return Slicer.concurrency(4).process(ctx, numbers, n -> n * n);   // sliced to the budget
            }, s -> s.retry(RetryPolicy.exponential(5, Duration.ofSeconds(2))))
            .stage("total", ctx -> StageResult.done(Arrays.stream(ctx.output("square", int[].class)).sum()))
            .build();

        BatonSchema.migrate(dataSource);                                   // idempotent, advisory-locked
        JdbcStageStore store = JdbcStageStore.builder(dataSource).build();
        PipelineRunner runner = PipelineRunner.builder(pipeline, store)
            .trigger(InProcessTrigger.builder().threads(4).build())        // or HttpTrigger, QueueTrigger
            .build();
        StallSweeper sweeper = runner.sweeper().build();                   // sets lost work going again
        runner.start();                                                    // building started no thread
        sweeper.start();

        runner.client().start(42, List.of(1, 2, 3, 4));                    // fetch → square → total, on the pool
        // README: end
        // spotless:on
        awaitEnded(runner, 42);
        // spotless:off
        // README: quick start, after the batch ended
        BatchStatus status = runner.client().status(42).orElseThrow(); // stage, status, attempts, timings, error
        String total = store.readOutput(42, "total").orElseThrow();       // "30", the JSON the last stage returned
        // README: end
        // spotless:on
        sweeper.close();
        runner.close();

        assertThat(status.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(status.stage()).isEqualTo(Pipeline.COMPLETED);
        assertThat(status.error()).isNull();
        assertThat(status.stages()).extracting(BatchStatus.StageView::name).containsExactly("fetch", "square", "total");
        assertThat(status.stages()).allSatisfy(s -> {
            assertThat(s.attempts()).isEqualTo(1);
            assertThat(s.invocations()).isEqualTo(1);
            assertThat(s.finishedAt()).isNotNull();
        });
        assertThat(store.readOutput(42, "square").orElseThrow()).isEqualTo("[1, 4, 9, 16]");
        assertThat(total).isEqualTo("30");
    }

    @Test
    void queueWorkersInTwoRunnersShareTheBatchesAndRespectTheCap() throws Exception {
        DataSource dataSource = PG.dataSource();
        BatonSchema.migrate(dataSource);
        Pipeline pipeline = Pipeline.builder()
                .stage("fetch", ctx -> StageResult.done(List.of(1, 2, 3, 4)))
                .stage(
                        "square",
                        ctx -> StageResult.done(List.of(ctx.output("fetch", Integer[].class)).stream()
                                .map(n -> n * n)
                                .toList()))
                .stage(
                        "total",
                        ctx -> StageResult.done(
                                Arrays.stream(ctx.output("square", int[].class)).sum()))
                .build();
        List<AutoCloseable> running = new ArrayList<>();
        List<PipelineRunner> runners = new ArrayList<>();
        for (int process = 0; process < 2; process++) {
            // spotless:off
            // README: queue workers
            JdbcStageStore store = JdbcStageStore.builder(dataSource).build();
            QueueTrigger trigger = QueueTrigger.builder(dataSource).stageCap("square", 4).build();
            PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
            QueueWorker worker = QueueWorker.builder(runner, store, trigger).threads(8).build().start();
            StallSweeper sweeper = runner.sweeper().build();
            sweeper.start();
            // README: end
            // spotless:on
            running.add(worker);
            running.add(sweeper);
            running.add(runner);
            runners.add(runner);
        }
        PipelineRunner runner = runners.get(0);
        try {
            for (long batchId = 1; batchId <= 20; batchId++) {
                // spotless:off
                // README: queue workers, enqueue
                runner.client().start(batchId);  // a row in batch_processing_queue + NOTIFY; a worker claims it
                // README: end
                // spotless:on
            }
            for (long batchId = 1; batchId <= 20; batchId++) {
                awaitEnded(runner, batchId);
                assertThat(runner.client().status(batchId).orElseThrow().state())
                        .isEqualTo(BatchState.COMPLETED);
            }
        } finally {
            for (AutoCloseable c : running) {
                c.close();
            }
        }
        JdbcStageStore store = JdbcStageStore.builder(dataSource).build();
        assertThat(store.readOutput(7, "total").orElseThrow()).isEqualTo("30");
    }

    /**
     * Every line between {@code // README: <name>} and {@code // README: end} in this file must appear
     * in README.md in the same order, as one run of consecutive non-blank lines of a code block.
     */
    @Test
    void theReadmeShowsExactlyTheseLines() throws IOException {
        List<String> readme = Files.readAllLines(README, StandardCharsets.UTF_8).stream()
                .map(String::strip)
                .toList();
        List<String> source = Files.readAllLines(SOURCE, StandardCharsets.UTF_8);
        List<List<String>> snippets = new ArrayList<>();
        List<String> current = null;
        for (String line : source) {
            String t = line.strip();
            if (t.equals("// README: end")) {
                snippets.add(current);
                current = null;
            } else if (t.startsWith("// README: ")) {
                current = new ArrayList<>();
            } else if (current != null && !t.isEmpty()) {
                current.add(t);
            }
        }
        assertThat(snippets).hasSize(4);
        List<String> nonBlankReadme = readme.stream().filter(l -> !l.isEmpty()).toList();
        for (List<String> snippet : snippets) {
            assertThat(contains(nonBlankReadme, snippet))
                    .as("README.md shows these lines together, in this order:%n%s", String.join("\n", snippet))
                    .isTrue();
        }
    }

    private static boolean contains(List<String> haystack, List<String> needle) {
        for (int i = 0; i + needle.size() <= haystack.size(); i++) {
            if (haystack.subList(i, i + needle.size()).equals(needle)) {
                return true;
            }
        }
        return false;
    }

    private static void awaitEnded(PipelineRunner runner, long batchId) throws InterruptedException {
        Instant giveUp = Instant.now().plusSeconds(60);
        while (runner.client().status(batchId).map(s -> !s.state().isFinal()).orElse(true)) {
            assertThat(Instant.now())
                    .as("batch %d still running after 60 s", batchId)
                    .isBefore(giveUp);
            Thread.sleep(20);
        }
    }
}
