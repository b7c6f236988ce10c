package dev.baton.example.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.example.host.HostBatches;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.PipelineRunner;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON of {@code GET /api/batches} (the data of the status page the dashboard replaced): how many
 * batches are in each state, and the most recently changed batches, newest first, each with its stage, status, attempt,
 * error, whether it was started with an input, the host's own {@code batch.status}, and its per-stage
 * counters. Thread-safe.
 */
public final class BatchListing {
    /** Most batches listed. */
    public static final int LIMIT = 200;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PipelineRunner runner;
    private final HostBatches batches;

    /**
     * @param runner the pipeline's runner
     * @param batches the host's batches
     */
    public BatchListing(PipelineRunner runner, HostBatches batches) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.batches = Objects.requireNonNull(batches, "batches");
    }

    /**
     * @param counts how many batches are in each state
     * @return the listing as JSON
     * @throws SQLException if the host's table cannot be read
     */
    public byte[] json(Map<BatchState, Long> counts) throws SQLException {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        int offset = (int) Math.max(0, total - LIMIT);
        List<BatchStatus> page = new ArrayList<>(runner.client().list(Set.of(), offset, LIMIT));
        Collections.reverse(page);
        Map<Long, String> host =
                batches.statuses(page.stream().map(BatchStatus::batchId).toList());
        ObjectNode root = JSON.createObjectNode();
        ObjectNode c = root.putObject("counts");
        for (BatchState s : BatchState.values()) {
            c.put(s.dbValue(), counts.getOrDefault(s, 0L));
        }
        root.put("total", total);
        root.putPOJO("stageNames", runner.pipeline().stageNames());
        ArrayNode list = root.putArray("batches");
        for (BatchStatus s : page) {
            ObjectNode b = list.addObject();
            b.put("batchId", s.batchId());
            b.put("stage", s.stage());
            b.put("status", s.state().dbValue());
            b.put("attempt", s.attempt());
            b.put("error", s.error());
            b.put("hasInput", s.hasInput());
            b.put("hostStatus", host.get(s.batchId()));
            b.put("createdAt", iso(s.createdAt()));
            b.put("updatedAt", iso(s.updatedAt()));
            ArrayNode stages = b.putArray("stages");
            for (BatchStatus.StageView v : s.stages()) {
                stages.addObject()
                        .put("name", v.name())
                        .put("attempts", v.attempts())
                        .put("invocations", v.invocations())
                        .put("maxInvocationMs", v.maxInvocationMs())
                        .put("finished", v.finishedAt() != null);
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    private static String iso(Instant i) {
        return i == null ? null : i.toString();
    }
}
