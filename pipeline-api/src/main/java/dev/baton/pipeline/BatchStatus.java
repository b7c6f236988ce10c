package dev.baton.pipeline;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStats;
import java.time.Instant;
import java.util.List;
import java.util.Map;

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
     * @param finishedAt when it finished, or {@code null}; for a fanned-out stage, the span from the fan-out to the
     *     join
     * @param shards a fanned-out stage's shards, or {@code null} for a stage that has none
     */
    public record StageView(
            String name,
            int attempts,
            int invocations,
            long maxInvocationMs,
            Instant startedAt,
            Instant finishedAt,
            Shards shards) {
        /** A stage without shards. */
        public StageView(
                String name,
                int attempts,
                int invocations,
                long maxInvocationMs,
                Instant startedAt,
                Instant finishedAt) {
            this(name, attempts, invocations, maxInvocationMs, startedAt, finishedAt, null);
        }
    }

    /**
     * The shards of a fanned-out stage, counted by state: {@code running} are claimed now, {@code failed} exhausted
     * their retries; the rest (waiting, pending, cancelled) make up the difference to {@code total}.
     *
     * @param total how many shards the stage has
     * @param completed shards whose output is committed
     * @param running shards claimed now
     * @param failed shards that failed the batch
     */
    public record Shards(int total, int completed, int running, int failed) {
        /**
         * @param shards a stage's shards
         * @return their counts
         */
        public static Shards of(List<ShardRecord> shards) {
            int completed = 0;
            int running = 0;
            int failed = 0;
            for (ShardRecord s : shards) {
                switch (s.state()) {
                    case COMPLETED -> completed++;
                    case IN_PROGRESS -> running++;
                    case FAILED -> failed++;
                    default -> {}
                }
            }
            return new Shards(shards.size(), completed, running, failed);
        }
    }

    static BatchStatus of(Pipeline pipeline, BatchRecord r) {
        return of(pipeline, r, Map.of());
    }

    static BatchStatus of(Pipeline pipeline, BatchRecord r, Map<String, Shards> shards) {
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
                            name,
                            attempts,
                            s.invocations(),
                            s.maxInvocationMs(),
                            s.startedAt(),
                            s.finishedAt(),
                            shards.get(name));
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
