package dev.baton.example.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;

/**
 * The example's Lambda handler for Function URL (and HTTP API) events:
 * {@code dev.baton.example.lambda.StageFunction::handleRequest}. Serves the signed stage route, the host's
 * {@code POST /api/process-batch}, {@code GET /api/batches/{id}} and {@code /health}; each stage's deadline is
 * the invocation's remaining time less the margin. The environment's parts are built when Lambda constructs
 * the handler, in its init phase.
 */
public final class StageFunction {
    private final LambdaEnvironment environment = LambdaEnvironment.get();

    /**
     * @param event the HTTP event
     * @param context the invocation
     * @return the answer
     */
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        environment.coldStart.invocationStarted();
        try {
            return environment.http.handle(event, context);
        } finally {
            environment.coldStart.invocationEnded();
        }
    }
}
