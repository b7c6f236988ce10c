package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.example.Main;
import dev.baton.example.app.ShutdownSignal;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code serve} on an external database, through its whole life: start, serve a batch, shut down on a signal. */
class ServeCommandTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ShutdownSignal signal = ShutdownSignal.manual();
    private final HttpClient http = HttpClient.newHttpClient();

    private String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serves_a_batch_to_completion_and_stops_with_exit_status_zero_on_a_signal() {
        CommandContext context = new CommandContext(
                Map.of("PIPELINE_SIGNING_SECRET", "serve-test-secret-0123456789")::get,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err,
                ds -> {
                    BatonSchema.migrate(ds);
                    return JdbcStageStore.builder(ds).build();
                },
                () -> signal,
                false);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(context)
                .execute("serve", "--port", "0", "--jdbc-url", PG.jdbcUrl(), "--screenshots", "3"));

        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Matcher serving =
                    Pattern.compile("serving on (http://localhost:\\d+)").matcher("");
            while (!serving.reset(output()).find()) {
                assertThat(exit).as(output()).isNotDone();
                Thread.sleep(50);
            }
            URI base = URI.create(serving.group(1));
            assertThat(output())
                    .contains("database: PostgreSQL at jdbc:postgresql:")
                    .doesNotContain("generated one");
            assertThat(send(HttpRequest.newBuilder(base.resolve("/health")).build())
                            .statusCode())
                    .isEqualTo(200);
            assertThat(send(HttpRequest.newBuilder(base.resolve("/api/process-batch"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"batchId\":42}"))
                                    .build())
                            .statusCode())
                    .isEqualTo(202);
            String status;
            do {
                Thread.sleep(100);
                status = send(HttpRequest.newBuilder(base.resolve("/api/batches/42"))
                                .build())
                        .body();
            } while (!status.contains("\"status\":\"completed\"") && !status.contains("\"status\":\"failed\""));
            assertThat(status).contains("\"stage\":\"completed\"");
            assertThat(send(HttpRequest.newBuilder(base.resolve("/")).build()).body())
                    .contains("<title>Baton dashboard</title>");

            signal.trigger();
            assertThat(exit.join()).isZero();
        });
        assertThat(output()).contains("dashboard: /, read-only", "shutting down", "stopped");
    }

    @Test
    void with_retention_a_completed_batch_leaves_batons_tables_and_the_hosts_rows_stay() throws Exception {
        CommandContext context = new CommandContext(
                Map.of("PIPELINE_SIGNING_SECRET", "serve-test-secret-0123456789")::get,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err,
                ds -> {
                    BatonSchema.migrate(ds);
                    return JdbcStageStore.builder(ds).build();
                },
                () -> signal,
                false);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(context)
                .execute(
                        "serve",
                        "--port",
                        "0",
                        "--jdbc-url",
                        PG.jdbcUrl(),
                        "--screenshots",
                        "2",
                        "--trigger",
                        "in-process",
                        "--retention",
                        "0s"));
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Matcher serving =
                    Pattern.compile("serving on (http://localhost:\\d+)").matcher("");
            while (!serving.reset(output()).find()) {
                assertThat(exit).as(output()).isNotDone();
                Thread.sleep(50);
            }
            assertThat(output()).contains("retention: completed and cancelled batches leave Baton's tables PT0S");
            URI base = URI.create(serving.group(1));
            assertThat(send(HttpRequest.newBuilder(base.resolve("/api/process-batch"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"batchId\":7}"))
                                    .build())
                            .statusCode())
                    .isEqualTo(202);
            // the host marks its batch completed in the same listener event that ends the run; then retention
            // removes Baton's queue row, outputs and input, and the host's rows stay
            while (count("SELECT count(*) FROM batch WHERE batch_id = 7 AND status = 'completed'") == 0
                    || count("SELECT count(*) FROM batch_processing_queue WHERE batch_id = 7") > 0) {
                assertThat(count("SELECT count(*) FROM batch WHERE batch_id = 7 AND status = 'failed'"))
                        .isZero();
                Thread.sleep(100);
            }
            assertThat(count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 7"))
                    .isZero();
            assertThat(count("SELECT count(*) FROM batch_result WHERE batch_id = 7"))
                    .isEqualTo(1);
            assertThat(count("SELECT count(*) FROM screenshot WHERE batch_id = 7"))
                    .isEqualTo(2);
            signal.trigger();
            assertThat(exit.join()).isZero();
        });
    }

    private static long count(String sql) throws java.sql.SQLException {
        try (var c = PG.dataSource().getConnection();
                var s = c.createStatement();
                var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
