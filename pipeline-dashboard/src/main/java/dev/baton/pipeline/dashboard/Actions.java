package dev.baton.pipeline.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchNotFoundException;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.UnknownStageException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The action routes: cross-site check, authorization, body, then the {@link BatchClient} call. Every
 * action, done or refused, is logged with its principal, batch and stage. Thread-safe.
 */
final class Actions {
    private static final Logger LOG = LoggerFactory.getLogger(Actions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BatchClient client;
    private final Authorizer authorizer;
    private final CrossSiteGuard guard;

    Actions(BatchClient client, Authorizer authorizer, CrossSiteGuard guard) {
        this.client = client;
        this.authorizer = authorizer;
        this.guard = guard;
    }

    Dashboard.Response handle(Dashboard.Request r) {
        String[] parts = r.path().split("/");
        String idText = parts[3];
        DashboardAction action = DashboardAction.valueOf(parts[4].toUpperCase(Locale.ROOT));
        Dashboard.Response refused = guard.check(r);
        if (refused != null) {
            LOG.warn(
                    "dashboard: refused {} of batch {} ({}; Origin {}, Sec-Fetch-Site {}): {}",
                    action.pathName(),
                    idText,
                    refused.status(),
                    r.header("Origin"),
                    r.header("Sec-Fetch-Site"),
                    refused.bodyText());
            return refused;
        }
        Authorizer.Decision decision = authorizer.authorize(action, r);
        if (!decision.granted()) {
            int status = decision.outcome() == Authorizer.Outcome.UNAUTHENTICATED ? 401 : 403;
            LOG.warn(
                    "dashboard: refused {} of batch {} ({}): {}", action.pathName(), idText, status, decision.reason());
            Dashboard.Response answer = Dashboard.Response.error(status, decision.reason());
            if (status == 401) {
                Map<String, String> h = new LinkedHashMap<>(answer.headers());
                h.put("WWW-Authenticate", "Bearer realm=\"baton-dashboard\"");
                answer = new Dashboard.Response(401, h, answer.body());
            }
            return answer;
        }
        if (r.body().length > Dashboard.MAX_BODY_BYTES) {
            return Dashboard.Response.error(413, "the body is larger than " + Dashboard.MAX_BODY_BYTES + " bytes");
        }
        long batchId;
        try {
            batchId = Long.parseLong(idText);
        } catch (NumberFormatException e) {
            return Dashboard.Response.error(400, "the batch id must be a positive number, got '" + idText + "'");
        }
        if (batchId <= 0) {
            return Dashboard.Response.error(400, "the batch id must be a positive number, got " + batchId);
        }
        JsonNode body;
        try {
            body = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            return Dashboard.Response.error(400, "batch " + batchId + ": the body is not JSON");
        }
        if (body == null || !body.isObject()) {
            return Dashboard.Response.error(400, "batch " + batchId + ": the body must be a JSON object");
        }
        String principal = decision.principal();
        Optional<BatchStatus> before = client.status(batchId);
        try {
            BatchStatus after;
            switch (action) {
                case RETRY -> after = client.retry(batchId);
                case CANCEL -> after = client.cancel(batchId);
                default -> {
                    JsonNode stage = body.get("stage");
                    if (stage == null || !stage.isTextual() || stage.asText().isBlank()) {
                        return Dashboard.Response.error(
                                400, "batch " + batchId + ": restart needs a body {\"stage\": \"<stage name>\"}");
                    }
                    after = client.restart(batchId, stage.asText());
                }
            }
            LOG.info(
                    "dashboard: {} {} batch {} at stage '{}' (it was {} at stage '{}'); now {} at '{}'",
                    principal,
                    past(action),
                    batchId,
                    action == DashboardAction.RESTART
                            ? after.stage()
                            : before.map(BatchStatus::stage).orElse("?"),
                    before.map(s -> s.state().dbValue()).orElse("?"),
                    before.map(BatchStatus::stage).orElse("?"),
                    after.state().dbValue(),
                    after.stage());
            return Dashboard.Response.json(200, Views.write(Views.status(after)));
        } catch (UnknownStageException e) {
            LOG.warn("dashboard: {} asked to restart batch {}: {}", principal, batchId, e.getMessage());
            return Dashboard.Response.error(400, e.getMessage());
        } catch (BatchNotFoundException e) {
            LOG.warn("dashboard: {} asked to {} batch {}, which has no run", principal, action.pathName(), batchId);
            return Dashboard.Response.error(404, e.getMessage());
        } catch (BatchConflictException e) {
            LOG.warn(
                    "dashboard: {} asked to {} batch {} at stage '{}': {}",
                    principal,
                    action.pathName(),
                    batchId,
                    before.map(BatchStatus::stage).orElse("?"),
                    e.getMessage());
            return Dashboard.Response.error(409, e.getMessage());
        }
    }

    private static String past(DashboardAction a) {
        return switch (a) {
            case RETRY -> "retried";
            case CANCEL -> "cancelled";
            case RESTART -> "restarted";
        };
    }
}
