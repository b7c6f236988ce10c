package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BatonSchemaTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    long tables(String like) {
        return new Sql(PG.dataSource())
                .count(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                                + " AND table_name LIKE ?",
                        like);
    }

    @Test
    void eight_processes_migrating_at_once_create_the_tables_once() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<List<Integer>>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return BatonSchema.migrate(PG.dataSource());
                }));
            }
            go.countDown();
            int applied = 0;
            for (Future<List<Integer>> f : results) {
                applied += f.get().size();
            }
            assertThat(applied).isEqualTo(BatonSchema.MIGRATIONS.size());
        } finally {
            pool.shutdownNow();
        }
        assertThat(tables("batch_processing_%")).isEqualTo(3);
        assertThat(BatonSchema.migrate(PG.dataSource())).isEmpty();
    }

    @Test
    void the_migration_creates_the_constraints_and_indexes_under_their_documented_names_with_fillfactor_70() {
        BatonSchema.migrate(PG.dataSource());
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))
                .extracting(r -> r.get("indexname"))
                .contains(
                        "unique_batch_id",
                        "idx_batch_processing_queue_batch_id",
                        "unique_batch_stage",
                        "idx_batch_processing_data_batch_id",
                        "idx_batch_processing_data_stage");
        assertThat(sql.rows("SELECT reloptions::text AS o FROM pg_class WHERE relname = 'batch_processing_queue'"
                                + " AND relnamespace = current_schema()::regnamespace")
                        .get(0)
                        .get("o")
                        .toString())
                .contains("fillfactor=70");
    }

    List<Object> indexes(String table) {
        return new Sql(PG.dataSource())
                        .rows(
                                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?"
                                        + " ORDER BY indexname",
                                table)
                        .stream()
                        .map(r -> r.get("indexname"))
                        .toList();
    }

    @Test
    void the_shipped_files_run_as_they_are_as_one_script_like_a_migration_tool_would() {
        Sql sql = new Sql(PG.dataSource());
        for (String script : BatonSchema.MIGRATIONS) {
            String text = BatonSchema.read(script);
            assertThat(text).doesNotContain("${").doesNotContain("baton_schema_history");
            sql.execute(text);
        }
        assertThat(tables("batch_processing_%")).isEqualTo(3);
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        assertThat(store.create(1, "setup").attempt()).isEqualTo(1);
    }

    List<Object> constraints(String table) {
        return new Sql(PG.dataSource())
                        .rows(
                                "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(?)"
                                        + " ORDER BY conname",
                                table)
                        .stream()
                        .map(r -> r.get("conname"))
                        .toList();
    }

    List<Object> columns(String table) {
        return new Sql(PG.dataSource())
                        .rows(
                                "SELECT column_name FROM information_schema.columns"
                                        + " WHERE table_schema = current_schema() AND table_name = ? ORDER BY "
                                        + "ordinal_position",
                                table)
                        .stream()
                        .map(r -> r.get("column_name"))
                        .toList();
    }

    @Test
    void a_0_1_database_is_upgraded_in_place_keeping_its_tables_and_batches_and_its_batches_have_no_input() {
        Sql sql = new Sql(PG.dataSource());
        // what BatonSchema.migrate of 0.1 left: V1 and its history, a batch with an output
        sql.execute(BatonSchema.read("V1__baton_queue_and_data.sql"));
        sql.execute("CREATE TABLE baton_schema_history (version INT PRIMARY KEY, script TEXT NOT NULL,"
                + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        sql.update("INSERT INTO baton_schema_history (version, script) VALUES (1, 'V1__baton_queue_and_data.sql')");
        sql.update("INSERT INTO batch_processing_queue (batch_id, current_stage, status, created_at, updated_at)"
                + " VALUES (7, 'extraction', 'pending', now(), now())");
        sql.update("INSERT INTO batch_processing_data (batch_id, stage, data, created_at)"
                + " VALUES (7, 'setup', '{\"rows\": 3}', now())");
        List<Object> indexes = indexes("batch_processing_queue");
        List<Object> dataIndexes = indexes("batch_processing_data");
        List<Object> constraints = constraints("batch_processing_queue");
        List<Object> v1Columns = columns("batch_processing_queue");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .hasMessageContaining("input_digest");

        assertThat(BatonSchema.migrate(PG.dataSource())).containsExactly(2, 3, 4);

        assertThat(indexes("batch_processing_queue")).isEqualTo(indexes);
        assertThat(indexes("batch_processing_data")).isEqualTo(dataIndexes);
        assertThat(constraints("batch_processing_queue")).isEqualTo(constraints);
        assertThat(columns("batch_processing_queue"))
                .startsWith(v1Columns.toArray())
                .endsWith("input_digest", "trace_context")
                .hasSize(v1Columns.size() + 2);
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        BatchRecord old = store.find(7).orElseThrow();
        assertThat(old.hasInput()).isFalse();
        assertThat(store.readInput(7, in -> "never called")).isEmpty();
        assertThat(store.readOutput(7, "setup")).contains("{\"rows\": 3}");
        assertThat(store.create(7, "setup", null, Duration.ZERO).isNew())
                .as("a start again is the same run")
                .isFalse();
        assertThat(BatonSchema.migrate(PG.dataSource())).isEmpty();
    }

    @Test
    void a_0_1_database_is_upgraded_in_place_and_its_waiting_batch_fans_out_into_shards() {
        Sql sql = new Sql(PG.dataSource());
        // 0.1: V1 alone, a batch waiting at 'extraction' whose 'setup' output holds three items
        sql.execute(BatonSchema.read("V1__baton_queue_and_data.sql"));
        sql.execute("CREATE TABLE baton_schema_history (version INT PRIMARY KEY, script TEXT NOT NULL,"
                + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        sql.update("INSERT INTO baton_schema_history (version, script) VALUES (1, 'V1__baton_queue_and_data.sql')");
        sql.update("INSERT INTO batch_processing_queue (batch_id, current_stage, status, created_at, updated_at)"
                + " VALUES (7, 'extraction', 'pending', now(), now())");
        sql.update("INSERT INTO batch_processing_data (batch_id, stage, data, created_at)"
                + " VALUES (7, 'setup', '[\"a\", \"b\", \"c\"]', now())");
        List<Object> queueColumns = columns("batch_processing_queue");
        List<Object> dataColumns = columns("batch_processing_data");
        List<Object> dataIndexes = indexes("batch_processing_data");
        List<Object> dataConstraints = constraints("batch_processing_data");

        assertThat(BatonSchema.migrate(PG.dataSource())).containsExactly(2, 3, 4);

        assertThat(columns("batch_processing_data")).isEqualTo(dataColumns);
        assertThat(indexes("batch_processing_data")).isEqualTo(dataIndexes);
        assertThat(constraints("batch_processing_data")).isEqualTo(dataConstraints);
        assertThat(columns("batch_processing_queue")).startsWith(queueColumns.toArray());
        assertThat(constraints("batch_processing_shard"))
                .contains(
                        "batch_processing_shard_pkey",
                        "batch_processing_shard_status_check",
                        "batch_processing_shard_attempt_check",
                        "batch_processing_shard_range_check");
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        FanOutTest.HeldTrigger trigger = new FanOutTest.HeldTrigger();
        Pipeline pipeline = Pipeline.builder()
                .stage("setup", ctx -> StageResult.done(List.of("a", "b", "c")))
                .stage(
                        "extraction",
                        FanOut.each(
                                        ctx -> List.of(ctx.output("setup", String[].class)),
                                        Slicer.concurrency(1),
                                        item -> item.toUpperCase(java.util.Locale.ROOT))
                                .shards(3))
                .build();
        PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build();
        assertThat(runner.runStage(7, "extraction").kind()).isEqualTo(StageOutcome.Kind.FANNED_OUT);
        trigger.drain();
        assertThat(store.find(7).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(7, "extraction")).contains("[\"A\", \"B\", \"C\"]");
        assertThat(sql.rows("SELECT count(*) AS n FROM batch_processing_shard"
                                + " WHERE batch_id = 7 AND status = 'completed'")
                        .get(0)
                        .get("n"))
                .isEqualTo(3L);
    }

    @Test
    void a_0_2_database_is_upgraded_in_place_and_its_batches_run_on_without_a_trace_context() {
        Sql sql = new Sql(PG.dataSource());
        // what BatonSchema.migrate of 0.2 left: V1 and V2 and their history, a batch with an input, at its second stage
        sql.execute(BatonSchema.read("V1__baton_queue_and_data.sql"));
        sql.execute(BatonSchema.read("V2__batch_inputs.sql"));
        sql.execute("CREATE TABLE baton_schema_history (version INT PRIMARY KEY, script TEXT NOT NULL,"
                + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        sql.update("INSERT INTO baton_schema_history (version, script) VALUES (1, 'V1__baton_queue_and_data.sql'),"
                + " (2, 'V2__batch_inputs.sql')");
        sql.update("INSERT INTO batch_processing_queue (batch_id, current_stage, status, created_at, updated_at,"
                + " input_digest) VALUES (8, 'extraction', 'pending', now(), now(), 'abc')");
        sql.update("INSERT INTO batch_processing_data (batch_id, stage, data, created_at)"
                + " VALUES (8, ':input', '{\"m\": 2}', now()), (8, 'setup', '{\"rows\": 3}', now())");
        List<Object> indexes = indexes("batch_processing_queue");
        List<Object> constraints = constraints("batch_processing_queue");
        List<Object> v2Columns = columns("batch_processing_queue");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).build())
                .hasMessageContaining("trace_context");

        assertThat(BatonSchema.migrate(PG.dataSource())).containsExactly(3, 4);

        assertThat(indexes("batch_processing_queue")).isEqualTo(indexes);
        assertThat(constraints("batch_processing_queue")).isEqualTo(constraints);
        assertThat(columns("batch_processing_queue"))
                .startsWith(v2Columns.toArray())
                .endsWith("trace_context")
                .hasSize(v2Columns.size() + 1);
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        BatchRecord old = store.find(8).orElseThrow();
        assertThat(old.traceContext()).isNull();
        assertThat(old.hasInput()).isTrue();
        assertThat(store.readInput(8, in -> {
                    java.io.StringWriter text = new java.io.StringWriter();
                    in.transferTo(text);
                    return text.toString();
                }))
                .contains("{\"m\": 2}");
        BatchRecord claimed =
                store.claim(8, "extraction", "worker", Duration.ofSeconds(30)).orElseThrow();
        assertThat(claimed.traceContext()).isNull();
        String traced = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assertThat(store.create(9, "setup", null, Duration.ZERO, traced).batch().traceContext())
                .as("a batch started after the upgrade keeps its trace context")
                .isEqualTo(traced);
        assertThat(BatonSchema.migrate(PG.dataSource())).isEmpty();
    }

    @Test
    void a_prefix_renames_every_index_and_constraint_so_two_sets_of_tables_share_a_schema() {
        BatonSchema.migrate(PG.dataSource());
        BatonSchema.migrate(PG.dataSource(), null, "acme_");
        assertThat(indexes("acme_batch_processing_queue"))
                .containsExactly(
                        "acme_batch_processing_queue_pkey",
                        "acme_unique_batch_id",
                        "idx_acme_batch_processing_queue_batch_id",
                        "idx_acme_batch_processing_queue_due",
                        "idx_acme_batch_processing_queue_running");
        assertThat(indexes("acme_batch_processing_data"))
                .containsExactly(
                        "acme_batch_processing_data_pkey",
                        "acme_unique_batch_stage",
                        "idx_acme_batch_processing_data_batch_id",
                        "idx_acme_batch_processing_data_stage");
        assertThat(tables("acme_baton_schema_history")).isEqualTo(1);
        assertThat(BatonSchema.migrate(PG.dataSource(), null, "acme_")).isEmpty();
    }

    @Test
    void the_longest_prefix_gives_names_that_postgresql_keeps_whole() {
        String prefix = "a23456789_123456789_123_";
        assertThat(prefix).hasSize(24);
        BatonSchema.migrate(PG.dataSource(), null, prefix);
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.count(
                        "SELECT count(*) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND "
                                + "conname IN (?, ?, ?)",
                        prefix + "batch_processing_queue_attempt_check",
                        prefix + "batch_processing_queue_status_check",
                        prefix + "unique_batch_stage"))
                .isEqualTo(3);
        assertThat(indexes(prefix + "batch_processing_queue"))
                .contains("idx_" + prefix + "batch_processing_queue_batch_id");
        assertThatThrownBy(() -> BatonSchema.migrate(PG.dataSource(), null, prefix + "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tablePrefix")
                .hasMessageContaining("1 to 24");
        assertThatThrownBy(() -> JdbcStageStore.builder(PG.dataSource()).tablePrefix(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tablePrefix");
    }

    @Test
    void chained_stages_heartbeats_and_the_sweepers_touch_are_hot_updates_that_add_no_index_entries() throws Exception {
        BatonSchema.migrate(PG.dataSource());
        JdbcStageStore store = JdbcStageStore.builder(PG.dataSource()).build();
        store.create(1, "setup");
        BatchRecord claim = store.claim(1, "setup", "w", Duration.ofMinutes(5)).orElseThrow();
        for (int i = 0; i < 5; i++) {
            assertThat(store.heartbeat(claim, Duration.ofMinutes(5))).isTrue();
        }
        for (String next : List.of("extraction", "annotation", "validation")) {
            claim = store.advanceAndClaim(claim, "{\"n\": 1}", next, StageStats.NONE, Duration.ofMinutes(5))
                    .orElseThrow();
        }
        Sql sql = new Sql(PG.dataSource());
        store.create(2, "setup");
        sql.update(
                "UPDATE batch_processing_queue SET run_after = run_after - interval '1 hour', updated_at = updated_at "
                        + "- interval '1 hour'"
                        + " WHERE batch_id = 2");
        assertThat(store.rescue(store.findStalled(Duration.ofMinutes(1), 10).get(0), null, false))
                .isPresent();
        // the counters arrive when the store's backends exit after their connections close: 11 updates in all,
        // of which only the claim (pending to in_progress) and the test's own UPDATE of run_after change an indexed
        // column
        String stats = "SELECT n_tup_upd AS updates, n_tup_hot_upd AS hot FROM pg_stat_user_tables"
                + " WHERE schemaname = current_schema() AND relname = 'batch_processing_queue'";
        Map<String, Object> counted = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Map<String, Object> row;
            while (((Number) (row = sql.rows(stats).get(0)).get("updates")).longValue() < 11) {
                Thread.sleep(50);
            }
            return row;
        });
        assertThat(((Number) counted.get("hot")).longValue())
                .as("HOT updates among %s", counted)
                .isEqualTo(9);
    }

    @Test
    void a_prefix_and_a_schema_give_separate_tables_that_the_store_uses() {
        new Sql(PG.dataSource()).execute("CREATE SCHEMA " + PG.schema() + "_other");
        try {
            BatonSchema.migrate(PG.dataSource());
            BatonSchema.migrate(PG.dataSource(), null, "acme_");
            BatonSchema.migrate(PG.dataSource(), PG.schema() + "_other", "");
            assertThat(tables("acme_batch_processing_%")).isEqualTo(3);
            JdbcStageStore acme =
                    JdbcStageStore.builder(PG.dataSource()).tablePrefix("acme_").build();
            JdbcStageStore other = JdbcStageStore.builder(PG.dataSource())
                    .schema(PG.schema() + "_other")
                    .build();
            acme.create(1, "setup");
            other.create(1, "setup");
            assertThat(JdbcStageStore.builder(PG.dataSource()).build().find(1)).isEmpty();
            assertThat(acme.find(1)).isPresent();
            assertThat(other.find(1)).isPresent();
        } finally {
            new Sql(PG.dataSource()).execute("DROP SCHEMA " + PG.schema() + "_other CASCADE");
        }
    }
}
