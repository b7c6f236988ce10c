package dev.baton.example;

import dev.baton.pipeline.StageStore;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Opens Baton's PostgreSQL store (pipeline-jdbc) on the app's database, after Baton's own migrations. */
final class BatonStorage {
    private BatonStorage() {}

    static StageStore open(DataSource dataSource) throws SQLException {
        throw new SQLException("Baton's PostgreSQL store (pipeline-jdbc JdbcStageStore) is not in this build yet; serve and demo need it");
    }
}
