package dev.baton.example.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;

/**
 * The example's handler for SQS events, when stages hand off through a queue ({@code PIPELINE_SQS_QUEUE_URL}):
 * {@code dev.baton.example.lambda.QueueFunction::handleRequest}, on an event source mapping with
 * {@code ReportBatchItemFailures}. Runs each message's stage with the invocation's remaining time less the
 * margin as its deadline and reports the messages to deliver again.
 */
public final class QueueFunction {
    private final LambdaEnvironment environment = LambdaEnvironment.get();

    /**
     * @param event the messages
     * @param context the invocation
     * @return the messages that failed
     */
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        environment.coldStart.invocationStarted();
        try {
            return environment.queue.handle(event, context);
        } finally {
            environment.coldStart.invocationEnded();
        }
    }
}
