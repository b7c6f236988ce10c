package dev.baton.pipeline.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresExtensionTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void each_test_gets_its_own_empty_schema_in_a_non_utc_session() throws SQLException {
        try (Connection c = PG.dataSource().getConnection()) {
            assertThat(one(c, "SELECT current_schema()")).isEqualTo(PG.schema());
            assertThat(one(c, "SHOW TimeZone")).isEqualTo(PostgresExtension.SESSION_TIME_ZONE);
            assertThat(one(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"))
                    .isEqualTo("0");
            assertThat(one(c, "SHOW server_version_num"))
                    .satisfies(v -> assertThat(Integer.parseInt(v)).isGreaterThanOrEqualTo(150000));
        }
    }

    @Test
    void the_jdbc_url_reaches_the_same_schema_from_another_client() throws SQLException {
        try (Connection c = DriverManager.getConnection(PG.jdbcUrl())) {
            assertThat(one(c, "SELECT current_schema()")).isEqualTo(PG.schema());
        }
    }

    @Test
    void terminating_connections_kills_the_tests_sessions() throws SQLException {
        try (Connection c = PG.dataSource().getConnection()) {
            assertThat(PG.terminateConnections()).isGreaterThanOrEqualTo(1);
            assertThatThrownBy(() -> one(c, "SELECT 1")).isInstanceOf(SQLException.class);
        }
    }
}
