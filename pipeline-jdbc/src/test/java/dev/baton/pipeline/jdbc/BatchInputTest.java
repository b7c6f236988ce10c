package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.UnstorableValueException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the PostgreSQL store keeps a batch's input: beside the outputs under {@code :input}, with the digest
 * of its text on the queue row, one run for any number of starts with the same input, and nothing at all
 * for an input it cannot store as it is.
 */
class BatchInputTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);

    JdbcStageStore store;
    Sql sql;
    ExecutorService pool;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        sql = new Sql(PG.dataSource());
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stopThreads() {
        pool.shutdownNow();
    }

    static String sha256(String text) throws Exception {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8));
    }

    static String text(Reader in) throws IOException {
        StringWriter out = new StringWriter();
        in.transferTo(out);
        return out.toString();
    }

    long rows(String table) {
        return sql.count("SELECT count(*) FROM " + table);
    }

    /** Runs both calls at once, released together by a latch, and returns what each returned or threw. */
    List<Object> atOnce(Callable<?> first, Callable<?> second) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Object>> results = new ArrayList<>();
        for (Callable<?> call : List.of(first, second)) {
            results.add(pool.submit(() -> {
                go.await();
                try {
                    return call.call();
                } catch (RuntimeException e) {
                    return e;
                }
            }));
        }
        go.countDown();
        List<Object> out = new ArrayList<>();
        for (Future<Object> f : results) {
            out.add(f.get());
        }
        return out;
    }

    String digestOf(long batchId) {
        return (String) sql.rows("SELECT input_digest FROM batch_processing_queue WHERE batch_id = ?", batchId)
                .get(0)
                .get("input_digest");
    }

    @Test
    void a_small_input_is_one_jsonb_row_under_the_reserved_stage_with_its_digest_on_the_queue_row() throws Exception {
        String input = "{\"customer\": 42, \"items\": [1, 2]}";
        BatchRecord r = store.create(1, "setup", JsonSource.ofText(input), Duration.ZERO)
                .batch();

        assertThat(r.hasInput()).isTrue();
        assertThat(sql.rows("SELECT stage, chunk, chunks, (data->>'customer')::int AS customer"
                        + " FROM batch_processing_data"))
                .containsExactly(Map.of("stage", ":input", "chunk", 0, "chunks", 1, "customer", 42));
        assertThat(digestOf(1)).isEqualTo(sha256(input));
        store.create(2, "setup");
        assertThat(digestOf(2)).as("no input, no digest").isNull();
    }

    @Test
    void a_large_input_streams_into_chunk_rows_and_its_digest_is_that_of_the_text_as_written() throws Exception {
        String input = JdbcStageStoreTest.bigJson(10_000);
        JsonSource streamed = JsonSource.streamed(out -> {
            for (int from = 0; from < input.length(); from += 333) {
                out.write(input, from, Math.min(333, input.length() - from));
            }
        });
        assertThat(store.create(1, "setup", streamed, Duration.ZERO).isNew()).isTrue();

        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE stage = ':input' AND chunks > 1"))
                .isEqualTo((input.length() + 1023) / 1024);
        assertThat(digestOf(1)).isEqualTo(sha256(input));
        assertThat(store.readInput(1, BatchInputTest::text)).contains(input);
        assertThat(store.find(1).orElseThrow().hasInput()).isTrue();
    }

    @Test
    void an_input_holding_the_escape_u0000_is_stored_as_written_rather_than_refused() {
        String input = "{\"s\":\"a\\u0000b\"}";
        assertThat(store.create(1, "setup", JsonSource.ofText(input), Duration.ZERO)
                        .isNew())
                .isTrue();
        assertThat(store.readInput(1, BatchInputTest::text)).contains(input);
        assertThat(store.create(1, "setup", JsonSource.ofText(input), Duration.ZERO)
                        .isNew())
                .isFalse();
    }

    @Test
    void two_starts_of_one_batch_at_once_with_the_same_input_leave_one_run_and_both_see_it() throws Exception {
        for (String input : List.of("{\"n\":1}", JdbcStageStoreTest.bigJson(20_000))) {
            long batchId = input.length();
            Callable<StageStore.Created> start =
                    () -> store.create(batchId, "setup", JsonSource.ofText(input), Duration.ZERO);
            List<Object> results = atOnce(start, start);

            assertThat(results).as("both starts return the run").allMatch(r -> r instanceof StageStore.Created);
            List<StageStore.Created> created =
                    results.stream().map(r -> (StageStore.Created) r).toList();
            assertThat(created)
                    .filteredOn(StageStore.Created::isNew)
                    .as("exactly one creates it")
                    .hasSize(1);
            assertThat(created.get(0).batch()).isEqualTo(created.get(1).batch());
            assertThat(sql.count("SELECT count(*) FROM batch_processing_queue WHERE batch_id = ?", batchId))
                    .isEqualTo(1);
            assertThat(store.readInput(batchId, BatchInputTest::text).orElseThrow())
                    .isEqualToIgnoringWhitespace(input);
        }
    }

    @Test
    void a_start_that_meets_a_start_still_streaming_the_same_input_waits_for_it_and_returns_its_run() throws Exception {
        String large = JdbcStageStoreTest.bigJson(5_000);
        CountDownLatch inserted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JsonSource held = JsonSource.streamed(out -> {
            out.write(large); // past the chunk threshold: the row is inserted, in a transaction still open
            inserted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            out.write(" ");
        });
        Future<StageStore.Created> first = pool.submit(() -> store.create(1, "setup", held, Duration.ZERO));
        inserted.await();
        Future<StageStore.Created> second =
                pool.submit(() -> store.create(1, "setup", JsonSource.ofText(large + " "), Duration.ZERO));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            while (sql.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            + " AND query LIKE 'WITH created AS%'")
                    == 0) {
                Thread.onSpinWait();
            }
        });
        assertThat(second).as("the second start waits on the first one's row").isNotDone();
        release.countDown();

        assertThat(first.get().isNew()).isTrue();
        assertThat(second.get().isNew()).isFalse();
        assertThat(second.get().batch()).isEqualTo(first.get().batch());
        assertThat(store.readInput(1, BatchInputTest::text)).contains(large + " ");
    }

    @Test
    void two_starts_of_one_batch_at_once_with_different_inputs_leave_one_run_and_one_conflict() throws Exception {
        String large = JdbcStageStoreTest.bigJson(20_000);
        List<Object> results = atOnce(
                () -> store.create(1, "setup", JsonSource.ofText("{\"n\":1}"), Duration.ZERO),
                () -> store.create(1, "setup", JsonSource.ofText(large), Duration.ZERO));

        assertThat(results)
                .filteredOn(r -> r instanceof StageStore.Created c && c.isNew())
                .hasSize(1);
        assertThat(results).filteredOn(r -> r instanceof BatchConflictException).hasSize(1);
        String stored = store.readInput(1, BatchInputTest::text).orElseThrow();
        assertThat(stored.equals(large) || stored.equals("{\"n\": 1}"))
                .as("one whole input: %.40s", stored)
                .isTrue();
        String written = stored.equals(large) ? large : "{\"n\":1}";
        assertThat(digestOf(1)).as("the digest of that input").isEqualTo(sha256(written));
        assertThat(rows("batch_processing_queue")).isEqualTo(1);
        assertThat(sql.count("SELECT count(DISTINCT chunks) FROM batch_processing_data"))
                .as("rows of one input only")
                .isEqualTo(1);
    }

    @Test
    void an_input_the_store_cannot_keep_as_it_is_is_refused_naming_the_batch_and_nothing_is_written() {
        String large = JdbcStageStoreTest.bigJson(5_000);
        List<JsonSource> refused = List.of(
                JsonSource.ofText("{\"a\":"),
                JsonSource.ofText("[1] [2]"),
                JsonSource.streamed(out -> out.write("not json")),
                JsonSource.ofText("[\"\uD83D\"]"),
                JsonSource.streamed(out -> {
                    out.write(large);
                    out.write("\uDE00");
                }),
                JsonSource.streamed(out -> {
                    out.write(large);
                    throw new IOException("the source went away");
                }));
        for (JsonSource input : refused) {
            assertThatThrownBy(() -> store.create(1, "setup", input, Duration.ZERO))
                    .isInstanceOf(UnstorableValueException.class)
                    .hasMessageContaining("the input of batch 1");
            assertThat(rows("batch_processing_queue")).isZero();
            assertThat(rows("batch_processing_data")).isZero();
        }
        assertThat(store.create(1, "setup", JsonSource.ofText(large), Duration.ZERO)
                        .isNew())
                .isTrue();
    }

    @Test
    void a_second_start_of_a_large_input_compares_it_without_writing_any_of_it() throws Exception {
        String large = JdbcStageStoreTest.bigJson(5_000);
        store.create(1, "setup", JsonSource.ofText(large), Duration.ZERO);
        BatchRecord claim = store.claim(1, "setup", "w", LEASE).orElseThrow();
        List<Map<String, Object>> before = sql.rows("SELECT * FROM batch_processing_data ORDER BY id");

        StageStore.Created again =
                store.create(1, "setup", JsonSource.streamed(out -> out.write(large)), Duration.ZERO);
        assertThat(again.isNew()).isFalse();
        assertThat(again.batch()).isEqualTo(claim);
        JsonSource another = JsonSource.ofText(large.replace("]}", ",{}]}"));
        assertThatThrownBy(() -> store.create(1, "setup", another, Duration.ZERO))
                .isInstanceOf(BatchConflictException.class)
                .hasMessageContaining("another input")
                .hasMessageContaining("in_progress at stage 'setup'");
        assertThat(sql.rows("SELECT * FROM batch_processing_data ORDER BY id")).isEqualTo(before);
    }

    @Test
    void starting_a_batch_again_needs_one_connection_at_a_time() {
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(2_000);
        try (HikariDataSource one = new HikariDataSource(config)) {
            JdbcStageStore pooled =
                    JdbcStageStore.builder(one).chunkThreshold(1024).build();
            String large = JdbcStageStoreTest.bigJson(5_000);
            assertThat(pooled.create(1, "setup", JsonSource.ofText(large), Duration.ZERO)
                            .isNew())
                    .isTrue();
            assertThat(pooled.create(1, "setup", JsonSource.ofText(large), Duration.ZERO)
                            .isNew())
                    .isFalse();
            assertThatThrownBy(() -> pooled.create(1, "setup", JsonSource.ofText(large + " "), Duration.ZERO))
                    .isInstanceOf(BatchConflictException.class);
        }
    }

    @Test
    void a_restart_from_the_first_stage_deletes_the_outputs_and_keeps_the_input_rows() {
        String large = JdbcStageStoreTest.bigJson(5_000);
        store.create(1, "a", JsonSource.ofText(large), Duration.ZERO);
        assertThat(store.advance(store.claim(1, "a", "w", LEASE).orElseThrow(), "[1]", "b", StageStats.NONE))
                .isTrue();
        long inputRows = sql.count("SELECT count(*) FROM batch_processing_data WHERE stage = ':input'");

        assertThat(store.reset(1, "a", List.of("b"), -1)).isPresent();
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE stage = ':input'"))
                .isEqualTo(inputRows);
        assertThat(sql.count("SELECT count(*) FROM batch_processing_data WHERE stage <> ':input'"))
                .isZero();
        assertThat(store.readInput(1, BatchInputTest::text)).contains(large);
    }

    @Test
    void start_after_sets_run_after_from_the_database_clock() {
        BatchRecord r = store.create(1, "setup", null, Duration.ofMinutes(90)).batch();
        assertThat(Duration.between(r.createdAt(), r.runAfter())).isEqualTo(Duration.ofMinutes(90));
        assertThat(sql.count("SELECT count(*) FROM batch_processing_queue"
                        + " WHERE run_after = created_at + interval '90 minutes'"))
                .isEqualTo(1);
        assertThat(store.claimDue("w", LEASE, 10, Map.of()))
                .as("the queue workers do not claim it early")
                .isEmpty();
    }
}
