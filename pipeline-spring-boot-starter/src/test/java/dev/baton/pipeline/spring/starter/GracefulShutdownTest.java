package dev.baton.pipeline.spring.starter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spring.boot.internal.TriggerDrain;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Closing the application while a stage runs lets the stage finish and commit (the DataSource is still open), runs
 * nothing more in the closing process, and a new process completes the batch with one output per stage.
 */
class GracefulShutdownTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final CountDownLatch ENTERED = new CountDownLatch(1);
    static final CountDownLatch RELEASE = new CountDownLatch(1);

    /** A host whose first stage waits for the test, the first time it runs. */
    @SpringBootApplication
    static class LatchApp {
        @Bean
        Stage first() {
            return ctx -> {
                ENTERED.countDown();
                if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the stage");
                }
                return StageResult.done("first done");
            };
        }

        @Bean
        Stage second() {
            return ctx -> StageResult.done(ctx.output("first", String.class) + ", second done");
        }
    }

    private ConfigurableApplicationContext start() {
        return new SpringApplicationBuilder(LatchApp.class)
                .web(WebApplicationType.NONE)
                .properties(Map.of(
                        "spring.datasource.url", PG.jdbcUrl(),
                        "baton.stages", "first,second",
                        "baton.sweeper.interval", "200ms",
                        "baton.sweeper.pending-grace", "0s"))
                .run();
    }

    @Test
    void a_stage_running_at_shutdown_commits_and_a_restarted_service_completes_the_batch() throws Exception {
        ConfigurableApplicationContext before = start();
        before.getBean(BatchClient.class).start(1);
        assertThat(ENTERED.await(30, TimeUnit.SECONDS))
                .as("the first stage started")
                .isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(before::close);
        TriggerDrain drain = before.getBean(TriggerDrain.class);
        Awaitility.await("shutdown began").atMost(Duration.ofSeconds(30)).until(drain::isDraining);
        assertThat(closing).isNotDone(); // the close waits for the running stage
        RELEASE.countDown();
        closing.get(60, TimeUnit.SECONDS);

        try (ConfigurableApplicationContext after = start()) {
            BatchClient client = after.getBean(BatchClient.class);
            BatchStatus halfway = client.status(1).orElseThrow();
            assertThat(halfway.stage())
                    .as("the first stage committed; the second was left")
                    .isEqualTo("second");

            BatchStatus done = Awaitility.await("batch 1 completes after the restart")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> client.status(1).orElseThrow(), s -> s.state() == BatchState.COMPLETED);

            assertThat(done.attempt()).isEqualTo(1);
            assertThat(outputRowsPerStage(1)).isEqualTo(Map.of("first", 1, "second", 1));
        }
    }

    private static Map<String, Integer> outputRowsPerStage(long batchId) throws Exception {
        Map<String, Integer> rows = new TreeMap<>();
        try (Connection c = PG.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT stage, count(*) FROM batch_processing_data WHERE batch_id = "
                        + batchId + " GROUP BY stage")) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getInt(2));
            }
        }
        return rows;
    }
}
