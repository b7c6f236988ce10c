package dev.baton.pipeline.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** Maps a queue row (selected with {@link #COLUMNS}) to a {@link BatchRecord}; writes stage stats as JSON. */
final class BatchRowMapper implements RowMapper<BatchRecord> {
    static final BatchRowMapper ROWS = new BatchRowMapper();
    static final String COLUMNS =
            "batch_id, current_stage, status, attempt, error_message, version, lease_owner, lease_until,"
                    + " run_after, cursor::text AS cursor_json, stage_stats::text AS stats_json, created_at, "
                    + "updated_at,"
                    + " input_digest IS NOT NULL AS has_input, trace_context";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();
    private static final TypeReference<Map<String, StageStats>> STATS = new TypeReference<>() {};

    @Override
    public BatchRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new BatchRecord(
                rs.getLong("batch_id"),
                rs.getString("current_stage"),
                BatchState.fromDb(rs.getString("status")),
                rs.getInt("attempt"),
                rs.getString("error_message"),
                rs.getLong("version"),
                rs.getString("lease_owner"),
                instant(rs, "lease_until"),
                instant(rs, "run_after"),
                rs.getString("cursor_json"),
                readStats(rs.getString("stats_json")),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                rs.getBoolean("has_input"),
                rs.getString("trace_context"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Map<String, StageStats> readStats(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, STATS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stage_stats is not valid: " + e.getOriginalMessage(), e);
        }
    }

    static String writeStats(StageStats stats) {
        try {
            return JSON.writeValueAsString(stats);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write stage stats " + stats, e);
        }
    }
}
