package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.baton.pipeline.http.StageEndpoint;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link StageEndpoint}'s HTTP contract from a Lambda Function URL or an API Gateway HTTP API
 * (payload 2.0): the signed stage route with the same status codes and signature check, and, unless
 * turned off, the start, status and health routes.
 *
 * <p>The budget is the platform's: a stage run by an invocation must end its work
 * {@link Builder#margin margin} before the invocation's deadline ({@code context.getRemainingTimeInMillis()}),
 * or at the end of its own budget if that comes first. Before the answer is returned, the handler waits
 * (bounded by what is left of the invocation) until the {@link HandOff} says that every trigger fired has
 * left the process, because Lambda freezes the environment once the answer is written; what has not left
 * by then is logged and left to the stall sweeper. Thread-safe; build one per execution environment.
 */
public final class LambdaHttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LambdaHttpHandler.class);

    /** Default time kept back from the invocation's deadline for the commit and the hand-off: 3 s. */
    public static final Duration DEFAULT_MARGIN = Duration.ofSeconds(3);
    /** Default longest wait for the hand-off before answering: 2.5 s. */
    public static final Duration DEFAULT_HAND_OFF_WAIT = Duration.ofMillis(2500);

    private final StageEndpoint endpoint;
    private final HandOff handOff;
    private final Duration margin;
    private final Duration handOffWait;
    private final boolean clientRoutes;
    private final Map<String, BiFunction<StageEndpoint.Request, Instant, StageEndpoint.Response>> routes;
    private final Clock clock;

    private LambdaHttpHandler(Builder b) {
        this.endpoint = b.endpoint;
        this.handOff = b.handOff;
        this.margin = b.margin;
        this.handOffWait = b.handOffWait;
        this.clientRoutes = b.clientRoutes;
        this.routes = Map.copyOf(b.routes);
        this.clock = b.clock;
    }

    /**
     * @param endpoint Baton's endpoint, built on the environment's runner
     * @return a builder
     */
    public static Builder builder(StageEndpoint endpoint) {
        return new Builder(endpoint);
    }

    /**
     * Answers one HTTP event; never throws.
     *
     * @param event the Function URL or HTTP API event
     * @param context the invocation; its remaining time is the budget
     * @return the answer
     */
    public APIGatewayV2HTTPResponse handle(APIGatewayV2HTTPEvent event, Context context) {
        long began = System.nanoTime();
        InvocationBudget budget = InvocationBudget.of(context, margin, clock);
        StageEndpoint.Response response;
        try {
            response = answer(HttpEvents.request(event), budget.stageDeadline());
        } catch (IllegalArgumentException e) {
            response = new StageEndpoint.Response(
                    400,
                    Map.of("Content-Type", "application/json; charset=utf-8"),
                    ("{\"error\":\"" + e.getMessage().replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        long answered = System.nanoTime();
        awaitHandOff(handOff, budget, handOffWait, event.getRawPath());
        long done = System.nanoTime();
        LOG.info(
                "{} {}: {} in {} ms, of which {} ms waiting for the hand-off",
                event.getRequestContext() == null || event.getRequestContext().getHttp() == null
                        ? "?"
                        : event.getRequestContext().getHttp().getMethod(),
                event.getRawPath(),
                response.status(),
                (done - began) / 1_000_000,
                (done - answered) / 1_000_000);
        return HttpEvents.response(response);
    }

    private StageEndpoint.Response answer(StageEndpoint.Request request, Instant stageDeadline) {
        BiFunction<StageEndpoint.Request, Instant, StageEndpoint.Response> route = routes.get(request.path());
        if (route != null) {
            return route.apply(request, stageDeadline);
        }
        if (!clientRoutes
                && (request.path().equals(StageEndpoint.START_PATH)
                        || request.path().startsWith(StageEndpoint.STATUS_PREFIX))) {
            return new StageEndpoint.Response(
                    404,
                    Map.of("Content-Type", "application/json; charset=utf-8"),
                    "{\"error\":\"no such endpoint\"}".getBytes(StandardCharsets.UTF_8));
        }
        return endpoint.handle(request, stageDeadline);
    }

    /** Waits for the hand-off within the invocation's time; logs what it leaves to the sweeper. */
    static void awaitHandOff(HandOff handOff, InvocationBudget budget, Duration cap, String what) {
        Duration wait = budget.handOffWait(cap);
        try {
            if (!handOff.awaitIdle(wait)) {
                LOG.warn(
                        "{}: triggers still in flight after waiting {} ms with {} ms of the invocation left; the"
                                + " environment may be frozen before they leave: the stall sweeper will fire them",
                        what,
                        wait.toMillis(),
                        budget.left().toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builds a {@link LambdaHttpHandler}; every setter checks its value. Not thread-safe. */
    public static final class Builder {
        private final StageEndpoint endpoint;
        private HandOff handOff = HandOff.NONE;
        private Duration margin = DEFAULT_MARGIN;
        private Duration handOffWait = DEFAULT_HAND_OFF_WAIT;
        private boolean clientRoutes = true;
        private final Map<String, BiFunction<StageEndpoint.Request, Instant, StageEndpoint.Response>> routes =
                new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();

        private Builder(StageEndpoint endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        }

        /**
         * @param handOff waits until the triggers fired have left the process, e.g. {@code httpTrigger::awaitIdle};
         *     default {@link HandOff#NONE}
         * @return this
         */
        public Builder handOff(HandOff handOff) {
            this.handOff = Objects.requireNonNull(handOff, "handOff");
            return this;
        }

        /**
         * @param margin kept back from the invocation's deadline for the commit and the hand-off, 0 to 10 min;
         *     default 3 s
         * @return this
         */
        public Builder margin(Duration margin) {
            this.margin = range("margin", margin);
            return this;
        }

        /**
         * @param handOffWait the longest wait for the hand-off before answering, 0 to 10 min; default 2.5 s
         * @return this
         */
        public Builder handOffWait(Duration handOffWait) {
            this.handOffWait = range("handOffWait", handOffWait);
            return this;
        }

        /**
         * @param clientRoutes {@code false} to answer 404 to the start and status routes (serve only stages and
         *     health, and start batches elsewhere); default {@code true}
         * @return this
         */
        public Builder clientRoutes(boolean clientRoutes) {
            this.clientRoutes = clientRoutes;
            return this;
        }

        /**
         * @param path an exact raw path, e.g. {@code /api/process-batch}, that the host answers itself (the
         *     route gets the request and the stage deadline, and may hand on to the endpoint)
         * @param route the host's route
         * @return this
         */
        public Builder route(String path, BiFunction<StageEndpoint.Request, Instant, StageEndpoint.Response> route) {
            routes.put(Objects.requireNonNull(path, "path"), Objects.requireNonNull(route, "route"));
            return this;
        }

        /**
         * @param clock the clock the deadline is computed with; default system UTC, the runner's
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @return the handler */
        public LambdaHttpHandler build() {
            return new LambdaHttpHandler(this);
        }

        static Duration range(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException(name + " must be 0..10min, got " + d);
            }
            return d;
        }
    }
}
