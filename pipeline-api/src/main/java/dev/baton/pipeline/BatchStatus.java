package dev.baton.pipeline;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import java.time.Instant;
import java.util.List;

/**
 * What an operator wants to know about a batch: the shape of {@code GET /api/batches/{id}}.
 *
 * @param batchId the batch
 * @param stage the current stage, the stage that failed, or {@code completed}
 * @param state the state
 * @param attempt the try of the current stage
 * @param error the last error, or {@code null}
 * @param createdAt when the run started
 * @param updatedAt when it last changed
 * @param leaseOwner who runs the current stage, or {@code null}
 * @param leaseUntil when that claim expires, or {@code null}
 * @param runAfter the earliest time the current stage may run
 * @param hasInput whether the batch was started with an input
 * @param stages every stage of the pipeline in order, with counters and timings
 */
public record BatchStatus(
        long batchId,
        String stage,
        BatchState state,
        int attempt,
        String error,
        Instant createdAt,
        Instant updatedAt,
        String leaseOwner,
        Instant leaseUntil,
        Instant runAfter,
        boolean hasInput,
        List<StageView> stages) {

    /** Copies {@code stages}. */
    public BatchStatus {
        stages = List.copyOf(stages);
    }

    /**
     * One stage of a batch.
     *
     * @param name the stage
     * @param attempts tries, retries and rescues included
     * @param invocations executions (several per attempt for a sliced stage)
     * @param maxInvocationMs the longest execution
     * @param startedAt when it first started, or {@code null}
     * @param finishedAt when it finished, or {@code null}
     */
    public record StageView(
            String name, int attempts, int invocations, long maxInvocationMs, Instant startedAt, Instant finishedAt) {}

    static BatchStatus of(Pipeline pipeline, BatchRecord r) {
        List<StageView> views = pipeline.stageNames().stream()
                .map(name -> {
                    StageStats s = r.statsOf(name);
                    int attempts = name.equals(r.stage()) && s.invocations() > 0
                            ? Math.max(s.attempts(), r.attempt())
                            : s.attempts();
                    if (name.equals(r.stage()) && r.state() == BatchState.IN_PROGRESS) {
                        attempts = Math.max(attempts, r.attempt());
                    }
                    return new StageView(
                            name, attempts, s.invocations(), s.maxInvocationMs(), s.startedAt(), s.finishedAt());
                })
                .toList();
        return new BatchStatus(
                r.batchId(),
                r.stage(),
                r.state(),
                r.attempt(),
                r.error(),
                r.createdAt(),
                r.updatedAt(),
                r.leaseOwner(),
                r.leaseUntil(),
                r.runAfter(),
                r.hasInput(),
                views);
    }
}
