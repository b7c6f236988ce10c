package dev.baton.example.cli;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.baton.example.stages.StageNames;
import dev.baton.pipeline.http.RequestSigner;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code test-batch-api}: a smoke script. Calls every endpoint of a running app once (process-batch
 * twice, to check that the same start again answers the same) and reports each answer against what
 * the contract allows; exits 0 when every answer was allowed.
 */
@Command(
        name = "test-batch-api",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Calls every endpoint of a running app (health, process-batch with an optional input and again,"
                + " batch status, each stage, bad bodies) and reports each result. Stage calls are signed with"
                + " $PIPELINE_SIGNING_SECRET when it is set.")
public final class TestBatchApiCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EXAMPLE_INPUT = "{\"screenshots\": 3}";
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final CommandContext context;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int failures;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "batchId",
            defaultValue = "1",
            description = "The batch to use (default: ${DEFAULT-VALUE}).")
    long batchId;

    @Option(
            names = "--url",
            paramLabel = "URL",
            defaultValue = "${env:PIPELINE_API_URL:-http://localhost:3000}",
            description = "The app (default: $PIPELINE_API_URL or ${DEFAULT-VALUE}).")
    String url;

    @Option(
            names = "--input",
            paramLabel = "JSON",
            description = "The batch's input, a JSON object sent as it is, e.g. '" + EXAMPLE_INPUT + "'"
                    + " (default: none).")
    String input;

    /** @param context the environment and streams */
    public TestBatchApiCommand(CommandContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    @Override
    public Integer call() throws Exception {
        if (batchId <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "batchId must be positive, got " + batchId);
        }
        URI base;
        try {
            base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (base.getScheme() == null || !base.getScheme().startsWith("http") || base.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--url '" + url + "' is not an http(s) URL, e.g. http://localhost:3000");
        }
        String start = "{\"batchId\":" + batchId + (input == null ? "" : ",\"input\":" + checkedInput()) + "}";
        String secret = context.env().apply(RequestSigner.SECRET_ENV);
        RequestSigner signer = secret != null && secret.length() >= 16
                ? RequestSigner.builder().secret(secret).build()
                : null;
        String body = "{\"batchId\":" + batchId + "}";
        context.out()
                .println("testing " + base + " with batch " + batchId
                        + (input == null ? "" : " and input " + input)
                        + (signer != null
                                ? ""
                                : " (no PIPELINE_SIGNING_SECRET: stage calls go unsigned and must be refused)"));
        try {
            check("GET", base, "/health", null, null, Set.of(200));
            int started = check("POST", base, "/api/process-batch", start, null, Set.of(202, 409));
            check("POST", base, "/api/process-batch", start, null, Set.of(started == 409 ? 409 : 202));
            check("GET", base, "/api/batches/" + batchId, null, null, Set.of(200));
            for (String stage : StageNames.ALL) {
                String signature =
                        signer == null ? null : signer.sign(body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
                check(
                        "POST",
                        base,
                        "/api/batch-processing/" + stage,
                        body,
                        signature,
                        signer != null ? Set.of(200, 409) : Set.of(401));
            }
            check("POST", base, "/api/batch-processing/no-such-stage", body, null, Set.of(404));
            check("POST", base, "/api/process-batch", "{\"batchId\":", null, Set.of(400));
            check("POST", base, "/api/process-batch", "{\"batchId\":" + batchId + ",\"input\":[]}", null, Set.of(400));
            check("GET", base, "/api/batches/" + batchId, null, null, Set.of(200));
        } catch (ConnectException e) {
            context.err()
                    .println("nothing answers at " + base
                            + ": start the app first (java -jar pipeline-example.jar serve), or pass --url");
            return 1;
        }
        context.out()
                .println(
                        failures == 0
                                ? "all endpoints answered as expected"
                                : failures + " endpoint(s) answered unexpectedly");
        return failures == 0 ? 0 : 1;
    }

    /** @return {@code --input}, once it is known to be one JSON object */
    private String checkedInput() {
        JsonNode parsed;
        try {
            parsed = STRICT.readTree(input);
        } catch (IOException e) {
            String why = e.getMessage().lines().findFirst().orElse("");
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--input is not JSON (" + why + "); give a JSON object, e.g. '" + EXAMPLE_INPUT + "'");
        }
        if (parsed == null || !parsed.isObject()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--input must be a JSON object, e.g. '" + EXAMPLE_INPUT + "'");
        }
        return input;
    }

    /** @return the status the app answered */
    private int check(String method, URI base, String path, String body, String signature, Set<Integer> expected)
            throws IOException, InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (body != null) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.GET();
        }
        if (signature != null) {
            request.header(RequestSigner.HEADER, signature);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        boolean ok = expected.contains(response.statusCode());
        if (!ok) {
            failures++;
        }
        context.out()
                .printf(
                        "%s %-4s %-40s -> %d (expected %s)  %s%n",
                        ok ? "ok  " : "FAIL",
                        method,
                        path,
                        response.statusCode(),
                        expected.stream()
                                .sorted()
                                .map(String::valueOf)
                                .reduce((a, b) -> a + " or " + b)
                                .orElse(""),
                        summary(response.body()));
        return response.statusCode();
    }

    private static String summary(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("stages") && n.has("status")) {
                return "stage=" + n.path("stage").asText() + " status="
                        + n.path("status").asText() + " attempt="
                        + n.path("attempt").asText()
                        + " hasInput=" + n.path("hasInput").asText()
                        + (n.path("error").isNull()
                                ? ""
                                : " error=" + n.path("error").asText());
            }
            if (n != null && n.has("created") && n.has("currentStage")) {
                return "created=" + n.path("created").asText() + " stage="
                        + n.path("currentStage").asText() + " status="
                        + n.path("status").asText() + " hasInput="
                        + n.path("hasInput").asText();
            }
        } catch (IOException e) {
            // not JSON: shown as text below
        }
        String s = body == null ? "" : body.strip().replace('\n', ' ');
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }
}
