package dev.baton.example.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/** The example's pool has what a production pool needs against a network path that silently drops connections. */
class DatabasePoolTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @Test
    void the_pool_bounds_reads_keeps_idle_connections_alive_and_retires_them_in_time() throws Exception {
        // the test URL spells out every driver default, socketTimeout=0 and tcpKeepAlive=false among them, and a URL's
        // values win
        String url = PG.jdbcUrl()
                .replaceAll("[?&](socketTimeout|tcpKeepAlive)=[^&]*", "")
                .replaceFirst("/postgres&", "/postgres?");
        try (Database db = Database.external(url)) {
            HikariDataSource pool = db.dataSource().unwrap(HikariDataSource.class);
            assertThat(pool.getKeepaliveTime()).isPositive().isLessThan(pool.getMaxLifetime());
            assertThat(pool.getMaxLifetime()).isLessThanOrEqualTo(15 * 60_000L);
            try (Connection c = db.dataSource().getConnection();
                    Statement s = c.createStatement()) {
                assertThat(c.getNetworkTimeout()).as("socketTimeout in ms").isEqualTo(30_000);
                assertThat(c.unwrap(PGConnection.class)).isNotNull();
                s.execute("SELECT 1");
            }
            assertThat(pool.getDataSourceProperties()).containsEntry("tcpKeepAlive", "true");
        }
    }
}
