package dev.baton.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** Writes and reads outputs and cursors with the runner's Jackson mapper. */
final class Json {
    private final ObjectMapper mapper;

    Json(ObjectMapper mapper) {
        this.mapper = mapper;
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
            throw new PipelineException("batch " + batchId + " stage " + stage + ": the " + what + " ("
                    + (value == null ? "null" : value.getClass().getName()) + ") cannot be written as JSON: "
                    + message(e) + "; return records, maps, lists or JsonNode that Jackson can serialise", e);
        }
    }

    <T> T read(String text, Class<T> type, long batchId, String stage, String what) {
        try {
            return mapper.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new PipelineException("batch " + batchId + ": the stored " + what + " of stage " + stage
                    + " cannot be read as " + type.getName() + ": " + e.getOriginalMessage(), e);
        }
    }

    private static String message(Exception e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
    }
}
