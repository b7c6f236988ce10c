package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.ShardPlan;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every command of {@code baton}, in this JVM against PostgreSQL: what it prints for people, its {@code --json}, and
 * its exit code. The batches: 1 completed through stages a and b (with an input), 2 pending at a, 3 failed at b.
 */
class BatonCliTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration LEASE = Duration.ofMinutes(5);
    static final StageStats STATS =
            new StageStats(1, 1, 12, Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:01Z"));

    JdbcStageStore store;

    CliRun baton(String... args) {
        List<String> all = new ArrayList<>(List.of("--jdbc-url", PG.jdbcUrl()));
        all.addAll(List.of(args));
        return CliRun.of(Map.of(), all.toArray(String[]::new));
    }

    static JsonNode json(CliRun run) throws IOException {
        assertThat(run.code()).as(run.toString()).isZero();
        return JSON.readTree(run.out());
    }

    void threeBatches() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        store.create(1, "a", JsonSource.ofText("{\"n\":1}"), Duration.ZERO);
        store.advance(claim(1, "a"), "\"A\"", "b", STATS);
        store.advance(claim(1, "b"), "\"B\"", Pipeline.COMPLETED, STATS);
        store.create(2, "a");
        store.create(3, "a");
        store.advance(claim(3, "a"), "\"A\"", "b", STATS);
        store.fail(claim(3, "b"), "the model said no", STATS);
    }

    BatchRecord claim(long batchId, String stage) {
        return store.claim(batchId, stage, "worker", LEASE).orElseThrow();
    }

    void sql(String statement, Object... params) throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement(statement)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            s.executeUpdate();
        }
    }

    @Test
    void migrate_creates_the_tables_and_then_finds_them_up_to_date() throws Exception {
        CliRun first = baton("migrate");
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.out()).contains("applied Baton migrations [1, 2, 3, 4]");
        assertThat(json(baton("--json", "migrate")).get("applied").size()).isZero();
        assertThat(baton("migrate").out()).contains("up to date");
    }

    @Test
    void on_a_database_without_batons_tables_every_command_exits_7_and_says_to_migrate() {
        for (String[] command : List.of(
                new String[] {"status", "1"},
                new String[] {"list"},
                new String[] {"stalled"},
                new String[] {"retry", "1"},
                new String[] {"cancel", "1"},
                new String[] {"restart", "1", "--stage", "a"},
                new String[] {"purge", "--older-than", "7d"})) {
            CliRun run = baton(command);
            assertThat(run.code()).as(run.toString()).isEqualTo(7);
            assertThat(run.err()).contains("batch_processing_queue").contains("baton migrate");
        }
    }

    @Test
    void an_unreachable_database_exits_6_and_a_missing_url_exits_2() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        CliRun refused = CliRun.of(
                Map.of(), "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + port + "/app", "--json", "status", "1");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(6);
        JsonNode error = JSON.readTree(refused.err());
        assertThat(error.get("error").asText()).isEqualTo("database");
        assertThat(error.get("exitCode").asInt()).isEqualTo(6);
        assertThat(error.get("message").asText()).contains("cannot reach the database at 127.0.0.1:" + port);
        assertThat(refused.out()).isEmpty();

        CliRun none = CliRun.of(Map.of(), "list");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("--jdbc-url").contains("PIPELINE_JDBC_URL");
        assertThat(CliRun.of(Map.of(), "--jdbc-url", "postgres://x", "list").code())
                .isEqualTo(2);
    }

    @Test
    void the_database_may_come_from_pipeline_jdbc_url() {
        BatonSchema.migrate(PG.dataSource());
        CliRun run = CliRun.of(Map.of("PIPELINE_JDBC_URL", PG.jdbcUrl()), "list");
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("no batches");
    }

    @Test
    void status_prints_the_batch_with_its_stages_and_its_json_for_scripts() throws Exception {
        threeBatches();
        CliRun human = baton("status", "3");
        assertThat(human.code()).as(human.toString()).isZero();
        assertThat(human.out())
                .contains("batch 3: failed at stage 'b', attempt 1")
                .contains("the model said no")
                .containsPattern("(?m)^a +1 +1 ")
                .containsPattern("(?m)^b +1 +1 ");

        JsonNode status = json(baton("--json", "status", "1"));
        assertThat(status.get("batchId").asLong()).isEqualTo(1);
        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("stage").asText()).isEqualTo("completed");
        assertThat(status.get("hasInput").asBoolean()).isTrue();
        assertThat(status.get("stages").findValuesAsText("name")).containsExactly("a", "b");
        assertThat(status.get("createdAt").asText()).endsWith("Z");

        CliRun missing = baton("--json", "status", "42");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(JSON.readTree(missing.err()).get("error").asText()).isEqualTo("not_found");
        assertThat(baton("status", "42").err()).contains("batch 42 has no pipeline run");
    }

    @Test
    void status_shows_the_shards_of_a_fanned_out_stage_and_not_their_outputs_as_stages() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        store.create(5, "a");
        store.advance(claim(5, "a"), "[1, 2, 3, 4]", "b", STATS);
        assertThat(store.fanOut(claim(5, "b"), new ShardPlan(4, 3, 2), STATS))
                .get()
                .asList()
                .hasSize(2);
        ShardRecord first = store.claimShard(5, "b", 0, "worker", LEASE).orElseThrow();
        store.saveShardProgress(first, "1", JsonSource.ofText("[10]"), 1, null, Duration.ofHours(1));
        ShardRecord second = store.claimShard(5, "b", 1, "worker", LEASE).orElseThrow();
        store.completeShard(second, JsonSource.ofText("[20]"), Pipeline.COMPLETED);
        store.claimShard(5, "b", 2, "worker", LEASE).orElseThrow();

        CliRun human = baton("status", "5");
        assertThat(human.code()).as(human.toString()).isZero();
        assertThat(human.out())
                .containsPattern("(?m)^stage +attempts +invocations +longest +started +finished +shards$")
                .containsPattern("(?m)^a +1 +1 .* -$")
                .containsPattern("(?m)^b +.* 1/3 \\(1 running\\)$")
                .doesNotContain("b:shard:");

        JsonNode status = json(baton("--json", "status", "5"));
        assertThat(status.get("stages").findValuesAsText("name")).containsExactly("a", "b");
        JsonNode shards = status.get("stages").get(1).get("shards");
        assertThat(shards.get("total").asInt()).isEqualTo(3);
        assertThat(shards.get("completed").asInt()).isEqualTo(1);
        assertThat(shards.get("running").asInt()).isEqualTo(1);
        assertThat(shards.get("failed").asInt()).isZero();
        assertThat(status.get("stages").get(0).get("shards").isNull()).isTrue();
    }

    @Test
    void list_filters_by_state_and_stage_and_pages() throws Exception {
        threeBatches();
        assertThat(ids(baton("--json", "list"))).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(ids(baton("--json", "list", "--state", "failed"))).containsExactly(3L);
        assertThat(ids(baton("--json", "list", "--state", "failed,pending"))).containsExactlyInAnyOrder(2L, 3L);
        assertThat(ids(baton("--json", "list", "--stage", "a"))).containsExactly(2L);
        assertThat(ids(baton("--json", "list", "--stage", "b", "--state", "pending")))
                .isEmpty();
        assertThat(ids(baton("--json", "list", "--limit", "1"))).hasSize(1);
        CliRun table = baton("list", "--state", "failed");
        assertThat(table.out())
                .containsPattern("(?m)^batch +state +stage +attempt +updated +error$")
                .containsPattern("(?m)^3 +failed +b +1 .* the model said no$");
        CliRun bad = baton("list", "--state", "finished");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("'finished' is not a state");
        assertThat(baton("list", "--limit", "0").code()).isEqualTo(2);
    }

    @Test
    void stalled_lists_an_expired_lease_and_nothing_else() throws Exception {
        threeBatches();
        assertThat(ids(baton("--json", "stalled"))).isEmpty();
        assertThat(baton("stalled").out()).contains("no stalled batches");
        claim(2, "a");
        sql("UPDATE batch_processing_queue SET lease_until = now() - interval '1 second' WHERE batch_id = 2");
        assertThat(ids(baton("--json", "stalled", "--grace", "1h"))).containsExactly(2L);
    }

    @Test
    void retry_sets_a_failed_batch_going_again_and_refuses_a_pending_one_with_exit_4() throws Exception {
        threeBatches();
        JsonNode retried = json(baton("--json", "retry", "3"));
        assertThat(retried.get("state").asText()).isEqualTo("pending");
        assertThat(retried.get("stage").asText()).isEqualTo("b");
        assertThat(store.find(3).orElseThrow().state()).isEqualTo(BatchState.PENDING);

        CliRun conflict = baton("retry", "2");
        assertThat(conflict.code()).isEqualTo(4);
        assertThat(conflict.err()).contains("batch 2 is pending").contains("only a failed or cancelled batch");
        assertThat(baton("retry", "42").code()).isEqualTo(3);
        assertThat(baton("retry", "x").code()).isEqualTo(2);
    }

    @Test
    void cancel_stops_a_pending_batch_and_cancelling_again_is_a_conflict() throws Exception {
        threeBatches();
        CliRun cancelled = baton("cancel", "2");
        assertThat(cancelled.code()).as(cancelled.toString()).isZero();
        assertThat(cancelled.out()).contains("cancelled batch 2 at stage 'a'").contains("batch 2: cancelled");
        assertThat(store.find(2).orElseThrow().state()).isEqualTo(BatchState.CANCELLED);
        CliRun again = baton("--json", "cancel", "2");
        assertThat(again.code()).isEqualTo(4);
        assertThat(JSON.readTree(again.err()).get("error").asText()).isEqualTo("conflict");
        assertThat(baton("cancel", "42").code()).isEqualTo(3);
    }

    @Test
    void restart_from_a_stage_the_batch_reached_deletes_that_output_and_the_later_ones() throws Exception {
        threeBatches();
        JsonNode restarted = json(baton("--json", "restart", "1", "--stage", "b"));
        assertThat(restarted.get("state").asText()).isEqualTo("pending");
        assertThat(restarted.get("stage").asText()).isEqualTo("b");
        assertThat(store.readOutput(1, "a"))
                .as("an earlier stage's output is kept")
                .isPresent();
        assertThat(store.readOutput(1, "b")).isEmpty();
        assertThat(store.readInput(1, in -> "kept")).contains("kept");

        store.advance(claim(1, "b"), "\"B\"", Pipeline.COMPLETED, STATS);
        assertThat(baton("restart", "1", "--stage", "a").code()).isZero();
        assertThat(store.readOutput(1, "a")).isEmpty();
        assertThat(store.readOutput(1, "b"))
                .as("a later stage's output goes too")
                .isEmpty();
    }

    @Test
    void restart_refuses_a_stage_the_batch_never_reached_unless_the_stages_are_given() throws Exception {
        threeBatches();
        CliRun unknown = baton("restart", "2", "--stage", "b");
        assertThat(unknown.code()).isEqualTo(5);
        assertThat(unknown.err())
                .contains("has not reached stage 'b'")
                .contains("[a]")
                .contains("--stages");

        JsonNode given = json(baton("--json", "restart", "2", "--stage", "b", "--stages", "a,b,c"));
        assertThat(given.get("stage").asText()).isEqualTo("b");
        assertThat(given.get("stages").findValuesAsText("name")).containsExactly("a", "b", "c");

        CliRun notInPipeline = baton("restart", "2", "--stage", "z", "--stages", "a,b,c");
        assertThat(notInPipeline.code()).isEqualTo(5);
        CliRun fromEnv =
                CliRun.of(Map.of("PIPELINE_STAGES", "a,b"), "--jdbc-url", PG.jdbcUrl(), "restart", "2", "--stage", "z");
        assertThat(fromEnv.code()).isEqualTo(5);
        assertThat(fromEnv.err()).contains("[a, b]");
        assertThat(baton("restart", "2").code()).as("--stage is required").isEqualTo(2);
    }

    @Test
    void purge_deletes_batches_that_finished_longer_ago_and_refuses_unfinished_states() throws Exception {
        threeBatches();
        sql("UPDATE batch_processing_queue SET updated_at = now() - interval '8 days' WHERE batch_id IN (1, 2, 3)");
        CliRun purged = baton("purge", "--older-than", "7d");
        assertThat(purged.code()).as(purged.toString()).isZero();
        assertThat(purged.out()).contains("purged 1 finished batches (completed, cancelled) older than PT168H");
        assertThat(store.find(1)).isEmpty();
        assertThat(store.readOutput(1, "a")).isEmpty();
        assertThat(store.find(2)).as("pending: never purged").isPresent();
        assertThat(store.find(3)).as("failed: not asked for").isPresent();

        JsonNode failed = json(baton("--json", "purge", "--older-than", "P7D", "--state", "failed"));
        assertThat(failed.get("purged").asLong()).isEqualTo(1);
        assertThat(failed.get("states").get(0).asText()).isEqualTo("failed");
        assertThat(store.find(3)).isEmpty();

        CliRun unfinished = baton("purge", "--older-than", "1d", "--state", "pending");
        assertThat(unfinished.code()).isEqualTo(2);
        assertThat(unfinished.err()).contains("only finished batches can be purged");
        assertThat(baton("purge", "--older-than", "soon").code()).isEqualTo(2);
        assertThat(baton("purge").code()).as("--older-than is required").isEqualTo(2);
        assertThat(store.find(2)).isPresent();
    }

    @Test
    void without_a_command_it_prints_the_usage_and_exits_2() {
        CliRun run = CliRun.of(Map.of());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("Usage: baton").contains("Exit codes:");
        CliRun help = CliRun.of(Map.of(), "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("migrate").contains("purge").contains("restart");
    }

    static List<Long> ids(CliRun run) throws IOException {
        List<Long> ids = new ArrayList<>();
        json(run).forEach(row -> ids.add(row.get("batchId").asLong()));
        return ids;
    }
}
