package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.ShardState;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Maps a shard row joined with its batch's queue row (selected with {@link #COLUMNS}, the shard table as
 * {@code s} and the queue as {@code q}) to a {@link ShardRecord}.
 */
final class ShardRowMapper implements RowMapper<ShardRecord> {
    static final ShardRowMapper ROWS = new ShardRowMapper();
    static final String COLUMNS = "s.batch_id, s.stage, s.shard, s.shards, s.status, s.attempt, s.error_message,"
            + " s.version, s.lease_owner, s.lease_until, s.run_after, s.cursor::text AS cursor_json, s.from_item,"
            + " s.to_item, s.items, s.started_at, s.finished_at, q.input_digest IS NOT NULL AS has_input,"
            + " q.trace_context";

    @Override
    public ShardRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new ShardRecord(
                rs.getLong("batch_id"),
                rs.getString("stage"),
                rs.getInt("shard"),
                rs.getInt("shards"),
                ShardState.fromDb(rs.getString("status")),
                rs.getInt("attempt"),
                rs.getString("error_message"),
                rs.getLong("version"),
                rs.getString("lease_owner"),
                BatchRowMapper.instant(rs, "lease_until"),
                BatchRowMapper.instant(rs, "run_after"),
                rs.getString("cursor_json"),
                rs.getInt("from_item"),
                rs.getInt("to_item"),
                rs.getInt("items"),
                BatchRowMapper.instant(rs, "started_at"),
                BatchRowMapper.instant(rs, "finished_at"),
                rs.getBoolean("has_input"),
                rs.getString("trace_context"));
    }
}
