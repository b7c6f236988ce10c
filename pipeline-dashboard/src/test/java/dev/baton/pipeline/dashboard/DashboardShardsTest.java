package dev.baton.pipeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.StageHandler;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch view of a stage that fans out, on PostgreSQL: its shards, completed of total, while they run and after
 * the join, and those of a shard that failed the batch; a stage without shards has {@code "shards": null}.
 */
class DashboardShardsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Holds what the runner fires until the test delivers it, so the test decides which shards have run. */
    private static final class HeldTrigger implements Trigger {
        record Fire(long batchId, String stage, Integer shard) {}

        final ConcurrentLinkedDeque<Fire> fired = new ConcurrentLinkedDeque<>();
        StageHandler handler;

        @Override
        public void bind(StageHandler handler) {
            this.handler = handler;
        }

        @Override
        public void fire(long batchId, String stage) {
            fired.add(new Fire(batchId, stage, null));
        }

        @Override
        public void fireAfter(long batchId, String stage, Duration delay) {
            fire(batchId, stage);
        }

        @Override
        public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
            fired.add(new Fire(batchId, stage, shard));
        }

        /** Delivers the oldest fire; returns it. */
        Fire deliverOne() {
            Fire f = fired.poll();
            if (f.shard() == null) {
                handler.runStage(f.batchId(), f.stage());
            } else {
                handler.runShard(f.batchId(), f.stage(), f.shard());
            }
            return f;
        }

        void deliverAll() {
            while (!fired.isEmpty()) {
                deliverOne();
            }
        }
    }

    private final HeldTrigger trigger = new HeldTrigger();
    private PipelineRunner runner;
    private Dashboard dashboard;

    @BeforeEach
    void start() {
        BatonSchema.migrate(PG.dataSource());
        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "fetch",
                        ctx -> StageResult.done(IntStream.range(0, 8).boxed().toList()))
                .stage(
                        "annotate",
                        FanOut.each(
                                        ctx -> List.of(ctx.output("fetch", Integer[].class)),
                                        Slicer.concurrency(2),
                                        (Integer i) -> {
                                            if (i == 7 && failItem7) {
                                                throw new IllegalStateException("model timed out on item 7");
                                            }
                                            return i * 10;
                                        })
                                .shards(4),
                        s -> s.retry(RetryPolicy.none()))
                .stage("store", ctx -> StageResult.done("stored"))
                .build();
        runner = PipelineRunner.builder(
                        pipeline, JdbcStageStore.builder(PG.dataSource()).build())
                .trigger(trigger)
                .build();
        runner.start();
        dashboard = Dashboard.builder(runner.client()).build();
    }

    private volatile boolean failItem7;

    @AfterEach
    void stop() {
        runner.close();
    }

    private JsonNode stage(long batchId, String name) throws Exception {
        Dashboard.Response r = dashboard.handle(
                new Dashboard.Request("GET", "/api/dashboard/batches/" + batchId, null, Map.of(), new byte[0]));
        assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
        for (JsonNode s : JSON.readTree(r.body()).get("timeline")) {
            if (s.get("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no stage " + name + " in " + new String(r.body(), StandardCharsets.UTF_8));
    }

    private static Map<String, Integer> counts(JsonNode shards) {
        return Map.of(
                "total", shards.get("total").asInt(),
                "completed", shards.get("completed").asInt(),
                "running", shards.get("running").asInt(),
                "failed", shards.get("failed").asInt());
    }

    @Test
    void a_fanned_out_stage_shows_its_shards_completed_of_total_while_they_run_and_after_the_join() throws Exception {
        runner.client().start(1);
        trigger.deliverOne(); // fetch
        trigger.deliverOne(); // annotate: fans out into 4 shards, fires them
        assertThat(trigger.fired).hasSize(4).allMatch(f -> f.shard() != null);
        trigger.deliverOne();
        trigger.deliverOne();

        JsonNode running = stage(1, "annotate");
        assertThat(running.get("phase").asText()).isEqualTo("running");
        assertThat(counts(running.get("shards")))
                .isEqualTo(Map.of("total", 4, "completed", 2, "running", 0, "failed", 0));
        assertThat(stage(1, "fetch").get("shards").isNull()).isTrue();

        trigger.deliverAll();

        JsonNode joined = stage(1, "annotate");
        assertThat(joined.get("phase").asText()).isEqualTo("done");
        assertThat(counts(joined.get("shards")))
                .isEqualTo(Map.of("total", 4, "completed", 4, "running", 0, "failed", 0));
        assertThat(JSON.readTree(joined.get("output").get("text").asText()))
                .as("the shards' outputs joined in item order")
                .isEqualTo(JSON.readTree("[0,10,20,30,40,50,60,70]"));
        assertThat(stage(1, "store").get("phase").asText()).isEqualTo("done");
        assertThat(stage(1, "store").get("shards").isNull()).isTrue();
    }

    @Test
    void a_shard_that_fails_the_batch_is_counted_failed_with_its_error_on_the_stage() throws Exception {
        failItem7 = true;
        runner.client().start(2);
        trigger.deliverAll();

        JsonNode failed = stage(2, "annotate");
        assertThat(failed.get("phase").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).contains("model timed out on item 7");
        JsonNode shards = failed.get("shards");
        assertThat(shards.get("total").asInt()).isEqualTo(4);
        assertThat(shards.get("failed").asInt()).isEqualTo(1);
        assertThat(shards.get("completed").asInt()).isEqualTo(3);
    }
}
