package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.bench.contenders.BatonContender;
import dev.baton.bench.contenders.DbSchedulerContender;
import dev.baton.bench.contenders.DbosContender;
import dev.baton.bench.contenders.FloorBatchedContender;
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
        try (Connection c = db.connect("baton-bench-test");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void everyContenderRunsTheJobAndTheReportHasEveryField(@TempDir Path dir) throws Exception {
        BenchSettings settings = new BenchSettings(
                "test",
                3,
                2,
                1,
                0,
                List.of(
                        "floor",
                        "floor-batched",
                        "baton-inprocess",
                        "baton-queue",
                        "baton-http",
                        "dbos",
                        "dbscheduler"),
                1024,
                List.of(1024, 600 * 1024),
                1,
                6L * 600 * 1024 * 2,
                Map.of(),
                BenchSettings.SECTIONS,
                new BenchSettings.QueueThreads(List.of(1, 2), 4, 1, 2),
                new BenchSettings.Churn(
                        120,
                        5,
                        2,
                        List.of(new BenchSettings.Churn.Run("delete", 0), new BenchSettings.Churn.Run("keep", 600)),
                        4),
                new BenchSettings.ScaleCurve(List.of(1), List.of(), 1, 3, 1, 0),
                new BenchSettings.SyncOn(List.of("floor"), 1, 0));
        Contender baton = BatonContender.inProcess();
        List<Contender> contenders = List.of(
                new FloorContender(),
                new FloorBatchedContender(),
                baton,
                BatonContender.queue(),
                BatonContender.http(),
                new DbosContender(),
                new DbSchedulerContender());
        ByteArrayOutputStream progress = new ByteArrayOutputStream();

        Bench.Outcome outcome = assertTimeoutPreemptively(
                Duration.ofMinutes(5),
                () -> new Bench(
                                db,
                                settings,
                                contenders,
                                baton,
                                new PrintStream(progress, true, StandardCharsets.UTF_8))
                        .run());

        assertThat(count("SELECT count(*) FROM bench_floor.data")).isEqualTo(18);
        assertThat(count("SELECT count(*) FROM bench_floor.queue WHERE stage = 6"))
                .isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_floor_batched.data")).isEqualTo(18);
        assertThat(count("SELECT count(*) FROM bench_floor_batched.queue WHERE stage = 6"))
                .isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbos.workflow_status WHERE status = 'SUCCESS'"))
                .isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbos.operation_outputs")).isEqualTo(18);
        assertThat(count("SELECT count(*) FROM bench_dbscheduler.outputs")).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM bench_dbscheduler.scheduled_tasks"))
                .isZero();
        // the last round was Baton's largest payload: 2 batches of 600 KB outputs, each split into chunks
        assertThat(count("SELECT count(*) FROM bench_baton.batch_processing_queue WHERE status = 'completed'"))
                .isEqualTo(2);
        assertThat(count("SELECT count(DISTINCT (batch_id, stage)) FROM bench_baton.batch_processing_data"))
                .isEqualTo(12);
        assertThat(count("SELECT max(chunks) FROM bench_baton.batch_processing_data"))
                .isEqualTo(2);

        assertThat(outcome.contenders())
                .extracting(ContenderResult::name)
                .containsExactly(
                        "floor",
                        "floor-batched",
                        "baton-inprocess",
                        "baton-queue",
                        "baton-http",
                        "dbos",
                        "dbscheduler");
        for (ContenderResult c : outcome.contenders()) {
            assertThat(c.rounds())
                    .as(c.name())
                    .singleElement()
                    .satisfies(r -> assertThat(r.transitions()).isEqualTo(18));
            assertThat(c.transitionsPerSec()).as(c.name()).isPositive();
            assertThat(c.commitsPerTransition()).as(c.name()).isPositive();
            assertThat(c.walBytesPerTransition()).as(c.name()).isPositive();
            assertThat(c.p99Ms()).as(c.name()).isGreaterThanOrEqualTo(c.p50Ms());
            assertThat(c.vsFloor()).as(c.name()).isNotNull();
        }
        // 3 batches on 2 threads: one thread commits the next stage of its 2 batches together, 12 transactions, not 18
        assertThat(outcome.contenders().get(1).commitsPerTransition())
                .isLessThan(outcome.contenders().get(0).commitsPerTransition());
        assertThat(outcome.scaling()).extracting(ScalingResult::payloadBytes).containsExactly(1024, 600 * 1024);
        assertThat(progress.toString(StandardCharsets.UTF_8))
                .contains("round 1/1")
                .contains("scaling 1/1 600KB")
                .contains("queue 1/1 T=2")
                .containsPattern("churn delete +after");

        // every stage through the queue: each of the 6 stages claimed by the dispatcher; inline: only the first
        assertThat(outcome.queueThreads())
                .extracting(
                        QueueThreadsResult::trigger,
                        QueueThreadsResult::threads,
                        QueueThreadsResult::inFlight,
                        QueueThreadsResult::claimsPerBatch)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("every-stage", 1, 2, 6.0),
                                org.assertj.core.groups.Tuple.tuple("every-stage", 2, 4, 6.0),
                        org.assertj.core.groups.Tuple.tuple("inline", 1, 2, 1.0),
                                org.assertj.core.groups.Tuple.tuple("inline", 2, 4, 1.0));
        for (QueueThreadsResult q : outcome.queueThreads()) {
            assertThat(q.transitionsPerSec()).isPositive();
            assertThat(q.p99Ms()).isGreaterThanOrEqualTo(q.p50Ms());
            assertThat(q.rounds())
                    .hasSize(1)
                    .allSatisfy(r -> assertThat(r.workers()).isEqualTo(q.threads()));
        }
        assertThat(outcome.queueThreads().get(0).vsFewestThreads()).isEqualTo(1.0);

        assertThat(outcome.churn()).extracting(ChurnResult::run).containsExactly("delete", "keep@600");
        for (ChurnResult c : outcome.churn()) {
            assertThat(c.transitions()).as(c.run()).isGreaterThanOrEqualTo(120);
            assertThat(c.before().queue().rows()).isZero();
            assertThat(c.before().data().rows()).isZero();
            assertThat(c.after().queue().inserted()).isEqualTo(c.batchesStarted());
            assertThat(c.after().queue().updated()).isPositive();
            assertThat(c.samples())
                    .as("sampled every 10 ms, so a short run may end before the first")
                    .hasSizeLessThanOrEqualTo(3);
            // a run that deleted every batch it completed may end with no queue rows at all, and so nothing to pack
            if (c.after().queue().rows() > 0) {
                assertThat(c.queuePackedBytes()).as(c.run()).isPositive();
            } else {
                assertThat(c.queuePackedBytes()).as(c.run()).isZero();
            }
        }
        ChurnResult deleted = outcome.churn().get(0);
        assertThat(deleted.after().queueByStatus()).doesNotContainKey("completed");
        assertThat(deleted.rowsDeleted()).isEqualTo(deleted.batchesCompleted());
        assertThat(deleted.after().queue().rows())
                .isEqualTo(deleted.batchesStarted() - deleted.batchesCompleted())
                .isLessThanOrEqualTo(5);
        ChurnResult kept = outcome.churn().get(1);
        assertThat(kept.rowsDeleted()).isZero();
        assertThat(kept.after().queue().rows()).isEqualTo(kept.batchesStarted());
        assertThat(kept.after().queueByStatus()).containsEntry("completed", kept.batchesCompleted());
        assertThat(kept.after().data().rows()).isEqualTo(kept.transitions());
        assertThat(count("SELECT count(*) FROM bench_churn.batch_processing_queue"))
                .isEqualTo(kept.batchesStarted());

        BenchResults results = new BenchResults(
                "--test",
                BenchResults.Machine.current(),
                db.facts(),
                settings,
                outcome.contenders(),
                outcome.scaling(),
                TargetCheck.evaluate(outcome.contenders(), outcome.scaling(), 2),
                outcome.queueThreads(),
                outcome.churn(),
                List.of(),
                List.of(),
                List.of());
        Path json = dir.resolve("out/results.json");
        results.write(json);
        JsonNode read = new ObjectMapper().readTree(json.toFile());
        JsonNode dbos = read.get("contenders").get(5);
        assertThat(dbos.get("name").asText()).isEqualTo("dbos");
        for (String field : List.of(
                "transitionsPerSec", "p50Ms", "p99Ms", "walBytesPerTransition", "commitsPerTransition", "heapPeakMb")) {
            assertThat(dbos.get(field).isNumber()).as(field).isTrue();
            assertThat(dbos.get("vsFloor").get(field).isNumber())
                    .as("vsFloor." + field)
                    .isTrue();
        }
        assertThat(read.get("server").get("version").asText()).startsWith("17.");
        assertThat(read.get("payloadScaling")).hasSize(2);
        assertThat(read.get("queueThreads")).hasSize(4);
        assertThat(read.get("queueThreads").get(0).get("p99Ms").isNumber()).isTrue();
        assertThat(read.get("queueChurn")).hasSize(2);
        JsonNode after = read.get("queueChurn").get(1).get("after").get("queue");
        for (String field : List.of(
                "rows", "relationBytes", "totalBytes", "deadTuples", "updated", "hotUpdated", "autovacuumCount")) {
            assertThat(after.get(field).isNumber()).as(field).isTrue();
        }
        assertThat(read.get("queueChurn").get(1).get("queueBytesPerLiveRow").asDouble())
                .isPositive();

        ByteArrayOutputStream report = new ByteArrayOutputStream();
        ReportTable.print(results, new PrintStream(report, true, StandardCharsets.UTF_8));
        assertThat(report.toString(StandardCharsets.UTF_8))
                .contains("| every-stage | 2 |")
                .contains("| keep@600 | after |")
                .contains("| target | measured | met |");
    }
}
