package dev.baton.pipeline.http;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Every row of Baton's two tables as text, with each row's {@code xmin}: any write to a row, even one
 * that leaves its values as they were, gives it a new {@code xmin}, so equal snapshots mean the
 * database was not touched.
 */
record TableSnapshot(List<Map<String, String>> queue, List<Map<String, String>> data) {

    static TableSnapshot of(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return new TableSnapshot(rows(c, "batch_processing_queue"), rows(c, "batch_processing_data"));
        }
    }

    private static List<Map<String, String>> rows(Connection c, String table) throws SQLException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT xmin::text AS row_version, * FROM " + table + " ORDER BY id")) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
