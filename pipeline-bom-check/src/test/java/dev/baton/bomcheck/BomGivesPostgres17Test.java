package dev.baton.bomcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a host that imports only pipeline-bom gets from pipeline-testkit. */
class BomGivesPostgres17Test {

    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @Test
    void theTestkitStartsPostgres17ForAHostThatImportsOnlyTheBom() throws SQLException {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            int version = Integer.parseInt(rs.getString(1));
            assertEquals(17, version / 10000, "server_version_num " + version + " is not PostgreSQL 17");
        }
    }
}
