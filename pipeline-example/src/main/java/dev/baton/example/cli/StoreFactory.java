package dev.baton.example.cli;

import dev.baton.pipeline.spi.StageStore;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Opens Baton's store on the app's database, running Baton's migrations first. */
@FunctionalInterface
public interface StoreFactory {

    /**
     * @param dataSource the database
     * @return the store
     * @throws SQLException if the migrations or the connection fail
     */
    StageStore open(DataSource dataSource) throws SQLException;
}
