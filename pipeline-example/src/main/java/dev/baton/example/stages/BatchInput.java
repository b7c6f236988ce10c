package dev.baton.example.stages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.example.host.HostBatches;
import java.util.Iterator;
import java.util.Optional;

/**
 * What a batch of the example may be started with, the {@code input} of {@code POST /api/process-batch}:
 * {@code {"screenshots": M}} analyses the batch's first {@code M} screenshots (and a new batch is created
 * with {@code M} screenshots) instead of the default count. Without an input, or without the field, the
 * batch is created with the default count and every screenshot it has is analysed.
 *
 * @param screenshots how many screenshots to analyse, 1 to {@value HostBatches#MAX_SCREENSHOTS}; {@code null}
 *     for the default
 */
public record BatchInput(Integer screenshots) {
    /** The field of the screenshot count. */
    public static final String SCREENSHOTS = "screenshots";

    /** @throws IllegalArgumentException if {@code screenshots} is out of range */
    public BatchInput {
        if (screenshots != null && (screenshots < 1 || screenshots > HostBatches.MAX_SCREENSHOTS)) {
            throw new IllegalArgumentException(range("" + screenshots));
        }
    }

    /**
     * Reads and checks the input of a start request strictly, so that a typo is refused instead of ignored.
     *
     * @param input the request's input, or empty for none
     * @return the input
     * @throws IllegalArgumentException naming the field and the accepted values, on an unknown field or a bad count
     */
    public static BatchInput of(Optional<? extends JsonNode> input) {
        if (input.isEmpty()) {
            return new BatchInput(null);
        }
        JsonNode node = input.get();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals(SCREENSHOTS)) {
                String shown = name.length() <= 64 ? name : name.substring(0, 64) + "…";
                throw new IllegalArgumentException("the input has an unknown field '" + shown
                        + "'; this example takes {\"" + SCREENSHOTS + "\": <1.." + HostBatches.MAX_SCREENSHOTS
                        + ">} or no input");
            }
        }
        JsonNode count = node.get(SCREENSHOTS);
        if (count == null || count.isNull()) {
            return new BatchInput(null);
        }
        if (!count.isIntegralNumber() || !count.canConvertToInt()) {
            throw new IllegalArgumentException(range(count.toString()));
        }
        return new BatchInput(count.intValue());
    }

    /**
     * @param defaultCount the count of a batch started without one
     * @return how many screenshots a new batch gets
     */
    public int screenshotsOr(int defaultCount) {
        return screenshots == null ? defaultCount : screenshots;
    }

    private static String range(String got) {
        return "input." + SCREENSHOTS + " must be an integer from 1 to " + HostBatches.MAX_SCREENSHOTS + ", got " + got
                + "; leave it out for the default count";
    }
}
