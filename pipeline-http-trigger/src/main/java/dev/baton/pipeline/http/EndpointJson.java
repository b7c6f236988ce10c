package dev.baton.pipeline.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.StageOutcome;
import java.time.Instant;
import java.util.Locale;

/** The JSON bodies of the endpoint, fields in a fixed order. Stateless and thread-safe. */
final class EndpointJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EndpointJson() {}

    /** {@code GET /api/batches/{id}}, the shape documented in the README's HTTP section. */
    static byte[] status(BatchStatus s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("batchId", s.batchId());
        n.put("stage", s.stage());
        n.put("status", s.state().dbValue());
        n.put("attempt", s.attempt());
        n.put("error", s.error());
        n.put("hasInput", s.hasInput());
        ArrayNode stages = n.putArray("stages");
        for (BatchStatus.StageView v : s.stages()) {
            ObjectNode st = stages.addObject();
            st.put("name", v.name());
            st.put("attempts", v.attempts());
            st.put("invocations", v.invocations());
            st.put("maxInvocationMs", v.maxInvocationMs());
            st.put("startedAt", iso(v.startedAt()));
            st.put("finishedAt", iso(v.finishedAt()));
            if (v.shards() != null) {
                ObjectNode shards = st.putObject("shards");
                shards.put("total", v.shards().total());
                shards.put("completed", v.shards().completed());
                shards.put("running", v.shards().running());
                shards.put("failed", v.shards().failed());
            }
        }
        return bytes(n);
    }

    /**
     * The queue row, answered by {@code POST /api/process-batch}.
     *
     * @param created whether this request made the run, {@code false} when it existed with the same input
     */
    static byte[] started(BatchStatus s, boolean created) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("batchId", s.batchId());
        n.put("currentStage", s.stage());
        n.put("status", s.state().dbValue());
        n.put("attempt", s.attempt());
        n.put("errorMessage", s.error());
        n.put("runAfter", iso(s.runAfter()));
        n.put("createdAt", iso(s.createdAt()));
        n.put("updatedAt", iso(s.updatedAt()));
        n.put("hasInput", s.hasInput());
        n.put("created", created);
        return bytes(n);
    }

    /** What one stage request did; {@code error} is set on a 409. */
    static byte[] outcome(StageOutcome o, String error) {
        return outcome(o, BatchIdBody.NO_SHARD, error);
    }

    /** What one stage request did, with {@code "shard"} after the stage when it ran a shard; {@code error} on a 409. */
    static byte[] outcome(StageOutcome o, int shard, String error) {
        ObjectNode n = MAPPER.createObjectNode();
        if (error != null) {
            n.put("error", error);
        }
        n.put("batchId", o.batchId());
        n.put("stage", o.stage());
        if (shard != BatchIdBody.NO_SHARD) {
            n.put("shard", shard);
        }
        n.put("outcome", o.kind().name().toLowerCase(Locale.ROOT));
        n.put("attempt", o.attempt());
        n.put("detail", o.detail());
        return bytes(n);
    }

    static byte[] error(String message) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("error", message);
        return bytes(n);
    }

    static byte[] health() {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("status", "ok");
        return bytes(n);
    }

    private static String iso(Instant i) {
        return i == null ? null : i.toString();
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers could not be written as JSON", e);
        }
    }
}
