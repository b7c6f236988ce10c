package dev.baton.pipeline.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Maps a queue row (selected with {@link #COLUMNS}) to a {@link BatchRecord}; writes and reads stage stats.
 *
 * <p>{@code stage_stats} is a jsonb object, one member per stage. Baton 0.3 writes each stage's stats as an array
 * {@code [attempts, invocations, maxInvocationMs, startedAt, finishedAt]} with the times in microseconds since the
 * epoch (PostgreSQL's own precision) or null: the whole queue row is rewritten by every transition, and the array is
 * about a third of the object that 0.2 wrote ({@code {"attempts":1,"invocations":1,"maxInvocationMs":5,
 * "startedAt":"2026-01-01T00:00:00.123456Z","finishedAt":...}}), which rows written by 0.2 still hold and which is
 * read as well.
 */
final class BatchRowMapper implements RowMapper<BatchRecord> {
    static final BatchRowMapper ROWS = new BatchRowMapper();
    static final String COLUMNS =
            "batch_id, current_stage, status, attempt, error_message, version, lease_owner, lease_until,"
                    + " run_after, cursor::text AS cursor_json, stage_stats::text AS stats_json, created_at, "
                    + "updated_at,"
                    + " input_digest IS NOT NULL AS has_input, trace_context";

    private static final ObjectMapper JSON =
            JsonMapper.builder().addModule(new JavaTimeModule()).build();
    private static final long MICROS_PER_SECOND = 1_000_000L;

    @Override
    public BatchRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return read(rs);
    }

    /** @return the batch of the current row of {@code rs} */
    static BatchRecord read(ResultSet rs) throws SQLException {
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

    /**
     * @param json the text of a {@code stage_stats} column, or null
     * @return the stats by stage, of either form (see the class comment)
     * @throws IllegalStateException if the text is not such an object
     */
    static Map<String, StageStats> readStats(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            JsonNode all = JSON.readTree(json);
            if (!all.isObject()) {
                throw new IllegalStateException("stage_stats is not a JSON object: " + json);
            }
            Map<String, StageStats> stats = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                stats.put(e.getKey(), stageStats(e.getKey(), e.getValue()));
            }
            return stats;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stage_stats is not valid: " + e.getOriginalMessage(), e);
        }
    }

    private static StageStats stageStats(String stage, JsonNode node) throws JsonProcessingException {
        if (node.isObject()) {
            return JSON.treeToValue(node, StageStats.class);
        }
        if (!node.isArray() || node.size() != 5) {
            throw new IllegalStateException("stage_stats of stage '" + stage
                    + "' is neither [attempts, invocations, maxInvocationMs, startedAt, finishedAt] nor an object: "
                    + node);
        }
        return new StageStats(
                node.get(0).asInt(),
                node.get(1).asInt(),
                node.get(2).asLong(),
                instant(node.get(3)),
                instant(node.get(4)));
    }

    private static Instant instant(JsonNode micros) {
        if (micros.isNull()) {
            return null;
        }
        long m = micros.asLong();
        return Instant.ofEpochSecond(Math.floorDiv(m, MICROS_PER_SECOND), Math.floorMod(m, MICROS_PER_SECOND) * 1_000L);
    }

    private static String micros(Instant t) {
        if (t == null) {
            return "null";
        }
        return Long.toString(
                Math.addExact(Math.multiplyExact(t.getEpochSecond(), MICROS_PER_SECOND), t.getNano() / 1_000L));
    }

    /** @return {@code stats} as the compact array of the class comment; times lose what is finer than a microsecond */
    static String writeStats(StageStats stats) {
        return "[" + stats.attempts() + "," + stats.invocations() + "," + stats.maxInvocationMs() + ","
                + micros(stats.startedAt()) + "," + micros(stats.finishedAt()) + "]";
    }
}
