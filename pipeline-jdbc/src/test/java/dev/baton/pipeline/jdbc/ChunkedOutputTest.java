package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.JsonSource;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.UnstorableValueException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How outputs are laid out in batch_processing_data: one jsonb row, or chunk rows of JSON-string slices. */
class ChunkedOutputTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration LEASE = Duration.ofMinutes(5);

    JdbcStageStore store;
    Sql sql;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        sql = new Sql(PG.dataSource());
    }

    BatchRecord claimNew(JdbcStageStore s, long batchId) {
        s.create(batchId, "setup");
        return s.claim(batchId, "setup", "w", LEASE).orElseThrow();
    }

    List<Map<String, Object>> slices(long batchId) {
        return sql.rows(
                "SELECT chunk, chunks, jsonb_typeof(data) AS type, length(data #>> '{}') AS length"
                        + " FROM batch_processing_data WHERE batch_id = ? ORDER BY chunk",
                batchId);
    }

    @Test
    void a_five_megabyte_output_is_stored_as_chunk_rows_of_the_default_size_and_reads_back_exactly() {
        String json = JdbcStageStoreTest.bigJson(5 * 1024 * 1024);
        assertThat(store.advance(claimNew(store, 1), json, "extraction", StageStats.NONE))
                .isTrue();

        int expected =
                (json.length() + JdbcStageStore.DEFAULT_CHUNK_THRESHOLD - 1) / JdbcStageStore.DEFAULT_CHUNK_THRESHOLD;
        List<Map<String, Object>> rows = slices(1);
        assertThat(rows).hasSizeBetween(expected, expected + 1).allSatisfy(r -> {
            assertThat(r.get("chunks")).isEqualTo(rows.size());
            assertThat(r.get("type")).isEqualTo("string");
            assertThat((Integer) r.get("length")).isBetween(1, JdbcStageStore.DEFAULT_CHUNK_THRESHOLD);
        });
        assertThat(rows)
                .extracting(r -> r.get("chunk"))
                .isEqualTo(
                        java.util.stream.IntStream.range(0, rows.size()).boxed().toList());
        assertThat(store.readOutput(1, "setup")).contains(json);
    }

    @Test
    void an_output_up_to_the_threshold_is_one_row_holding_the_json_itself() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        String json = "[" + "1,".repeat(510) + "10]";
        assertThat(json).hasSize(1024);
        assertThat(small.advance(claimNew(small, 1), json, "extraction", StageStats.NONE))
                .isTrue();
        assertThat(sql.rows("SELECT chunk, chunks, jsonb_typeof(data) AS type, jsonb_array_length(data) AS n"
                        + " FROM batch_processing_data WHERE batch_id = 1"))
                .containsExactly(Map.of("chunk", 0, "chunks", 1, "type", "array", "n", 511));

        assertThat(small.advance(claimNew(small, 2), json + " ", "extraction", StageStats.NONE))
                .isTrue();
        assertThat(slices(2)).hasSize(2);
    }

    @Test
    void a_surrogate_pair_on_a_slice_boundary_moves_whole_to_the_next_slice() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        // '"' + 1022 'a' puts the high surrogate of each emoji that follows at index 1023, the last of slice 0
        String json = "\"" + "a".repeat(1022) + "😀".repeat(600) + "\"";
        assertThat(Character.isHighSurrogate(json.charAt(1023))).isTrue();
        assertThat(small.advance(claimNew(small, 1), json, "extraction", StageStats.NONE))
                .isTrue();
        assertThat(slices(1).get(0).get("length"))
                .as("characters of slice 0, as PostgreSQL counts them")
                .isEqualTo(1023);
        assertThat(store.readOutput(1, "setup"))
                .as("read with another threshold than the writer's")
                .contains(json);
    }

    @Test
    void malformed_json_is_refused_with_its_position_and_nothing_changes() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        BatchRecord c = claimNew(small, 1);
        Map<String, Object> before = sql.queueRow(1);
        String large = "{\"a\":[" + "1,".repeat(2000) + "]}";
        for (String bad : List.of(large, "{\"a\":", "", "1 2", "[1]]")) {
            assertThatThrownBy(() -> small.advance(c, bad, "extraction", StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class)
                    .hasMessageContaining("output of stage 'setup' of batch 1");
            assertThatThrownBy(() -> small.saveProgress(c, "{}", bad, StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class);
            assertThatThrownBy(() -> small.saveProgress(c, bad, "{}", StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class);
        }
        assertThatThrownBy(() -> small.advance(c, (String) null, "extraction", StageStats.NONE))
                .isInstanceOf(UnstorableValueException.class);
        assertThatThrownBy(() -> small.advance(c, large, "extraction", StageStats.NONE))
                .hasMessageMatching("(?s).*line 1, column 400\\d.*");
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(sql.outputRows(1)).isZero();
        assertThat(small.advance(c, "null", "extraction", StageStats.NONE))
                .as("the claim still holds")
                .isTrue();
    }

    @Test
    void writing_again_replaces_every_earlier_row_of_the_stage() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        BatchRecord c = claimNew(small, 1);
        assertThat(small.saveProgress(c, "1", JdbcStageStoreTest.bigJson(10_000), StageStats.NONE))
                .isTrue();
        long many = sql.outputRows(1);
        String shorter = JdbcStageStoreTest.bigJson(3_000);
        BatchRecord again = small.claim(1, "setup", "w", LEASE).orElseThrow();
        assertThat(small.saveProgress(again, "2", shorter, StageStats.NONE)).isTrue();
        assertThat(sql.outputRows(1)).isLessThan(many).isEqualTo(slices(1).size());
        assertThat(slices(1))
                .allSatisfy(r -> assertThat(r.get("chunks")).isEqualTo(slices(1).size()));
        assertThat(small.readOutput(1, "setup")).contains(shorter);
    }

    @Test
    void a_missing_or_foreign_chunk_row_is_an_error_never_a_shorter_output() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        assertThat(small.advance(claimNew(small, 1), JdbcStageStoreTest.bigJson(5_000), "extraction", StageStats.NONE))
                .isTrue();
        sql.update("DELETE FROM batch_processing_data WHERE batch_id = 1 AND chunk = (SELECT max(chunk) FROM "
                + "batch_processing_data)");
        assertThatThrownBy(() -> small.readOutput(1, "setup"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stage 'setup' of batch 1")
                .hasMessageContaining("restart the batch");

        assertThat(small.advance(claimNew(small, 2), JdbcStageStoreTest.bigJson(5_000), "extraction", StageStats.NONE))
                .isTrue();
        sql.update("DELETE FROM batch_processing_data WHERE batch_id = 2 AND chunk = 1");
        assertThatThrownBy(() -> small.readOutput(2, "setup")).isInstanceOf(IllegalStateException.class);
    }

    /** A source writing {@code json} in pieces of 100 characters, counting how often it was asked to write. */
    static JsonSource streamedInPieces(String json, AtomicInteger writes) {
        return JsonSource.streamed(out -> {
            writes.incrementAndGet();
            for (int from = 0; from < json.length(); from += 100) {
                out.write(json, from, Math.min(100, json.length() - from));
            }
        });
    }

    static String readInSmallReads(JdbcStageStore s, long batchId) {
        return s.readOutput(batchId, "setup", in -> {
                    StringBuilder text = new StringBuilder();
                    char[] buffer = new char[7];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        text.append(buffer, 0, n);
                    }
                    return text.toString();
                })
                .orElseThrow();
    }

    @Test
    void a_streamed_output_goes_into_chunk_rows_as_it_is_written_and_reads_back_through_a_reader() throws Exception {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        String json = JdbcStageStoreTest.bigJson(10_000);
        AtomicInteger writes = new AtomicInteger();
        assertThat(small.advance(claimNew(small, 1), streamedInPieces(json, writes), "extraction", StageStats.NONE))
                .isTrue();

        assertThat(writes)
                .as("the source is written once: past 1024 characters the rest streams into chunks")
                .hasValue(1);
        List<Map<String, Object>> rows = slices(1);
        assertThat(rows).hasSizeGreaterThanOrEqualTo(10).allSatisfy(r -> {
            assertThat(r.get("chunks")).isEqualTo(rows.size());
            assertThat((Integer) r.get("length")).isBetween(1, 1024);
        });
        assertThat(readInSmallReads(small, 1)).isEqualTo(json);
        assertThat(small.readOutput(
                        1,
                        "setup",
                        in -> new ObjectMapper().readTree(in).get("items").size()))
                .as("Jackson parses the rows as one text")
                .contains(new ObjectMapper().readTree(json).get("items").size());
    }

    @Test
    void a_streamed_output_that_fits_is_written_once_into_one_jsonb_row() throws Exception {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        String json = "[" + "1,".repeat(510) + "10]";
        AtomicInteger writes = new AtomicInteger();
        assertThat(small.advance(claimNew(small, 1), streamedInPieces(json, writes), "extraction", StageStats.NONE))
                .isTrue();
        assertThat(writes).hasValue(1);
        assertThat(slices(1)).extracting(r -> r.get("type")).containsExactly("array");
        assertThat(new ObjectMapper().readTree(readInSmallReads(small, 1)))
                .isEqualTo(new ObjectMapper().readTree(json));
    }

    @Test
    void a_source_that_fails_half_way_writes_nothing_and_the_claim_still_holds() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        String partial = JdbcStageStoreTest.bigJson(3_000);
        assertThat(small.saveProgress(claimNew(small, 1), "1", partial, StageStats.NONE))
                .isTrue();
        BatchRecord again = small.claim(1, "setup", "w", LEASE).orElseThrow();
        Map<String, Object> before = sql.queueRow(1);
        JsonSource failing = JsonSource.streamed(out -> {
            out.write(JdbcStageStoreTest.bigJson(5_000));
            throw new IOException("the object store went away");
        });

        for (JsonSource bad : List.of(failing, JsonSource.streamed(out -> {
            throw new IllegalStateException("not serialisable");
        }))) {
            assertThatThrownBy(() -> small.advance(again, bad, "extraction", StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class)
                    .hasMessageStartingWith("the output of stage 'setup' of batch 1 could not be written: ");
            assertThatThrownBy(() -> small.saveProgress(again, "2", bad, StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class)
                    .hasMessageStartingWith("the partial output of stage 'setup' of batch 1 could not be written: ");
        }
        assertThatThrownBy(() -> small.advance(again, failing, "extraction", StageStats.NONE))
                .hasMessageEndingWith("the object store went away")
                .hasCauseInstanceOf(IOException.class);
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(small.readOutput(1, "setup"))
                .as("the earlier partial output is untouched")
                .contains(partial);
        assertThat(small.advance(again, "null", "extraction", StageStats.NONE))
                .as("the claim still holds")
                .isTrue();
    }

    @Test
    void a_long_streamed_output_of_a_lost_claim_writes_no_row() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        BatchRecord c = claimNew(small, 1);
        sql.expireLease(1);
        small.rescue(small.findStalled(Duration.ZERO, 1).get(0), "lease expired", false)
                .orElseThrow();
        AtomicInteger writes = new AtomicInteger();
        assertThat(small.advance(
                        c, streamedInPieces(JdbcStageStoreTest.bigJson(10_000), writes), "extraction", StageStats.NONE))
                .isFalse();
        assertThat(writes)
                .as("one write, cut short when the compare-and-set failed before any chunk")
                .hasValue(1);
        assertThat(sql.outputRows(1)).isZero();
    }

    @Test
    void a_streamed_output_one_character_past_the_threshold_is_two_chunk_rows() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        String json = "\"" + "a".repeat(1023) + "\"";
        assertThat(json).hasSize(1025);
        assertThat(small.advance(
                        claimNew(small, 1), streamedInPieces(json, new AtomicInteger()), "extraction", StageStats.NONE))
                .isTrue();
        assertThat(slices(1)).extracting(r -> r.get("length")).containsExactly(1024, 1);
        assertThat(readInSmallReads(small, 1)).isEqualTo(json);
    }

    @Test
    void a_streamed_output_that_fits_one_row_but_is_not_json_is_refused_and_nothing_changes() {
        JdbcStageStore small =
                JdbcStageStore.builder(PG.dataSource()).chunkThreshold(1024).build();
        BatchRecord c = claimNew(small, 1);
        Map<String, Object> before = sql.queueRow(1);
        for (String bad : List.of("{\"a\":", "1 2", "")) {
            assertThatThrownBy(() ->
                            small.advance(c, streamedInPieces(bad, new AtomicInteger()), "extraction", StageStats.NONE))
                    .isInstanceOf(UnstorableValueException.class)
                    .hasMessageContaining("output of stage 'setup' of batch 1");
        }
        assertThat(sql.queueRow(1)).isEqualTo(before);
        assertThat(sql.outputRows(1)).isZero();
    }
}
