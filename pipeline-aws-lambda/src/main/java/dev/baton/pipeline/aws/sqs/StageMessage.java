package dev.baton.pipeline.aws.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The body of an SQS message that asks for "run stage S of batch B": {@code {"batchId":123,"stage":"setup"}}.
 * Ids only, never an output: at most a few dozen bytes plus the stage name, far below SQS's 256 KiB.
 *
 * @param batchId the batch
 * @param stage the stage
 */
public record StageMessage(long batchId, String stage) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @throws NullPointerException if {@code stage} is {@code null} */
    public StageMessage {
        Objects.requireNonNull(stage, "stage");
    }

    /** @return the message body */
    public String body() {
        return JSON.createObjectNode()
                .put("batchId", batchId)
                .put("stage", stage)
                .toString();
    }

    /**
     * @param body a message body
     * @return the message, or empty when the body is not {@code {"batchId": <integer>, "stage": "<name>"}}
     */
    public static Optional<StageMessage> parse(String body) {
        if (body == null) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null
                    || !n.isObject()
                    || !n.path("batchId").canConvertToExactIntegral()
                    || !n.path("batchId").canConvertToLong()
                    || !n.path("stage").isTextual()) {
                return Optional.empty();
            }
            return Optional.of(
                    new StageMessage(n.get("batchId").asLong(), n.get("stage").asText()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
