package dev.baton.pipeline.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Iterator;

/**
 * Parses the body {@code {"batchId": <positive integer>}} strictly: nothing else in the object, no
 * duplicate keys, no trailing tokens, the id a JSON integer that fits a long and is above 0.
 * Stateless and thread-safe.
 */
final class BatchIdBody {
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final String SHAPE = "the body must be exactly {\"batchId\": <positive integer>}";
    private static final int MAX_ECHO = 64;

    /**
     * @param batchId the id, when valid
     * @param error why the body was refused, or {@code null}
     */
    record Parsed(long batchId, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private BatchIdBody() {}

    static Parsed parse(byte[] body) {
        JsonNode root;
        try {
            root = STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            return refuse("malformed JSON: " + e.getOriginalMessage() + "; " + SHAPE);
        } catch (IOException e) {
            return refuse("unreadable body; " + SHAPE);
        }
        if (root == null || root.isMissingNode()) {
            return refuse("the body is empty; " + SHAPE);
        }
        if (!root.isObject()) {
            return refuse(SHAPE + ", got a JSON " + type(root));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("batchId")) {
                return refuse("unknown field '" + echo(name) + "'; " + SHAPE);
            }
        }
        JsonNode id = root.get("batchId");
        if (id == null) {
            return refuse("batchId is missing; " + SHAPE);
        }
        if (!id.isIntegralNumber()) {
            return refuse("batchId must be a JSON integer, got " + (id.isNumber() ? "the number " + echo(id.asText()) : "a " + type(id)));
        }
        if (!id.canConvertToLong()) {
            return refuse("batchId " + echo(id.asText()) + " does not fit in a signed 64-bit integer");
        }
        long value = id.longValue();
        if (value <= 0) {
            return refuse("batchId must be positive, got " + value);
        }
        return new Parsed(value, null);
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
        return value > 0 ? new Parsed(value, null) : refuse("the batch id in the path must be positive, got " + value);
    }

    private static Parsed refuse(String why) {
        return new Parsed(0, why);
    }

    private static String type(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String echo(String s) {
        return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "…";
    }
}
