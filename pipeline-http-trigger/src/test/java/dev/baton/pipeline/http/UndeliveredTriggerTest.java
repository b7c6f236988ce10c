package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.http.RecordingListener.Event;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A trigger that can never be delivered (nothing listens at the base URL): the batch's row in
 * PostgreSQL says why it is stuck, and after the configured number of fires in a row the trigger
 * logs ERROR once, naming the URL and what to check.
 */
class UndeliveredTriggerTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration WAIT = Duration.ofSeconds(30);

    final RecordingListener deliveries = new RecordingListener();
    StageStore store;
    HttpTrigger trigger;
    PipelineRunner runner;
    TinyServer server;
    int port;
    final CountDownLatch completed = new CountDownLatch(1);

    @BeforeEach
    void setUp() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        trigger = HttpTrigger.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .secret(SignatureTest.SECRET)
                .maxAttempts(2)
                .backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1))
                .errorAfterUndelivered(3)
                .shutdownWait(Duration.ZERO)
                .listener(deliveries)
                .build();
        runner = PipelineRunner.builder(SixStages.pipeline(), store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        runner.start();
    }

    @AfterEach
    void tearDown() {
        runner.close();
        if (server != null) {
            server.close();
        }
    }

    /** Waits for the end of one delivery: after it, the error is stored and the log line written. */
    Event delivered() throws InterruptedException {
        return deliveries.nextFinal(WAIT);
    }

    static List<String> errorLines(String log) {
        return Arrays.stream(log.split("\n"))
                .filter(l -> l.contains("] ERROR "))
                .toList();
    }

    @Test
    void a_batch_whose_trigger_is_refused_forever_shows_the_error_and_logs_error_once_after_three_fires()
            throws Exception {
        StallSweeper sweeper = runner.sweeper().pendingGrace(Duration.ZERO).build();
        String url = "http://127.0.0.1:" + port + "/api/batch-processing/setup";
        String log;
        try (CapturedStderr captured = new CapturedStderr()) {
            runner.client().start(1);
            assertThat(delivered().kind()).isEqualTo("gaveUp");
            assertThat(errorLines(captured.text())).isEmpty();
            for (int fire = 2; fire <= 6; fire++) {
                assertThat(sweeper.sweepOnce()).as("fire %d", fire).isEqualTo(1);
                Event last = delivered();
                assertThat(last.kind()).isEqualTo("gaveUp");
                assertThat(last.reason()).contains("refused");
                assertThat(errorLines(captured.text()))
                        .as("after fire %d", fire)
                        .hasSize(fire < 3 ? 0 : 1);
            }
            log = captured.text();
        }

        String error = errorLines(log).get(0);
        assertThat(error)
                .contains("batch 1 stage setup")
                .contains(url)
                .contains("3 fires in a row")
                .contains("connection refused")
                .contains("the batch cannot move until it arrives: check the base URL")
                .contains("PIPELINE_API_URL")
                .contains("serves the stage path /api/batch-processing/")
                .contains("PIPELINE_SIGNING_SECRET");
        assertThat(log)
                .contains("WARN dev.baton.pipeline.http.HttpTrigger - batch 1 stage setup: could not deliver the "
                        + "trigger to "
                        + url);
        var row = store.find(1).orElseThrow();
        assertThat(row.state()).isEqualTo(BatchState.PENDING);
        assertThat(row.stage()).isEqualTo("setup");
        assertThat(row.error())
                .contains(url)
                .contains("connection refused")
                .contains("after 2 attempt(s)")
                .contains("PIPELINE_API_URL");
        BatchStatus status = runner.client().status(1).orElseThrow();
        assertThat(status.error()).isEqualTo(row.error());
        assertThat(trigger.undeliveredTracked()).isEqualTo(1);
    }

    @Test
    void a_delivery_clears_the_count_and_the_stage_running_clears_the_error() throws Exception {
        StallSweeper sweeper = runner.sweeper().pendingGrace(Duration.ZERO).build();
        runner.client().start(2);
        assertThat(delivered().kind()).isEqualTo("gaveUp");
        assertThat(store.find(2).orElseThrow().error()).contains("connection refused");
        assertThat(trigger.undeliveredTracked()).isEqualTo(1);

        StageEndpoint endpoint =
                StageEndpoint.builder(runner, SignatureTest.verifier().build()).build();
        try (StageHttpServer up = StageHttpServer.builder(endpoint)
                .address(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .threads(2)
                .stopWait(Duration.ZERO)
                .build()) {
            up.start();
            assertThat(sweeper.sweepOnce()).isEqualTo(1);
            Event answered = delivered();
            assertThat(answered.kind()).isEqualTo("answered");
            assertThat(answered.number()).isEqualTo(200);
            assertThat(trigger.undeliveredTracked()).isZero();
            assertTimeoutPreemptively(WAIT, () -> completed.await());
            var row = store.find(2).orElseThrow();
            assertThat(row.state()).isEqualTo(BatchState.COMPLETED);
            assertThat(row.error()).as("advancing past the stage cleared it").isNull();
        }
    }

    @Test
    void a_store_that_cannot_note_the_error_does_not_break_the_trigger() throws Exception {
        BatonSchema.migrate(PG.dataSource(), null, "gone_");
        StageStore missingTables =
                JdbcStageStore.builder(PG.dataSource()).tablePrefix("gone_").build();
        try (var c = PG.dataSource().getConnection();
                var s = c.createStatement()) {
            s.execute("DROP TABLE gone_batch_processing_data, gone_batch_processing_queue");
        }
        try (PipelineRunner broken = PipelineRunner.builder(SixStages.pipeline(), missingTables)
                .trigger(new dev.baton.pipeline.testing.SynchronousTrigger())
                .build()) {
            broken.undelivered(1, "setup", "connection refused");
        }
    }

    @Test
    void the_error_threshold_is_validated() {
        assertThatThrownBy(() -> HttpTrigger.builder().errorAfterUndelivered(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("errorAfterUndelivered")
                .hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> HttpTrigger.builder().errorAfterUndelivered(1001))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_counts_stay_bounded_forgetting_the_least_recently_failed_pair() {
        Undelivered counts = new Undelivered(3, 2);
        assertThat(counts.failed(1, "setup", "x")).isFalse();
        assertThat(counts.failed(1, "setup", "x")).isFalse();
        counts.failed(2, "setup", "x");
        counts.failed(3, "setup", "x"); // forgets batch 1, the least recently failed
        assertThat(counts.tracked()).isEqualTo(2);
        assertThat(counts.failed(1, "setup", "x"))
                .as("batch 1 starts again at 1")
                .isFalse();
        assertThat(counts.failed(3, "setup", "x")).isFalse();
        assertThat(counts.failed(3, "setup", "x")).as("the third in a row").isTrue();
        assertThat(counts.failed(3, "setup", "x")).as("only the third").isFalse();
        counts.delivered(3, "setup");
        assertThat(counts.tracked()).isEqualTo(1);
        for (long b = 10; b < 20_010; b++) {
            counts.failed(b, "setup", "x");
        }
        assertThat(counts.tracked()).isEqualTo(2);
    }
}
