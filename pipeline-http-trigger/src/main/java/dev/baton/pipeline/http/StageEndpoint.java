package dev.baton.pipeline.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageValueException;
import dev.baton.pipeline.UnknownStageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the HTTP surface (docs/architecture.md, section 5.2), independent of any web framework:
 * a {@link Request} (method, path, headers, body bytes) goes in, a {@link Response} (status, JSON)
 * comes out.
 * <ul>
 *   <li>{@code POST <stage path>{stage}} (the {@link StagePath}, default
 *       {@value #STAGE_PREFIX}; the same as the {@link HttpTrigger}'s) with {@code {"batchId":123}}, signed (see
 *       {@link RequestSigner}): runs one invocation of the stage within this request through
 *       {@link PipelineRunner#runStage} and answers 200 with the outcome. With {@code {"batchId":123,"shard":4}}
 *       it runs one invocation of that shard of a fanned-out stage instead, with the same deadline as a stage
 *       ({@link PipelineRunner#runShard(long, String, int, Instant)}); the
 *       shard is inside the signed body, so it cannot be changed in transit. 401 bad or missing signature
 *       (or a timestamp more than 300 s from the verifier's clock), 413 body over the limit, 400
 *       malformed body, 404 unknown stage or batch, 409 the batch is not at that stage (a duplicate or
 *       late trigger, or a shard that is not pending: nothing ran).</li>
 *   <li>{@code POST /api/process-batch} with {@code {"batchId":123}} or
 *       {@code {"batchId":123,"input":{…}}} ({@link StartRequest}): starts the batch through
 *       {@link BatchClient#start(long, Object, java.time.Duration, String)}, the input (a JSON object, stored
 *       as sent, numbers exact) beside it, and the request's {@code traceparent} header, if any, as the
 *       parent of the batch's trace, and answers 202 with its queue row and {@code "created": true}.
 *       Idempotent: the same id with an equal input (the same JSON text), or again without one, answers 202
 *       with the existing run and {@code "created": false}; another input, or an input where the run has none (or the
 *       reverse), is a 409 that changes nothing. 400 on a bad body (an input that is not a JSON object
 *       included), 413 on an oversized one; neither touches the store. It is the public entry
 *       point, called by browsers and host services that do not hold the pipeline secret, so it needs
 *       no signature; guard it with {@link Builder#clientAuthorizer} (a session or API-key check, or
 *       {@code r -> verifier.verify(r.header(RequestSigner.HEADER), r.body()) == Result.VALID}).</li>
 *   <li>{@code GET /api/batches/{batchId}}: the batch's status JSON ({@code hasInput} says whether it
 *       was started with an input), 404 when it has no run; behind the same authorizer.</li>
 *   <li>{@code GET /health}: 200.</li>
 * </ul>
 * Any other path is 404, a wrong method 405. Nothing is read or written before the path, method,
 * size, signature and body have been checked. Unexpected errors are logged with the batch and stage
 * and answered 500 with an incident id, never with a stack trace or SQL.
 *
 * <p>Mounting it: {@link StageHttpServer} does it for the JDK server. In a servlet:
 * <pre>{@code
 * protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
 *     Map<String, List<String>> headers = new HashMap<>();
 *     for (String n : Collections.list(req.getHeaderNames())) headers.put(n, Collections.list(req.getHeaders(n)));
 *     StageEndpoint.Response r = endpoint.handle(new StageEndpoint.Request(req.getMethod(),
 * req.getRequestURI().substring(req.getContextPath().length()), headers, endpoint.readBody(req.getInputStream())));
 *     resp.setStatus(r.status());
 *     r.headers().forEach(resp::setHeader);
 *     resp.getOutputStream().write(r.body());
 * }
 * }</pre>
 * In Spring MVC:
 * <pre>{@code
 * @RequestMapping({"/api/**", "/health"})
 * ResponseEntity<byte[]> baton(HttpServletRequest req, @RequestHeader MultiValueMap<String, String> headers)
 *         throws IOException {
 *     StageEndpoint.Response r = endpoint.handle(new StageEndpoint.Request(req.getMethod(), req.getRequestURI(),
 *             headers, endpoint.readBody(req.getInputStream())));
 *     ResponseEntity.BodyBuilder answer = ResponseEntity.status(r.status());
 *     r.headers().forEach((name, value) -> answer.header(name, value));
 *     return answer.body(r.body());
 * }
 * }</pre>
 * A host on a platform that freezes the process once the answer is written (AWS Lambda, for one)
 * calls {@link HttpTrigger#awaitIdle} between {@code handle} and writing the answer, so that the
 * next stage's request has left. Thread-safe: one instance serves any number of concurrent requests.
 */
public final class StageEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(StageEndpoint.class);

    /** Default path prefix of stage requests ({@link StagePath#DEFAULT}); the stage name follows. */
    public static final String STAGE_PREFIX = StagePath.DEFAULT_VALUE;
    /** Path that starts a batch. */
    public static final String START_PATH = "/api/process-batch";
    /** Path prefix of the status of a batch; the batch id follows. */
    public static final String STATUS_PREFIX = "/api/batches/";
    /** Path of the health check. */
    public static final String HEALTH_PATH = "/health";
    /** Default largest accepted request body: 64 KiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;

    private final PipelineRunner runner;
    private final SignatureVerifier verifier;
    private final StagePath stagePath;
    private final int maxBodyBytes;
    private final Predicate<Request> clientAuthorizer;
    private final ShardInvocation shards;

    /**
     * Runs one shard invocation of a stage request that names a shard: {@link PipelineRunner#runShard(long, String,
     * int, Instant)}, or a test's recorder.
     */
    @FunctionalInterface
    interface ShardInvocation {
        /**
         * @param deadline the host's deadline for the invocation, or {@code null}
         * @return what the shard invocation did
         */
        StageOutcome run(long batchId, String stage, int shard, Instant deadline);
    }

    private StageEndpoint(Builder b) {
        this.runner = b.runner;
        this.verifier = b.verifier;
        this.stagePath = b.stagePath;
        this.maxBodyBytes = b.maxBodyBytes;
        this.clientAuthorizer = b.clientAuthorizer;
        this.shards = b.shards != null ? b.shards : b.runner::runShard;
    }

    /**
     * @param runner runs the stages and starts batches
     * @param verifier checks the signatures of stage requests
     * @return a builder
     */
    public static Builder builder(PipelineRunner runner, SignatureVerifier verifier) {
        return new Builder(runner, verifier);
    }

    /** @return the path prefix of the stage requests this endpoint serves */
    public StagePath stagePath() {
        return stagePath;
    }

    /** @return the largest accepted body in bytes */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /**
     * Reads a request body, but never more than {@link #maxBodyBytes()} + 1 bytes, so that an
     * oversized upload is recognised (and answered 413 by {@link #handle}) without being buffered.
     *
     * @param in the request body stream; not closed
     * @return the bytes read
     * @throws IOException if reading fails
     */
    public byte[] readBody(InputStream in) throws IOException {
        return in.readNBytes(maxBodyBytes + 1);
    }

    /**
     * Answers one request. Never throws: every failure becomes a response.
     *
     * @param request the request
     * @return the response
     */
    public Response handle(Request request) {
        return handle(request, null);
    }

    /**
     * Answers one request whose stage, if it runs one, must end its work by {@code stageDeadline}:
     * the host's own limit (a serverless invocation's remaining time less what the commit and the
     * hand-off need), passed to {@link PipelineRunner#runStage(long, String, Instant)}. The stage's
     * deadline is the earlier of this and its budget. Never throws.
     *
     * @param request the request
     * @param stageDeadline the latest a stage run by this request may work, or {@code null} for its budget alone
     * @return the response
     */
    public Response handle(Request request, Instant stageDeadline) {
        try {
            return route(request, stageDeadline);
        } catch (RuntimeException e) {
            String incident = incident();
            LOG.error("{} {}: unexpected error (incident {})", request.method(), request.path(), incident, e);
            return Response.json(
                    500, EndpointJson.error("internal error (incident " + incident + "); see the server log"));
        }
    }

    private Response route(Request r, Instant stageDeadline) {
        String path = r.path();
        if (path.equals(HEALTH_PATH)) {
            return r.method().equals("GET") || r.method().equals("HEAD")
                    ? Response.json(200, EndpointJson.health())
                    : methodNotAllowed("GET, HEAD");
        }
        if (path.equals(START_PATH)) {
            return r.method().equals("POST") ? start(r) : methodNotAllowed("POST");
        }
        if (path.startsWith(STATUS_PREFIX)) {
            return r.method().equals("GET")
                    ? status(r, path.substring(STATUS_PREFIX.length()))
                    : methodNotAllowed("GET");
        }
        if (stagePath.covers(path)) {
            String stage = stagePath.stageOf(path);
            if (!runner.pipeline().contains(stage)) {
                // not signed yet: say nothing about the pipeline's stages to an unauthenticated caller
                return Response.json(404, EndpointJson.error("unknown stage"));
            }
            return r.method().equals("POST") ? runStage(r, stage, stageDeadline) : methodNotAllowed("POST");
        }
        return Response.json(404, EndpointJson.error("no such endpoint"));
    }

    private Response runStage(Request r, String stage, Instant stageDeadline) {
        Optional<Response> refused = tooLarge(r);
        if (refused.isPresent()) {
            return refused.get();
        }
        SignatureVerifier.Result signature = verifier.verify(r.header(RequestSigner.HEADER), r.body());
        if (signature != SignatureVerifier.Result.VALID) {
            LOG.warn("stage {}: refused a request with signature {}", stage, signature);
            return Response.json(401, EndpointJson.error(unsigned(signature)));
        }
        BatchIdBody.Parsed body = BatchIdBody.parse(r.body());
        if (!body.ok()) {
            return Response.json(400, EndpointJson.error(body.error()));
        }
        long batchId = body.batchId();
        if (body.hasShard()) {
            return runShard(batchId, stage, body.shard(), stageDeadline);
        }
        StageOutcome outcome;
        try {
            outcome = runner.runStage(batchId, stage, stageDeadline);
        } catch (UnknownStageException e) {
            return Response.json(
                    404,
                    EndpointJson.error("unknown stage; this pipeline has "
                            + runner.pipeline().stageNames()));
        } catch (RuntimeException e) {
            String incident = incident();
            LOG.error(
                    "batch {} stage {}: the stage request failed (incident {}); the stall sweeper will resume the "
                            + "batch",
                    batchId,
                    stage,
                    incident,
                    e);
            return Response.json(
                    500,
                    EndpointJson.error("internal error running stage " + stage + " of batch " + batchId + " (incident "
                            + incident + "); see the server log"));
        }
        return switch (outcome.kind()) {
            case NOT_FOUND -> Response.json(404, EndpointJson.error(outcome.detail()));
            case NOT_CLAIMED -> Response.json(409, EndpointJson.outcome(outcome, outcome.detail()));
            default -> Response.json(200, EndpointJson.outcome(outcome, null));
        };
    }

    private Response runShard(long batchId, String stage, int shard, Instant stageDeadline) {
        StageOutcome outcome;
        try {
            outcome = shards.run(batchId, stage, shard, stageDeadline);
        } catch (UnknownStageException e) {
            return Response.json(
                    404,
                    EndpointJson.error("unknown stage; this pipeline has "
                            + runner.pipeline().stageNames()));
        } catch (RuntimeException e) {
            String incident = incident();
            LOG.error(
                    "batch {} stage {} shard {}: the shard request failed (incident {}); the stall sweeper will"
                            + " resume the shard",
                    batchId,
                    stage,
                    shard,
                    incident,
                    e);
            return Response.json(
                    500,
                    EndpointJson.error("internal error running shard " + shard + " of stage " + stage + " of batch "
                            + batchId + " (incident " + incident + "); see the server log"));
        }
        return switch (outcome.kind()) {
            case NOT_FOUND -> Response.json(404, EndpointJson.error(outcome.detail()));
            case NOT_CLAIMED -> Response.json(409, EndpointJson.outcome(outcome, shard, outcome.detail()));
            default -> Response.json(200, EndpointJson.outcome(outcome, shard, null));
        };
    }

    /** @return the request's one {@code traceparent} header, or {@code null} when it has none or several */
    private static String traceParent(Request r) {
        List<String> values = r.header(HttpTrigger.TRACE_HEADER);
        return values.size() == 1 ? values.get(0).strip() : null;
    }

    private Response start(Request r) {
        if (!clientAuthorizer.test(r)) {
            return Response.json(401, EndpointJson.error("not authorized to start batches"));
        }
        Optional<Response> refused = tooLarge(r);
        if (refused.isPresent()) {
            return refused.get();
        }
        BatchIdBody.Parsed body = BatchIdBody.parseStart(r.body());
        if (!body.ok()) {
            return Response.json(400, EndpointJson.error(body.error()));
        }
        long batchId = body.batchId();
        JsonNode input = body.input();
        BatchClient client = runner.client();
        try {
            BatchClient.Started started = client.start(batchId, input, Duration.ZERO, traceParent(r));
            return Response.json(202, EndpointJson.started(started.status(), started.created()));
        } catch (BatchConflictException e) {
            boolean runHasInput =
                    client.status(batchId).map(BatchStatus::hasInput).orElse(input == null);
            return Response.json(409, EndpointJson.error(conflict(batchId, runHasInput, input != null)));
        } catch (StageValueException e) {
            return Response.json(
                    400,
                    EndpointJson.error("the input of batch " + batchId + " cannot be stored as it is (" + e.getMessage()
                            + "); nothing was started"));
        } catch (RuntimeException e) {
            String incident = incident();
            LOG.error(
                    "batch {} stage {}: starting the batch failed (incident {})",
                    batchId,
                    runner.pipeline().first().name(),
                    incident,
                    e);
            return Response.json(
                    500,
                    EndpointJson.error("internal error starting batch " + batchId + " (incident " + incident
                            + "); see the server log"));
        }
    }

    private static String conflict(long batchId, boolean runHasInput, boolean requestHasInput) {
        String why;
        if (runHasInput && requestHasInput) {
            why = "was started with another input";
        } else if (runHasInput) {
            why = "was started with an input and this request has none";
        } else {
            why = "was started without an input and this request has one";
        }
        return "batch " + batchId + " already has a pipeline run that " + why + "; a batch id names one piece of"
                + " work: send the same input (the same JSON text) to get that run, or start the new work under a new"
                + " batch id; see GET " + STATUS_PREFIX + batchId + ", and retry or restart the run through the"
                + " operations";
    }

    private Response status(Request r, String idText) {
        if (!clientAuthorizer.test(r)) {
            return Response.json(401, EndpointJson.error("not authorized to read batches"));
        }
        BatchIdBody.Parsed id = BatchIdBody.parsePathId(idText);
        if (!id.ok()) {
            return Response.json(400, EndpointJson.error(id.error()));
        }
        return runner.client()
                .status(id.batchId())
                .map(s -> Response.json(200, EndpointJson.status(s)))
                .orElseGet(
                        () -> Response.json(404, EndpointJson.error("batch " + id.batchId() + " has no pipeline run")));
    }

    private Optional<Response> tooLarge(Request r) {
        boolean declaredTooLarge = r.header("Content-Length").stream().anyMatch(v -> {
            String t = v.trim();
            return Ascii.digits(t) && (t.length() > 12 || Long.parseLong(t) > maxBodyBytes);
        });
        if (declaredTooLarge || r.body().length > maxBodyBytes) {
            return Optional.of(
                    Response.json(413, EndpointJson.error("the body is larger than " + maxBodyBytes + " bytes")));
        }
        return Optional.empty();
    }

    private static String unsigned(SignatureVerifier.Result result) {
        return switch (result) {
            case MISSING -> "missing " + RequestSigner.HEADER + " header";
            case MALFORMED -> RequestSigner.HEADER + " must be t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">";
            case OUTSIDE_TOLERANCE ->
                "the signature's timestamp is too far from the server's clock (stale, replayed or clock skew)";
            default -> "the signature does not match";
        };
    }

    private static Response methodNotAllowed(String allowed) {
        return new Response(
                405,
                Map.of("Content-Type", Response.JSON, "Allow", allowed),
                EndpointJson.error("method not allowed; use " + allowed));
    }

    private static String incident() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * One request as the web framework received it.
     *
     * @param method the HTTP method, e.g. {@code POST} (case-sensitive, as HTTP defines it)
     * @param path the raw (not percent-decoded) path relative to where the endpoint is mounted, without
     *     the query, e.g. {@code /api/batch-processing/setup}
     * @param headers the request headers; names are matched case-insensitively
     * @param body the raw body, read with {@link StageEndpoint#readBody}; not copied, so do not change
     *     it afterwards (the record is otherwise immutable)
     */
    public record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {

        /**
         * Copies the headers into a case-insensitive, read-only map.
         *
         * @param method the HTTP method
         * @param path the raw path
         * @param headers the request headers, or {@code null} for none
         * @param body the raw body, or {@code null} for none
         * @throws NullPointerException if {@code method} or {@code path} is {@code null}
         */
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            TreeMap<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            if (headers != null) {
                headers.forEach((name, values) -> {
                    if (name != null && values != null) {
                        h.computeIfAbsent(name, k -> new ArrayList<>())
                                .addAll(values.stream().filter(Objects::nonNull).toList());
                    }
                });
            }
            h.replaceAll((k, v) -> List.copyOf(v));
            headers = Collections.unmodifiableMap(h);
            body = body == null ? new byte[0] : body;
        }

        /**
         * @param name a header name, any case
         * @return its values, empty when absent
         */
        public List<String> header(String name) {
            return headers.getOrDefault(name, List.of());
        }
    }

    /**
     * One answer.
     *
     * @param status the HTTP status
     * @param headers the response headers to set
     * @param body the body, UTF-8 JSON; not copied, so do not change it (the record is otherwise immutable)
     */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        static final String JSON = "application/json; charset=utf-8";

        /**
         * Copies the headers.
         *
         * @param status the HTTP status
         * @param headers the response headers
         * @param body the body
         * @throws NullPointerException if {@code headers} or {@code body} is {@code null}
         */
        public Response {
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        static Response json(int status, byte[] body) {
            return new Response(status, Map.of("Content-Type", JSON), body);
        }

        /** @return the {@code Content-Type} header */
        public String contentType() {
            return headers.getOrDefault("Content-Type", JSON);
        }

        /** @return the body as text */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Builds a {@link StageEndpoint}; every setter validates its value. Not thread-safe. */
    public static final class Builder {
        private final PipelineRunner runner;
        private final SignatureVerifier verifier;
        private StagePath stagePath = StagePath.DEFAULT;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Predicate<Request> clientAuthorizer = r -> true;
        private ShardInvocation shards;

        private Builder(PipelineRunner runner, SignatureVerifier verifier) {
            this.runner = Objects.requireNonNull(runner, "runner");
            this.verifier = Objects.requireNonNull(verifier, "verifier");
        }

        /**
         * @param stagePath the path prefix of stage requests, e.g. {@code /jobs/stages/} (rules in
         *     {@link StagePath}); default {@value StageEndpoint#STAGE_PREFIX}; the senders'
         *     {@link HttpTrigger.Builder#stagePath} must be the same. The default path then answers 404.
         * @return this
         * @throws IllegalArgumentException if it is not a valid stage path
         */
        public Builder stagePath(String stagePath) {
            return stagePath(StagePath.of(stagePath));
        }

        /**
         * @param stagePath the path prefix of stage requests, the same as the senders' {@link HttpTrigger#stagePath()}
         * @return this
         */
        public Builder stagePath(StagePath stagePath) {
            this.stagePath = Objects.requireNonNull(stagePath, "stagePath");
            return this;
        }

        /**
         * @param maxBodyBytes largest accepted request body, 64 bytes to 16 MiB; default 64 KiB
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxBodyBytes(int maxBodyBytes) {
            if (maxBodyBytes < 64 || maxBodyBytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be between 64 and 16777216, got " + maxBodyBytes);
            }
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /**
         * @param clientAuthorizer decides whether a request may start a batch or read a batch's status
         *     (answered 401 when it returns {@code false}); default: everyone may
         * @return this
         */
        public Builder clientAuthorizer(Predicate<Request> clientAuthorizer) {
            this.clientAuthorizer = Objects.requireNonNull(clientAuthorizer, "clientAuthorizer");
            return this;
        }

        /**
         * Runs shard requests through {@code shards} instead of the runner: a seam for tests.
         *
         * @return this
         */
        Builder shardInvocation(ShardInvocation shards) {
            this.shards = Objects.requireNonNull(shards, "shards");
            return this;
        }

        /** @return the endpoint */
        public StageEndpoint build() {
            return new StageEndpoint(this);
        }
    }
}
