package dev.baton.example;

import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import javax.sql.DataSource;

/** Opens Baton's PostgreSQL store (pipeline-jdbc) on the app's database, after Baton's own migrations. */
final class BatonStorage {
    private BatonStorage() {}

    /**
     * @param dataSource the app's database
     * @return the store
     */
    static StageStore open(DataSource dataSource) {
        BatonSchema.migrate(dataSource);
        return JdbcStageStore.builder(dataSource).build();
    }
}
