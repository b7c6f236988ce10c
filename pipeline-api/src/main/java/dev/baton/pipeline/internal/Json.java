package dev.baton.pipeline.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.TreeNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.StageValueException;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.UnstorableValueException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Writes and reads outputs and cursors with a copy of the runner's Jackson mapper, configured so that
 * whatever it writes reads back whole:
 *
 * <ul>
 *   <li>a value Jackson sees no properties in (a class with private fields and no getters) is refused
 *       when written, instead of being stored as {@code {}};
 *   <li>reading has no limit on the length of a string, a number or a property name (Jackson's defaults
 *       are 20,000,000 characters, 1,000 digits and 50,000 characters, which a stored output may pass);
 *       nesting is limited when written ({@link com.fasterxml.jackson.core.StreamWriteConstraints}, 1,000 by
 *       default) and reading allows at least as deep;
 *   <li>an output or partial output read as a tree ({@link TreeNode}, {@code JsonNode}) keeps every number
 *       exact: decimals as {@link java.math.BigDecimal} with their trailing zeros, not doubles.
 * </ul>
 *
 * The host's mapper is never changed.
 */
public final class Json {
    private final ObjectMapper mapper;
    private final ObjectWriter streaming;
    private final ObjectReader exactTrees;

    /**
     * @param host the runner's mapper; copied, never changed
     * @throws IllegalArgumentException if the mapper cannot be copied (a subclass that does not override {@code
     *     copy()})
     */
    public Json(ObjectMapper host) {
        this.mapper = lossless(host);
        // the store owns the writer it hands a source
        this.streaming = mapper.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        this.exactTrees = mapper.reader()
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    }

    public static ObjectMapper defaultMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /** @return a copy of {@code host} that refuses empty beans and reads whatever it writes */
    private static ObjectMapper lossless(ObjectMapper host) {
        ObjectMapper copy;
        try {
            copy = host.copy();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(
                    "the runner copies its ObjectMapper (it never changes the host's) but "
                            + host.getClass().getName() + " cannot be copied: " + e.getMessage()
                            + "; override copy() or pass a JsonMapper",
                    e);
        }
        copy.enable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        JsonFactory factory = copy.getFactory();
        int depth = Math.max(
                factory.streamWriteConstraints().getMaxNestingDepth(),
                factory.streamReadConstraints().getMaxNestingDepth());
        factory.setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .maxNumberLength(Integer.MAX_VALUE)
                .maxNameLength(Integer.MAX_VALUE)
                .maxNestingDepth(depth)
                .maxDocumentLength(-1)
                .maxTokenCount(-1)
                .build());
        return copy;
    }

    public String write(Object value, long batchId, String stage, String what) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException | RuntimeException e) {
            throw writeFailure(value, batchId, stage, what, e);
        }
    }

    /** @return a source that serialises {@code value} straight into the store's writer */
    public JsonSource source(Object value) {
        return JsonSource.streamed(out -> streaming.writeValue(out, value));
    }

    /**
     * @param rejected what the store threw when {@code value}'s source failed to write
     * @return the runner's message for it: what the value was and what to return instead
     */
    public StageValueException writeFailure(Object value, long batchId, String stage, String what, Exception rejected) {
        if (rejected instanceof UnstorableValueException && rejected.getCause() == null) {
            // the store's own refusal (text it cannot store as it is): its message names what and why
            return new StageValueException(
                    "batch " + batchId + " stage " + stage + ": " + rejected.getMessage(), rejected);
        }
        Throwable cause = rejected instanceof UnstorableValueException && rejected.getCause() != null
                ? rejected.getCause()
                : rejected;
        String start = "batch " + batchId + " stage " + stage + ": the " + what + " ("
                + (value == null ? "null" : value.getClass().getName()) + ") cannot be written as JSON: ";
        if (cause instanceof InvalidDefinitionException d
                && d.getType() != null
                && String.valueOf(d.getOriginalMessage()).startsWith("No serializer found")) {
            return new StageValueException(
                    start + d.getType().getRawClass().getName() + path(d)
                            + " has no property Jackson can see (private fields without getters), so it would be "
                            + "stored as {} and lost;"
                            + " make it a record, add public getters, or annotate it with"
                            + " @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)",
                    cause);
        }
        String message = cause instanceof JsonProcessingException j ? j.getOriginalMessage() : cause.toString();
        if (message != null && message.contains("StreamWriteConstraints")) {
            return new StageValueException(
                    start + message + "; nest the value less deeply, or raise the limit on the mapper"
                            + " given to PipelineRunner.Builder.objectMapper "
                            + "(JsonFactory.builder().streamWriteConstraints(...));"
                            + " reading follows it",
                    cause);
        }
        return new StageValueException(
                start + message + "; return records, maps, lists or JsonNode that Jackson can serialise", cause);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().isEmpty() ? "" : " (at " + e.getPathReference() + ")";
    }

    public <T> T read(String text, Class<T> type, long batchId, String stage, String what) {
        try {
            return readerFor(type).readValue(text);
        } catch (JsonProcessingException e) {
            throw readFailure(type, batchId, stage, what, e);
        }
    }

    /**
     * Reads a stored output through the store's reader, never as one string.
     *
     * @return empty when the stage has no output; an empty inner value when the output is JSON {@code null}
     */
    public <T> Optional<Optional<T>> readOutput(
            StageStore store, Class<T> type, long batchId, String stage, String what) {
        return readStored(type, batchId, stage, what, reader -> store.readOutput(batchId, stage, reader));
    }

    /**
     * Reads a batch's stored input through the store's reader, never as one string.
     *
     * @return empty when the batch has no input; an empty inner value when the input is JSON {@code null}
     */
    public <T> Optional<Optional<T>> readInput(StageStore store, Class<T> type, long batchId, String stage) {
        return readStored(type, batchId, stage, "input", reader -> store.readInput(batchId, reader));
    }

    private <T> Optional<Optional<T>> readStored(
            Class<T> type,
            long batchId,
            String stage,
            String what,
            Function<StageStore.JsonReader<Optional<T>>, Optional<Optional<T>>> read) {
        ObjectReader reader = readerFor(type);
        try {
            return read.apply(in -> Optional.ofNullable(reader.readValue(in)));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof JsonProcessingException j) {
                throw readFailure(type, batchId, stage, what, j);
            }
            throw e;
        }
    }

    /** @return the reader for {@code type}: trees keep numbers exact */
    private ObjectReader readerFor(Class<?> type) {
        return TreeNode.class.isAssignableFrom(type) ? exactTrees.forType(type) : mapper.readerFor(type);
    }

    private static StageValueException readFailure(
            Class<?> type, long batchId, String stage, String what, JsonProcessingException e) {
        String whose = "input".equals(what) ? "" : " of stage " + stage;
        return new StageValueException(
                "batch " + batchId + " stage " + stage + ": the stored " + what + whose + " cannot be read as "
                        + type.getName() + ": " + e.getOriginalMessage(),
                e);
    }
}
