package dev.baton.example.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import java.util.Map;

/**
 * The example's scheduled sweeper (an EventBridge rule every minute):
 * {@code dev.baton.example.lambda.SweepFunction::handleRequest}. One sweep pass, bounded by the invocation's
 * remaining time; answers how many batches it rescued or fired again.
 */
public final class SweepFunction {
    private final LambdaEnvironment environment = LambdaEnvironment.get();

    /**
     * @param event the scheduled event (its content is not read)
     * @param context the invocation
     * @return {@code {"rescued": N}}
     */
    public Map<String, Integer> handleRequest(Map<String, Object> event, Context context) {
        return Map.of("rescued", environment.sweep.handle(context));
    }
}
