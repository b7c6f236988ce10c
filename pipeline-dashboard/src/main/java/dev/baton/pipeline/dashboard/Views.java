package dev.baton.pipeline.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchQuery;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Pipeline;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The read-only JSON of the dashboard: overview, batch timeline, session. Thread-safe. */
final class Views {
    static final String PREFIX = "/api/dashboard/";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;
    static final int STALLED_LIMIT = 50;
    static final int ERROR_CHARS = 300;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BatchClient client;
    private final Duration stalledAfter;
    private final int previewChars;

    Views(BatchClient client, Duration stalledAfter, int previewChars) {
        this.client = client;
        this.stalledAfter = stalledAfter;
        this.previewChars = previewChars;
    }

    Dashboard.Response overview(Map<String, String> params) {
        Set<BatchState> states = EnumSet.noneOf(BatchState.class);
        for (String s : params.getOrDefault("state", "").split(",")) {
            if (!s.isBlank()) {
                try {
                    states.add(BatchState.fromDb(s.strip().toLowerCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    return Dashboard.Response.error(400, "unknown state '" + s + "'");
                }
            }
        }
        Long id = null;
        String idText = params.getOrDefault("id", "").strip();
        if (!idText.isEmpty()) {
            try {
                id = Long.parseLong(idText);
            } catch (NumberFormatException e) {
                return Dashboard.Response.error(400, "the batch id must be a number, got '" + idText + "'");
            }
        }
        int offset = number(params.get("offset"), 0);
        int limit = number(params.get("limit"), DEFAULT_LIMIT);
        if (offset < 0 || limit < 1 || limit > MAX_LIMIT) {
            return Dashboard.Response.error(400, "offset must be >= 0 and limit 1.." + MAX_LIMIT);
        }
        BatchQuery query = new BatchQuery(states, params.get("stage"), params.get("error"), id);
        List<BatchStatus> page = client.search(query, offset, limit + 1);
        ObjectNode root = JSON.createObjectNode();
        ObjectNode counts = root.putObject("counts");
        long total = 0;
        for (Map.Entry<BatchState, Long> e : client.countByState().entrySet()) {
            counts.put(e.getKey().dbValue(), e.getValue());
            total += e.getValue();
        }
        root.put("total", total);
        root.putPOJO("stageNames", client.stageNames());
        root.putPOJO("atUnknownStages", client.atUnknownStages());
        ArrayNode stalled = root.putArray("stalled");
        client.stalled(stalledAfter, STALLED_LIMIT).forEach(s -> stalled.add(summary(s)));
        root.put("offset", offset);
        root.put("limit", limit);
        root.put("more", page.size() > limit);
        ArrayNode batches = root.putArray("batches");
        page.stream().limit(limit).forEach(s -> batches.add(summary(s)));
        return Dashboard.Response.json(200, write(root));
    }

    Dashboard.Response batch(String idText) {
        long id;
        try {
            id = Long.parseLong(idText);
        } catch (NumberFormatException e) {
            return Dashboard.Response.error(400, "the batch id must be a number, got '" + idText + "'");
        }
        return client.status(id)
                .map(s -> Dashboard.Response.json(200, write(timeline(s))))
                .orElseGet(() -> Dashboard.Response.error(404, "batch " + id + " has no run"));
    }

    Dashboard.Response session(Authorizer authorizer, Dashboard.Request r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("actionsConfigured", authorizer.grantsActions());
        ArrayNode granted = root.putArray("granted");
        String principal = null;
        String refusal = null;
        for (DashboardAction a : DashboardAction.values()) {
            Authorizer.Decision d = authorizer.authorize(a, r);
            if (d.granted()) {
                granted.add(a.pathName());
                principal = d.principal();
            } else if (r.header("Authorization") != null) {
                refusal = d.reason();
            }
        }
        root.put("principal", principal);
        root.put("refusal", refusal);
        return Dashboard.Response.json(200, write(root));
    }

    private ObjectNode timeline(BatchStatus s) {
        ObjectNode root = status(s);
        ObjectNode allowed = root.putObject("allowed");
        allowed.put("retry", s.state() == BatchState.FAILED || s.state() == BatchState.CANCELLED);
        allowed.put("cancel", !s.state().isFinal());
        allowed.put("restart", true);
        List<String> names = client.stageNames();
        int current = s.stage().equals(Pipeline.COMPLETED) ? names.size() : names.indexOf(s.stage());
        ArrayNode stages = root.putArray("timeline");
        for (int i = 0; i < s.stages().size(); i++) {
            BatchStatus.StageView v = s.stages().get(i);
            ObjectNode n = stages.addObject();
            n.put("name", v.name());
            n.put("phase", phase(i, current, s.state()));
            n.put("attempts", v.attempts());
            n.put("invocations", v.invocations());
            n.put("maxInvocationMs", v.maxInvocationMs());
            n.put("startedAt", iso(v.startedAt()));
            n.put("finishedAt", iso(v.finishedAt()));
            if (v.startedAt() != null && v.finishedAt() != null) {
                n.put(
                        "durationMs",
                        Duration.between(v.startedAt(), v.finishedAt()).toMillis());
            } else {
                n.putNull("durationMs");
            }
            n.set("shards", shards(v.shards()));
            n.put("error", i == current ? s.error() : null);
            client.outputPreview(s.batchId(), v.name(), previewChars)
                    .ifPresentOrElse(
                            p -> n.putObject("output").put("text", p.text()).put("truncated", p.truncated()),
                            () -> n.putNull("output"));
        }
        return root;
    }

    /**
     * @param shards a stage's shards, or {@code null} for a stage that did not fan out
     * @return {@code {"total", "completed", "running", "failed"}}, or a JSON null
     */
    static JsonNode shards(BatchStatus.Shards shards) {
        if (shards == null) {
            return NullNode.getInstance();
        }
        return JSON.createObjectNode()
                .put("total", shards.total())
                .put("completed", shards.completed())
                .put("running", shards.running())
                .put("failed", shards.failed());
    }

    private static String phase(int index, int current, BatchState state) {
        if (index < current) {
            return "done";
        }
        if (index > current) {
            return "waiting";
        }
        return switch (state) {
            case IN_PROGRESS -> "running";
            case PENDING -> "pending";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
            case COMPLETED -> "done";
        };
    }

    private static ObjectNode summary(BatchStatus s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("batchId", s.batchId());
        n.put("stage", s.stage());
        n.put("status", s.state().dbValue());
        n.put("attempt", s.attempt());
        String error = s.error();
        n.put("error", error == null || error.length() <= ERROR_CHARS ? error : error.substring(0, ERROR_CHARS) + "…");
        n.put("hasInput", s.hasInput());
        n.put("createdAt", iso(s.createdAt()));
        n.put("updatedAt", iso(s.updatedAt()));
        return n;
    }

    /** The batch's status, the fields of {@code GET /api/batches/{id}}. */
    static ObjectNode status(BatchStatus s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("batchId", s.batchId());
        n.put("stage", s.stage());
        n.put("status", s.state().dbValue());
        n.put("attempt", s.attempt());
        n.put("error", s.error());
        n.put("hasInput", s.hasInput());
        n.put("createdAt", iso(s.createdAt()));
        n.put("updatedAt", iso(s.updatedAt()));
        n.put("leaseOwner", s.leaseOwner());
        n.put("leaseUntil", iso(s.leaseUntil()));
        n.put("runAfter", iso(s.runAfter()));
        return n;
    }

    static byte[] errorJson(String message) {
        return write(JSON.createObjectNode().put("error", message));
    }

    static byte[] write(Object tree) {
        try {
            return JSON.writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    private static int number(String text, int otherwise) {
        if (text == null || text.isBlank()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String iso(Instant i) {
        return i == null ? null : i.toString();
    }
}
