package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** An invocation's context as Lambda gives it: above all, the deadline {@link #getRemainingTimeInMillis} counts to. */
final class TestContext implements Context {
    private final long deadlineMillis;
    private final String requestId = UUID.randomUUID().toString();

    private TestContext(long deadlineMillis) {
        this.deadlineMillis = deadlineMillis;
    }

    /** @return a context whose invocation ends {@code timeout} from now */
    static TestContext endingIn(Duration timeout) {
        return new TestContext(System.currentTimeMillis() + timeout.toMillis());
    }

    /** @return when the invocation ends, to the millisecond, as the Runtime API's deadline header says */
    Instant deadline() {
        return Instant.ofEpochMilli(deadlineMillis);
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/test";
    }

    @Override
    public String getLogStreamName() {
        return "test";
    }

    @Override
    public String getFunctionName() {
        return "test";
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:eu-west-1:000000000000:function:test";
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, deadlineMillis - System.currentTimeMillis());
    }

    @Override
    public int getMemoryLimitInMB() {
        return 1024;
    }

    @Override
    public LambdaLogger getLogger() {
        return new LambdaLogger() {
            @Override
            public void log(String message) {
                System.out.println(message);
            }

            @Override
            public void log(byte[] message) {
                System.out.println(new String(message, StandardCharsets.UTF_8));
            }
        };
    }
}
