package dev.baton.pipeline.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The body of {@code POST /api/process-batch}, parsed exactly as {@link StageEndpoint} parses it:
 * {@code {"batchId": <positive integer>}}, optionally with {@code "input": {<a JSON object>}}; nothing
 * else, no duplicate keys, no trailing tokens. An {@code input} of JSON {@code null} is the same as none.
 * The input keeps every number exact (decimals as {@link java.math.BigDecimal} with their trailing
 * zeros), so it is stored as the client sent it.
 *
 * <p>A host that wraps the route, to create rows of its own before the batch starts, parses the body
 * with {@link #parse} and acts only on a body the endpoint will accept. Immutable and thread-safe.
 */
public final class StartRequest {
    private final long batchId;
    private final ObjectNode input;

    private StartRequest(long batchId, ObjectNode input) {
        this.batchId = batchId;
        this.input = input;
    }

    /**
     * @param body the raw request body
     * @return the request
     * @throws IllegalArgumentException if the endpoint would refuse the body with a 400; the message is
     *     the 400's {@code error}
     */
    public static StartRequest parse(byte[] body) {
        BatchIdBody.Parsed parsed = BatchIdBody.parseStart(body == null ? new byte[0] : body);
        if (!parsed.ok()) {
            throw new IllegalArgumentException(parsed.error());
        }
        return new StartRequest(parsed.batchId(), parsed.input());
    }

    /** @return the batch to start, positive */
    public long batchId() {
        return batchId;
    }

    /** @return a copy of the input; empty when the body has none or a JSON {@code null} one */
    public Optional<ObjectNode> input() {
        return Optional.ofNullable(input).map(ObjectNode::deepCopy);
    }

    /** @return whether the body has an input */
    public boolean hasInput() {
        return input != null;
    }

    @Override
    public String toString() {
        String fields = input == null ? "none" : input.size() + " field(s)";
        return "StartRequest[batchId=" + batchId + ", input=" + fields + "]";
    }
}
