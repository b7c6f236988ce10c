package dev.baton.example.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small stand-in for the Lambda service, enough to run the example on the official runtime interface
 * client: each function has a queue of invocations and up to {@code maxEnvironments} execution
 * environments, each a JVM ({@code java -cp <jar> AWSLambda <handler>}) with its own Runtime API server
 * ({@code /2018-06-01/runtime/invocation/next}, {@code /response}, {@code /error}, {@code /init/error}).
 * Like Lambda it enforces the timeout: at an invocation's deadline it kills that JVM, answers the caller
 * 502, and starts a fresh environment (a cold start) when work waits. Optionally it freezes an environment
 * between invocations ({@code kill -STOP}, {@code kill -CONT} when it is given the next one) and kills a
 * share of environments in the middle of an invocation. A "function URL" turns HTTP requests into payload
 * 2.0 events; a schedule invokes another function (the sweeper) every so often.
 */
final class LambdaEmulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path jar;
    private final Path logs;
    private final Map<String, String> environment;
    private final List<Function> functions = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, daemon("emulator-timer"));
    private final ExecutorService runtimeThreads = Executors.newCachedThreadPool(daemon("emulator-runtime"));
    private final SplittableRandom random = new SplittableRandom(42);
    private final HttpServer functionUrl;
    private volatile Function urlTarget;
    private volatile boolean closed;

    /**
     * @param jar the Lambda jar
     * @param logs where each environment's output goes, one file per environment
     * @param environment the variables of every environment; {@code PIPELINE_API_URL} is added: {@link #url()}
     */
    LambdaEmulator(Path jar, Path logs, Map<String, String> environment) throws IOException {
        this.jar = jar;
        this.logs = Files.createDirectories(logs);
        this.functionUrl = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        functionUrl.setExecutor(Executors.newCachedThreadPool(daemon("emulator-url")));
        functionUrl.createContext("/", this::functionUrlRequest);
        functionUrl.start();
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("PIPELINE_API_URL", url().toString());
        this.environment = Map.copyOf(env);
    }

    /** @return the function URL's base, e.g. {@code http://127.0.0.1:41234} */
    URI url() {
        return URI.create("http://127.0.0.1:" + functionUrl.getAddress().getPort());
    }

    /** Sends the requests on the function URL to {@code target}, each as a payload 2.0 event. */
    void route(Function target) {
        this.urlTarget = target;
    }

    /** How a function is deployed. */
    record Deployment(
            String name,
            String handler,
            Duration timeout,
            int maxEnvironments,
            boolean freeze,
            double killShare,
            Map<String, String> extraEnvironment) {}

    Function deploy(Deployment d) {
        Function f = new Function(d);
        functions.add(f);
        return f;
    }

    private void functionUrlRequest(HttpExchange exchange) {
        try (exchange) {
            Function target = urlTarget;
            if (target == null) {
                send(exchange, 404, "{\"Message\":\"no function behind this URL\"}");
                return;
            }
            byte[] event = httpEvent(exchange);
            Result r = target.invoke(event).get(target.deployment.timeout().toMillis() + 60_000, TimeUnit.MILLISECONDS);
            if (r.error() != null) {
                send(exchange, 502, "{\"Message\":\"" + r.error().replace("\"", "'") + "\"}");
                return;
            }
            JsonNode answer = JSON.readTree(r.body());
            answer.path("headers")
                    .fields()
                    .forEachRemaining(h -> exchange.getResponseHeaders()
                            .set(h.getKey(), h.getValue().asText()));
            String body = answer.path("body").asText("");
            byte[] bytes = answer.path("isBase64Encoded").asBoolean()
                    ? Base64.getDecoder().decode(body)
                    : body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.path("statusCode").asInt(500), bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (Exception e) {
            try {
                send(exchange, 502, "{\"Message\":\"" + e.toString().replace("\"", "'") + "\"}");
            } catch (IOException | RuntimeException ignored) {
                // the caller has gone, or the answer was already begun
            }
        }
    }

    /** Invokes {@code target} with a scheduled event every {@code every}, skipping a tick while one runs. */
    void schedule(Function target, Duration every) {
        AtomicInteger running = new AtomicInteger();
        timer.scheduleWithFixedDelay(
                () -> {
                    if (closed || running.get() > 0) {
                        return;
                    }
                    running.incrementAndGet();
                    target.invoke(scheduledEvent()).whenComplete((r, e) -> running.decrementAndGet());
                },
                every.toMillis(),
                every.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private static byte[] httpEvent(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        ObjectNode e = JSON.createObjectNode();
        e.put("version", "2.0");
        e.put("routeKey", "$default");
        e.put("rawPath", exchange.getRequestURI().getRawPath());
        e.put(
                "rawQueryString",
                Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse(""));
        ObjectNode headers = e.putObject("headers");
        exchange.getRequestHeaders()
                .forEach((name, values) -> headers.put(name.toLowerCase(), String.join(",", values)));
        ObjectNode context = e.putObject("requestContext");
        context.put("accountId", "anonymous");
        context.put("apiId", "emulator");
        context.put("domainName", "127.0.0.1");
        context.put("requestId", UUID.randomUUID().toString());
        context.put("routeKey", "$default");
        context.put("stage", "$default");
        context.put("timeEpoch", System.currentTimeMillis());
        ObjectNode http = context.putObject("http");
        http.put("method", exchange.getRequestMethod());
        http.put("path", exchange.getRequestURI().getRawPath());
        http.put("protocol", "HTTP/1.1");
        http.put("sourceIp", "127.0.0.1");
        http.put("userAgent", exchange.getRequestHeaders().getFirst("User-Agent"));
        // as a function URL does for a body it does not take for text: base64, which the handler must decode
        e.put("body", Base64.getEncoder().encodeToString(body));
        e.put("isBase64Encoded", true);
        return JSON.writeValueAsBytes(e);
    }

    private static byte[] scheduledEvent() {
        return ("{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"Scheduled Event\","
                        + "\"source\":\"aws.events\",\"detail\":{}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** What an invocation ended with: the handler's answer, or the platform's error. */
    record Result(byte[] body, String error) {}

    private record Invocation(String id, byte[] event, CompletableFuture<Result> result) {}

    /** One deployed function: its queue and its execution environments. */
    final class Function {
        final Deployment deployment;
        private final LinkedBlockingQueue<Invocation> queue = new LinkedBlockingQueue<>();
        private final List<Environment> environments = new CopyOnWriteArrayList<>();
        private final AtomicInteger started = new AtomicInteger();
        final AtomicInteger timeoutKills = new AtomicInteger();
        final AtomicInteger chaosKills = new AtomicInteger();
        final AtomicInteger invocations = new AtomicInteger();
        final AtomicInteger freezes = new AtomicInteger();
        /** Invocation wall times, answer included, in ms. */
        final List<Long> durations = new CopyOnWriteArrayList<>();

        private Function(Deployment deployment) {
            this.deployment = deployment;
        }

        int coldStarts() {
            return started.get();
        }

        List<Path> logFiles() {
            List<Path> files = new ArrayList<>();
            for (int i = 1; i <= started.get(); i++) {
                files.add(logs.resolve(deployment.name() + "-" + i + ".log"));
            }
            return files;
        }

        CompletableFuture<Result> invoke(byte[] event) {
            Invocation inv = new Invocation(UUID.randomUUID().toString(), event, new CompletableFuture<>());
            queue.add(inv);
            invocations.incrementAndGet();
            dispatch();
            return inv.result();
        }

        /** Makes sure someone will take the queued work: thaw a frozen idle environment, or start one. */
        private synchronized void dispatch() {
            if (closed || queue.isEmpty()) {
                return;
            }
            long waiting = environments.stream().filter(e -> e.waiting).count();
            if (waiting >= queue.size()) {
                return;
            }
            for (Environment e : environments) {
                if (e.frozen && !e.busy) {
                    e.thaw();
                    return;
                }
            }
            long starting = environments.stream().filter(e -> e.starting).count();
            if (starting + waiting >= queue.size()) {
                return;
            }
            if (environments.size() < deployment.maxEnvironments()) {
                try {
                    environments.add(new Environment(this, started.incrementAndGet()));
                } catch (IOException ex) {
                    throw new IllegalStateException("cannot start an execution environment", ex);
                }
            }
        }

        private void gone(Environment e) {
            environments.remove(e);
            dispatch();
        }
    }

    /** One execution environment: a JVM running the runtime interface client against its own Runtime API. */
    private final class Environment {
        private final Function function;
        private final HttpServer api;
        private final Process process;
        private volatile boolean starting = true;
        private volatile boolean waiting;
        private volatile boolean busy;
        private volatile boolean frozen;
        private volatile boolean dead;
        private volatile Invocation current;
        private volatile long invokedAt;

        Environment(Function function, int number) throws IOException {
            this.function = function;
            this.api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            api.setExecutor(runtimeThreads);
            api.createContext("/2018-06-01/runtime/", this::runtime);
            api.start();
            Deployment d = function.deployment;
            List<String> command = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+TieredCompilation",
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-Xshare:auto",
                    "-Xmx384m",
                    "-Djava.awt.headless=true",
                    "-XX:ErrorFile=" + logs.resolve("hs_err_%p.log"),
                    "-cp",
                    jar.toString(),
                    "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                    d.handler());
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(environment);
            pb.environment().putAll(d.extraEnvironment());
            pb.environment()
                    .put(
                            "AWS_LAMBDA_RUNTIME_API",
                            "127.0.0.1:" + api.getAddress().getPort());
            pb.environment().put("AWS_LAMBDA_FUNCTION_NAME", d.name());
            pb.environment().put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            pb.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
            pb.environment().put("AWS_REGION", "eu-west-1");
            pb.environment().put("_HANDLER", d.handler());
            pb.redirectErrorStream(true);
            pb.redirectOutput(logs.resolve(d.name() + "-" + number + ".log").toFile());
            this.process = pb.start();
            process.onExit().thenRun(this::exited);
        }

        private void runtime(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (path.endsWith("/invocation/next")) {
                    next(exchange);
                } else if (path.endsWith("/response") || path.endsWith("/error")) {
                    finished(exchange, path);
                } else if (path.endsWith("/init/error")) {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    send(exchange, 202, "{}");
                    System.err.println(
                            function.deployment.name() + ": init error " + new String(body, StandardCharsets.UTF_8));
                    kill(false);
                } else {
                    send(exchange, 404, "{}");
                }
            }
        }

        private void next(HttpExchange exchange) throws IOException {
            starting = false;
            waiting = true;
            function.dispatch();
            Invocation inv = null;
            try {
                while (inv == null && !closed && !dead) {
                    inv = function.queue.poll(200, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            waiting = false;
            if (inv == null) {
                send(exchange, 503, "{}");
                return;
            }
            synchronized (this) {
                // under the monitor freeze() holds: an environment is never stopped while it has an invocation
                busy = true;
                current = inv;
                thaw();
            }
            long deadline =
                    System.currentTimeMillis() + function.deployment.timeout().toMillis();
            invokedAt = System.currentTimeMillis();
            Invocation taken = inv;
            timer.schedule(() -> timedOut(taken), function.deployment.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (function.deployment.killShare() > 0 && nextDouble() < function.deployment.killShare()) {
                long at = 300
                        + (long) (nextDouble() * (function.deployment.timeout().toMillis() - 1_000));
                timer.schedule(() -> chaos(taken), at, TimeUnit.MILLISECONDS);
            }
            exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", inv.id());
            exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", Long.toString(deadline));
            exchange.getResponseHeaders()
                    .set(
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:eu-west-1:000000000000:function:" + function.deployment.name());
            exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, inv.event().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(inv.event());
            }
        }

        private void finished(HttpExchange exchange, String path) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Invocation inv = current;
            send(exchange, 202, "{\"status\":\"OK\"}");
            if (inv == null || !path.contains(inv.id())) {
                return;
            }
            function.durations.add(System.currentTimeMillis() - invokedAt);
            synchronized (this) {
                current = null;
                busy = false;
            }
            if (function.deployment.freeze() && !dead) {
                freeze();
            }
            inv.result()
                    .complete(
                            path.endsWith("/error")
                                    ? new Result(null, "function error: " + new String(body, StandardCharsets.UTF_8))
                                    : new Result(body, null));
            function.dispatch();
        }

        private void timedOut(Invocation inv) {
            if (current == inv && !inv.result().isDone()) {
                function.timeoutKills.incrementAndGet();
                kill(true);
                inv.result()
                        .complete(new Result(
                                null,
                                "Task timed out after "
                                        + function.deployment.timeout().toMillis() + " ms"));
            }
        }

        private void chaos(Invocation inv) {
            if (current == inv && !inv.result().isDone()) {
                function.chaosKills.incrementAndGet();
                kill(true);
                inv.result().complete(new Result(null, "Runtime exited (killed by the emulator)"));
            }
        }

        private synchronized void freeze() {
            if (!frozen && !busy && current == null && signal("-STOP")) {
                frozen = true;
                function.freezes.incrementAndGet();
            }
        }

        synchronized void thaw() {
            if (frozen) {
                signal("-CONT");
                frozen = false;
            }
        }

        private boolean signal(String which) {
            try {
                Process kill = new ProcessBuilder("kill", which, Long.toString(process.pid()))
                        .redirectErrorStream(true)
                        .start();
                return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        void kill(boolean forcibly) {
            dead = true;
            if (frozen) {
                signal("-CONT");
            }
            if (forcibly) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
        }

        private void exited() {
            dead = true;
            api.stop(0);
            Invocation inv = current;
            if (inv != null) {
                inv.result().complete(new Result(null, "Runtime exited with code " + process.exitValue()));
            }
            function.gone(this);
        }
    }

    private synchronized double nextDouble() {
        return random.nextDouble();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** @return per function, its timeout and chaos kills so far, for failure messages */
    String kills() {
        StringBuilder b = new StringBuilder();
        for (Function f : functions) {
            b.append(f.deployment.name())
                    .append(": ")
                    .append(f.timeoutKills.get())
                    .append(" at the timeout, ")
                    .append(f.chaosKills.get())
                    .append(" mid-invocation; ");
        }
        return b.toString();
    }

    /** Environments of every function, alive now. */
    int alive() {
        return functions.stream().mapToInt(f -> f.environments.size()).sum();
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        functionUrl.stop(0);
        for (Function f : functions) {
            for (Environment e : f.environments) {
                e.kill(true);
            }
        }
        for (Function f : functions) {
            for (Environment e : f.environments) {
                try {
                    e.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        runtimeThreads.shutdownNow();
    }
}
