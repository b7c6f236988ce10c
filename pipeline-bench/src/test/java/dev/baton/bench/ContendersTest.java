package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.bench.contenders.BatonContender;
import dev.baton.bench.contenders.DbSchedulerContender;
import dev.baton.bench.contenders.DbosContender;
import dev.baton.bench.contenders.FloorContender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Every contender runs a tiny round on an embedded PostgreSQL through the real harness, and leaves in
 * its tables exactly the durable work the job asks for. Nothing here is timed: the bench's numbers are
 * not asserted, only that they were measured.
 */
class ContendersTest {
    static Database db;

    @BeforeAll
    static void start() throws Exception {
        db = Database.embedded(Map.of("fsync", "on"));
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    static long count(String sql) throws SQLException {
        try (Connection c = db.connect("baton-bench-test"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void everyContenderRunsTheJobAndTheReportHasEveryField(@TempDir Path dir) throws Exception {
        BenchSettings settings = new BenchSettings("test", 3, 2, 1, 0, List.of("floor", "baton-inprocess", "baton-queue", "dbos",
                "dbscheduler"), 1024, List.of(1024, 600 * 1024), 1, 6L * 600 * 1024 * 2, Map.of());
        Contender baton = BatonContender.inProcess();
        List<Contender> contenders = List.of(new FloorContender(), baton, BatonContender.queue(), new DbosContender(),
                new DbSchedulerContender());
        ByteArrayOutputStream progress = new ByteArrayOutputStream();

        Bench.Outcome outcome = assertTimeoutPreemptively(Duration.ofMinutes(5),
                () -> new Bench(db, settings, contenders, baton, new PrintStream(progress, true, StandardCharsets.UTF_8)).run());

        assertThat(count("SELECT count(*) FROM bench_floor.data")).isEqualTo(18);
        assertThat(count("SELECT count(*) FROM bench_floor.queue WHERE stage = 6")).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbos.workflow_status WHERE status = 'SUCCESS'")).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbos.operation_outputs")).isEqualTo(18);
        assertThat(count("SELECT count(*) FROM bench_dbscheduler.outputs")).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbscheduler.scheduled_tasks")).isZero();
        // the last round was Baton's largest payload: 2 batches of 600 KB outputs, each split into chunks
        assertThat(count("SELECT count(*) FROM bench_baton.batch_processing_queue WHERE status = 'completed'")).isEqualTo(2);
        assertThat(count("SELECT count(DISTINCT (batch_id, stage)) FROM bench_baton.batch_processing_data")).isEqualTo(12);
        assertThat(count("SELECT max(chunks) FROM bench_baton.batch_processing_data")).isEqualTo(2);

        assertThat(outcome.contenders()).extracting(ContenderResult::name)
                .containsExactly("floor", "baton-inprocess", "baton-queue", "dbos", "dbscheduler");
        for (ContenderResult c : outcome.contenders()) {
            assertThat(c.transitionsPerSec()).as(c.name()).isPositive();
            assertThat(c.commitsPerTransition()).as(c.name()).isPositive();
            assertThat(c.walBytesPerTransition()).as(c.name()).isPositive();
            assertThat(c.p99Ms()).as(c.name()).isGreaterThanOrEqualTo(c.p50Ms());
            assertThat(c.vsFloor()).as(c.name()).isNotNull();
        }
        assertThat(outcome.scaling()).extracting(ScalingResult::payloadBytes).containsExactly(1024, 600 * 1024);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("round 1/1").contains("scaling 1/1 600KB");

        BenchResults results = new BenchResults("--test", BenchResults.Machine.current(), db.facts(), settings, outcome.contenders(),
                outcome.scaling(), TargetCheck.evaluate(outcome.contenders(), outcome.scaling(), 2));
        Path json = dir.resolve("out/results.json");
        results.write(json);
        JsonNode read = new ObjectMapper().readTree(json.toFile());
        JsonNode dbos = read.get("contenders").get(3);
        assertThat(dbos.get("name").asText()).isEqualTo("dbos");
        for (String field : List.of("transitionsPerSec", "p50Ms", "p99Ms", "walBytesPerTransition", "commitsPerTransition", "heapPeakMb")) {
            assertThat(dbos.get(field).isNumber()).as(field).isTrue();
            assertThat(dbos.get("vsFloor").get(field).isNumber()).as("vsFloor." + field).isTrue();
        }
        assertThat(read.get("server").get("version").asText()).startsWith("17.");
        assertThat(read.get("payloadScaling")).hasSize(2);
    }
}
