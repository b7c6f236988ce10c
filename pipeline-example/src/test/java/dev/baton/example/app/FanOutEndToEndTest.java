package dev.baton.example.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.example.cli.TrialOptions;
import dev.baton.example.cli.TriggerKind;
import dev.baton.example.host.HostResults;
import dev.baton.example.host.HostSchema;
import dev.baton.example.stages.StageNames;
import dev.baton.example.testing.PooledDatabase;
import dev.baton.example.trial.TrialSettings;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code serve --trigger in-process --screenshots 20} with and without {@code --fan-out annotation=4}, on
 * PostgreSQL: the same batches write the same results into the host's tables, and the fanned-out stage reports its
 * shards.
 */
class FanOutEndToEndTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String SECRET = "fan-out-test-secret-0123456789";
    private static final int BATCHES = 3;

    /** What one run left: the host's results and every batch's final status. */
    private record Run(HostResults results, List<BatchStatus> statuses) {}

    @Test
    void annotation_in_four_shards_writes_the_same_host_results_as_unsharded_and_reports_its_shards() {
        Run plain = assertTimeoutPreemptively(
                Duration.ofSeconds(150), () -> run("--trigger", "in-process", "--screenshots", "20"));
        freshSchema();
        Run fanned = assertTimeoutPreemptively(
                Duration.ofSeconds(150),
                () -> run("--trigger", "in-process", "--screenshots", "20", "--fan-out", "annotation=4"));

        assertThat(plain.results().analyses()).isEqualTo(BATCHES * 20);
        assertThat(plain.results().batches()).isEqualTo(BATCHES);
        assertThat(fanned.results()).isEqualTo(plain.results());
        for (BatchStatus s : plain.statuses()) {
            assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
            assertThat(s.stages()).allSatisfy(v -> assertThat(v.shards()).isNull());
        }
        for (BatchStatus s : fanned.statuses()) {
            assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
            assertThat(s.stages())
                    .filteredOn(v -> v.name().equals(StageNames.ANNOTATION))
                    .singleElement()
                    .extracting(BatchStatus.StageView::shards)
                    .isEqualTo(new BatchStatus.Shards(4, 4, 0, 0));
            assertThat(s.stages())
                    .filteredOn(v -> !v.name().equals(StageNames.ANNOTATION))
                    .allSatisfy(v -> assertThat(v.shards()).isNull());
        }
    }

    /** The flags of {@code serve} that this test passes: its trial options and its trigger. */
    @Command(name = "serve")
    static final class ServeFlags {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TrialOptions trial;

        @Option(names = "--trigger", converter = TriggerKind.Converter.class)
        TriggerKind trigger = TriggerKind.HTTP;
    }

    /** Starts the app as {@code serve} with these flags would, runs batches 1..3 and stops it. */
    private static Run run(String... serveArgs) throws Exception {
        ServeFlags flags = new ServeFlags();
        new CommandLine(flags).parseArgs(serveArgs);
        TrialSettings trial = flags.trial.toSettings(flags.spec);
        TriggerKind trigger = flags.trigger;
        try (PooledDatabase db = new PooledDatabase(PG)) {
            DataSource ds = db.dataSource();
            BatonSchema.migrate(ds);
            HostSchema.migrate(ds);
            BatchEndings endings = new BatchEndings(BATCHES);
            List<BatchStatus> statuses = new ArrayList<>();
            try (ExampleApp app = ExampleApp.builder()
                    .database(ds, JdbcStageStore.builder(ds).build())
                    .port(0)
                    .signingSecret(SECRET)
                    .trial(trial)
                    .trigger(trigger)
                    .listener(endings)
                    .stopWait(Duration.ofSeconds(2))
                    .start()) {
                AppClient client = new AppClient(app.baseUrl());
                for (long id = 1; id <= BATCHES; id++) {
                    assertThat(client.post("/api/process-batch", "{\"batchId\":" + id + "}")
                                    .status())
                            .isEqualTo(202);
                }
                endings.await();
                for (long id = 1; id <= BATCHES; id++) {
                    statuses.add(app.runner().client().status(id).orElseThrow());
                }
            }
            return new Run(HostResults.of(ds), statuses);
        }
    }

    private static void freshSchema() {
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + PG.schema() + " CASCADE");
            s.execute("CREATE SCHEMA " + PG.schema());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot empty the test's schema " + PG.schema(), e);
        }
    }
}
