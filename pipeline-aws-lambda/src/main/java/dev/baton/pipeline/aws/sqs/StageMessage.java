package dev.baton.pipeline.aws.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The body of an SQS message that asks for "run stage S of batch B": {@code {"batchId":123,"stage":"setup"}}, or,
 * for one shard of a fanned-out stage, "run shard k of stage S of batch B":
 * {@code {"batchId":123,"stage":"annotation","shard":4}}. Ids only, never an output: at most a few dozen bytes plus
 * the stage name, far below SQS's 256 KiB.
 *
 * @param batchId the batch
 * @param stage the stage
 * @param shard the shard to run, from 0, or {@link #NO_SHARD} for the stage itself
 */
public record StageMessage(long batchId, String stage, int shard) {
    /** {@link #shard()} of a message that runs the stage itself, not one shard of it. */
    public static final int NO_SHARD = -1;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @throws NullPointerException if {@code stage} is {@code null}
     * @throws IllegalArgumentException if {@code shard} is below {@link #NO_SHARD}
     */
    public StageMessage {
        Objects.requireNonNull(stage, "stage");
        if (shard < NO_SHARD) {
            throw new IllegalArgumentException(
                    "batch " + batchId + " stage " + stage + ": shard must be >= 0, got " + shard);
        }
    }

    /**
     * A message that runs the stage itself.
     *
     * @param batchId the batch
     * @param stage the stage
     */
    public StageMessage(long batchId, String stage) {
        this(batchId, stage, NO_SHARD);
    }

    /** @return whether the message runs one shard of a fanned-out stage */
    public boolean hasShard() {
        return shard != NO_SHARD;
    }

    /** @return the message body; {@code shard} only when the message runs a shard */
    public String body() {
        ObjectNode n = JSON.createObjectNode().put("batchId", batchId).put("stage", stage);
        if (hasShard()) {
            n.put("shard", shard);
        }
        return n.toString();
    }

    /** @return "batch N stage S", with " shard k" when the message runs a shard, for logs */
    public String describe() {
        return "batch " + batchId + " stage " + stage + (hasShard() ? " shard " + shard : "");
    }

    /**
     * @param body a message body
     * @return the message, or empty when the body is not {@code {"batchId": <integer>, "stage": "<name>"}}, with
     *     optionally {@code "shard": <integer from 0>}
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
            int shard = NO_SHARD;
            JsonNode k = n.get("shard");
            if (k != null) {
                if (!k.isIntegralNumber() || !k.canConvertToInt() || k.intValue() < 0) {
                    return Optional.empty();
                }
                shard = k.intValue();
            }
            return Optional.of(
                    new StageMessage(n.get("batchId").asLong(), n.get("stage").asText(), shard));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
