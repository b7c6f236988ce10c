package dev.baton.pipeline;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Writes and reads outputs and cursors with the runner's Jackson mapper. */
final class Json {
    private final ObjectMapper mapper;
    private final ObjectWriter streaming;

    Json(ObjectMapper mapper) {
        this.mapper = mapper;
        // the store owns the writer it hands a source
        this.streaming = mapper.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    }

    static ObjectMapper defaultMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    String write(Object value, long batchId, String stage, String what) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException | RuntimeException e) {
            throw writeFailure(value, batchId, stage, what, e);
        }
    }

    /** @return a source that serialises {@code value} straight into the store's writer */
    JsonSource source(Object value) {
        return JsonSource.streamed(out -> streaming.writeValue(out, value));
    }

    /**
     * @param rejected what the store threw when {@code value}'s source failed to write
     * @return the runner's message for it: what the value was and what to return instead
     */
    PipelineException writeFailure(Object value, long batchId, String stage, String what, Exception rejected) {
        Throwable cause = rejected instanceof IllegalArgumentException && rejected.getCause() != null ? rejected.getCause() : rejected;
        String message = cause instanceof JsonProcessingException j ? j.getOriginalMessage() : cause.toString();
        return new PipelineException("batch " + batchId + " stage " + stage + ": the " + what + " ("
                + (value == null ? "null" : value.getClass().getName()) + ") cannot be written as JSON: "
                + message + "; return records, maps, lists or JsonNode that Jackson can serialise", cause);
    }

    <T> T read(String text, Class<T> type, long batchId, String stage, String what) {
        try {
            return mapper.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw readFailure(type, batchId, stage, what, e);
        }
    }

    /**
     * Reads a stored output through the store's reader, never as one string.
     *
     * @return empty when the stage has no output; an empty inner value when the output is JSON {@code null}
     */
    <T> Optional<Optional<T>> readOutput(StageStore store, Class<T> type, long batchId, String stage, String what) {
        try {
            return store.readOutput(batchId, stage, in -> Optional.ofNullable(mapper.readValue(in, type)));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof JsonProcessingException j) {
                throw readFailure(type, batchId, stage, what, j);
            }
            throw e;
        }
    }

    private static PipelineException readFailure(Class<?> type, long batchId, String stage, String what, JsonProcessingException e) {
        return new PipelineException("batch " + batchId + ": the stored " + what + " of stage " + stage
                + " cannot be read as " + type.getName() + ": " + e.getOriginalMessage(), e);
    }
}
