package dev.baton.pipeline.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * Parses the bodies of the endpoint strictly: a stage request's {@code {"batchId": <positive integer>}}, with
 * {@code "shard": <non-negative integer>} when it runs one shard of a fanned-out stage, and a start's
 * {@code {"batchId": <positive integer>, "input": {…}}} ({@code input} optional). Nothing else in the object, no
 * duplicate keys (in the input too), no trailing tokens, the id a JSON integer that fits a long and is above 0, the
 * shard a JSON integer from 0 to {@link Integer#MAX_VALUE}, the input a JSON object or {@code null}. The input is
 * read with every number exact: decimals as {@link java.math.BigDecimal} with their trailing zeros, big integers as
 * {@link java.math.BigInteger}. Stateless and thread-safe.
 */
final class BatchIdBody {
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    private static final ObjectReader TREES = STRICT.reader();
    private static final String SHAPE = "the body must be exactly {\"batchId\": <positive integer>}, or"
            + " {\"batchId\": <positive integer>, \"shard\": <non-negative integer>}"
            + " for one shard of a fanned-out stage";
    private static final String START_SHAPE =
            "the body must be {\"batchId\": <positive integer>}, optionally with" + " \"input\": {<a JSON object>}";
    private static final Set<String> STAGE_FIELDS = Set.of("batchId", "shard");
    private static final Set<String> START_FIELDS = Set.of("batchId", "input");
    private static final int MAX_ECHO = 64;

    /**
     * @param batchId the id, when valid
     * @param input the start's input, or {@code null} for none (always {@code null} for a stage request)
     * @param shard the shard of a stage request for one shard, or {@link #NO_SHARD}
     * @param error why the body was refused, or {@code null}
     */
    record Parsed(long batchId, ObjectNode input, int shard, String error) {
        boolean ok() {
            return error == null;
        }

        /** @return whether the stage request names a shard */
        boolean hasShard() {
            return shard != NO_SHARD;
        }
    }

    /** {@link Parsed#shard()} of a request that names no shard. */
    static final int NO_SHARD = -1;

    private BatchIdBody() {}

    /**
     * @param body a stage request's body
     * @return the id and the shard, if any, or why the body is not {@code {"batchId": <positive integer>}}
     *     optionally with {@code "shard": <non-negative integer>}
     */
    static Parsed parse(byte[] body) {
        return parse(body, STAGE_FIELDS, SHAPE);
    }

    /**
     * @param body the body of {@code POST /api/process-batch}
     * @return the id and the input (a JSON {@code null} input is none), or why the body is refused
     */
    static Parsed parseStart(byte[] body) {
        return parse(body, START_FIELDS, START_SHAPE);
    }

    private static Parsed parse(byte[] body, Set<String> fields, String shape) {
        JsonNode root;
        try {
            root = TREES.readTree(body);
        } catch (JsonProcessingException e) {
            return refuse("malformed JSON: " + e.getOriginalMessage() + "; " + shape);
        } catch (IOException e) {
            return refuse("unreadable body; " + shape);
        }
        if (root == null || root.isMissingNode()) {
            return refuse("the body is empty; " + shape);
        }
        if (!root.isObject()) {
            return refuse(shape + ", got a JSON " + type(root));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                return refuse("unknown field '" + echo(name) + "'; " + shape);
            }
        }
        JsonNode id = root.get("batchId");
        if (id == null) {
            return refuse("batchId is missing; " + shape);
        }
        if (!id.isIntegralNumber()) {
            return refuse("batchId must be a JSON integer, got "
                    + (id.isNumber() ? "the number " + echo(id.asText()) : "a " + type(id)));
        }
        if (!id.canConvertToLong()) {
            return refuse("batchId " + echo(id.asText()) + " does not fit in a signed 64-bit integer");
        }
        long value = id.longValue();
        if (value <= 0) {
            return refuse("batchId must be positive, got " + value);
        }
        JsonNode shardNode = root.get("shard");
        int shard = NO_SHARD;
        if (shardNode != null) {
            if (!shardNode.isIntegralNumber()) {
                return refuse("shard must be a non-negative JSON integer, got "
                        + (shardNode.isNumber() ? "the number " + echo(shardNode.asText()) : "a " + type(shardNode))
                        + "; leave it out to run the whole stage");
            }
            if (!shardNode.canConvertToInt() || shardNode.intValue() < 0) {
                return refuse("shard must be a non-negative JSON integer below 2^31, got " + echo(shardNode.asText()));
            }
            shard = shardNode.intValue();
        }
        JsonNode input = root.get("input");
        if (input == null || input.isNull()) {
            return new Parsed(value, null, shard, null);
        }
        if (!input.isObject()) {
            return refuse("input must be a JSON object (or null, or left out, for none), got a JSON " + type(input)
                    + "; wrap the value in an object, e.g. {\"batchId\": " + value + ", \"input\": {\"value\": …}}");
        }
        return new Parsed(value, (ObjectNode) input, NO_SHARD, null);
    }

    /**
     * @param text an id from a URL path
     * @return the id, or why it is not one
     */
    static Parsed parsePathId(String text) {
        if (text.length() > 19 || !Ascii.digits(text)) {
            return refuse("the batch id in the path must be a positive integer, got '" + echo(text) + "'");
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return refuse("the batch id in the path does not fit in a signed 64-bit integer");
        }
        return value > 0
                ? new Parsed(value, null, NO_SHARD, null)
                : refuse("the batch id in the path must be positive, got " + value);
    }

    private static Parsed refuse(String why) {
        return new Parsed(0, null, NO_SHARD, why);
    }

    private static String type(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String echo(String s) {
        return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "…";
    }
}
