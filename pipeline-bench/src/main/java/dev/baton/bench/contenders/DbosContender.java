package dev.baton.bench.contenders;

import com.zaxxer.hikari.HikariDataSource;
import dev.baton.bench.Contender;
import dev.baton.bench.Database;
import dev.dbos.transact.DBOS;
import dev.dbos.transact.config.DBOSConfig;
import dev.dbos.transact.migrations.MigrationManager;
import java.sql.SQLException;
import java.time.Duration;

/**
 * DBOS Transact ({@code dev.dbos:transact}): the job as a workflow of six steps
 * ({@link SixStepWorkflow}), its system tables in their own schema of the bench database, on a
 * HikariCP pool handed to DBOS. {@code workers} threads each call the workflow's proxy for one batch
 * after another, the most direct way DBOS runs a workflow (no queue polling in between). DBOS holds
 * one extra connection for its LISTEN/NOTIFY listener, so its pool has one more than Baton's.
 */
public final class DbosContender implements Contender {
    static final String SCHEMA = "bench_dbos";

    private HikariDataSource pool;
    private DBOS dbos;
    private SixStepJob job;

    @Override
    public String name() {
        return "dbos";
    }

    @Override
    public void prepareSchema(Database db) throws SQLException {
        db.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        try (HikariDataSource migrate = db.pool(applicationName() + "-migrate", 2)) {
            MigrationManager.runMigrations(config(db, migrate));
        }
    }

    private DBOSConfig config(Database db, HikariDataSource dataSource) {
        DBOSConfig config = DBOSConfig.defaults("baton-bench")
                .withDataSource(dataSource)
                .withDatabaseUrl(db.url(applicationName()))
                .withDatabaseSchema(SCHEMA)
                .withAppVersion("bench")
                .withAdminServer(false);
        if (db.user() != null) {
            config = config.withDbUser(db.user());
        }
        if (db.password() != null) {
            config = config.withDbPassword(db.password());
        }
        return config;
    }

    @Override
    public void setUp(Database db, Round round) throws SQLException {
        db.execute("TRUNCATE " + SCHEMA + ".workflow_status, " + SCHEMA + ".operation_outputs CASCADE");
        pool = db.pool(applicationName(), round.workers() + 3);
        dbos = new DBOS(config(db, pool));
        job = dbos.registerProxy(SixStepJob.class, new SixStepWorkflow(dbos, round.payload(), round.timeline()));
        dbos.launch();
    }

    @Override
    public void run(Round round) throws Exception {
        BatchWorkers.run(
                "dbos-caller",
                round.workers(),
                round.batches(),
                Duration.ofMinutes(30),
                (batch, worker) -> job.run(batch));
    }

    @Override
    public void tearDown() {
        if (dbos != null) {
            dbos.close();
            dbos = null;
        }
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }
}
