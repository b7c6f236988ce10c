package dev.baton.example.demo;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.PipelineRunner;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the demo against a started app: submits batches 1..N through {@code POST /api/process-batch}
 * over HTTP on a thread of its own, reports progress meanwhile until every batch has ended (or nothing has moved for
 * the idle limit), and renders the summary.
 */
public final class DemoRun {
    private final URI baseUrl;
    private final PipelineRunner runner;
    private final DemoRecorder recorder;
    private final PrintStream out;
    private final boolean terminal;
    private final Duration idleLimit;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param baseUrl the app
     * @param runner the app's runner, for the final statuses
     * @param recorder the listener registered with the app
     * @param out where progress and the summary go
     * @param terminal whether {@code out} is a terminal
     * @param idleLimit how long to wait without any stage finishing before giving up
     */
    public DemoRun(
            URI baseUrl,
            PipelineRunner runner,
            DemoRecorder recorder,
            PrintStream out,
            boolean terminal,
            Duration idleLimit) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.runner = Objects.requireNonNull(runner, "runner");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.out = Objects.requireNonNull(out, "out");
        this.terminal = terminal;
        this.idleLimit = Objects.requireNonNull(idleLimit, "idleLimit");
    }

    /**
     * @param batches how many batches, numbered from 1
     * @return {@code true} when every batch completed
     * @throws IOException if a batch cannot be submitted
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean run(int batches) throws IOException, InterruptedException {
        long start = System.nanoTime();
        AtomicInteger submitted = new AtomicInteger();
        AtomicReference<Exception> submitError = new AtomicReference<>();
        Thread submitter = new Thread(
                () -> {
                    try {
                        for (long id = 1; id <= batches; id++) {
                            submit(id);
                            submitted.incrementAndGet();
                        }
                    } catch (IOException | InterruptedException | RuntimeException e) {
                        submitError.set(e);
                    }
                },
                "demo-submit");
        submitter.setDaemon(true);
        submitter.start();
        ProgressReporter progress = new ProgressReporter(
                out, terminal, batches, runner.pipeline().stageNames().size());
        int lastStages = -1;
        long lastMove = System.nanoTime();
        while (true) {
            int failed = recorder.failures().size();
            int ended = recorder.completed() + failed;
            int stages = recorder.stagesDone();
            long now = System.nanoTime();
            if (stages != lastStages || ended != 0 && ended == batches) {
                lastStages = stages;
                lastMove = now;
            }
            progress.report(submitted.get(), ended, failed, stages, Duration.ofNanos(now - start), now);
            if (ended >= batches) {
                break;
            }
            if (submitError.get() != null) {
                progress.finish();
                throw new IOException(
                        "submitting batches failed after " + submitted.get() + " of " + batches + ": "
                                + submitError.get().getMessage(),
                        submitError.get());
            }
            if (now - lastMove > idleLimit.toNanos()) {
                progress.finish();
                out.println("no stage has finished for " + idleLimit.toSeconds()
                        + "s; giving up on the unfinished batches");
                break;
            }
            Thread.sleep(terminal ? 200 : 250);
        }
        progress.finish();
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        List<BatchStatus> statuses = new ArrayList<>();
        for (long id = 1; id <= batches; id++) {
            runner.client().status(id).ifPresent(statuses::add);
        }
        out.print(SummaryTable.render(runner.pipeline().stageNames(), statuses, recorder, wall));
        return statuses.size() == batches && statuses.stream().allMatch(s -> s.state() == BatchState.COMPLETED);
    }

    private void submit(long id) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve("/api/process-batch"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"batchId\":" + id + "}"))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IOException("POST /api/process-batch for batch " + id + " answered " + response.statusCode()
                    + ": " + response.body());
        }
    }
}
