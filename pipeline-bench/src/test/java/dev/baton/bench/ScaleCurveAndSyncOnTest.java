package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.bench.contenders.BatonContender;
import dev.baton.bench.contenders.FloorContender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale-curve section, a worker JVM included, and the sync-on section, each a tiny run on an embedded
 * PostgreSQL started with {@code synchronous_commit=off} as the bench starts it. Numbers are not asserted, only
 * that they were measured and add up.
 */
class ScaleCurveAndSyncOnTest {
    static Database db;

    @BeforeAll
    static void start() throws Exception {
        db = Database.embedded(Map.of("fsync", "on", "synchronous_commit", "off"));
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    static BenchSettings settings(List<String> sections) {
        return new BenchSettings(
                "test",
                3,
                2,
                1,
                0,
                List.of("floor", "baton-inprocess"),
                1024,
                List.of(),
                1,
                1024,
                Map.of(),
                sections,
                new BenchSettings.QueueThreads(List.of(1), 1, 1, 1),
                new BenchSettings.Churn(6, 1, 1, List.of(), 1),
                new BenchSettings.ScaleCurve(List.of(1, 2), List.of(1), 2, 4, 1, 1),
                new BenchSettings.SyncOn(List.of("floor", "baton-inprocess"), 1, 0));
    }

    @Test
    void theScaleCurveMeasuresThreadsInThisJvmAndAWorkerJvmWithTheServersLoad(@TempDir Path dir) throws Exception {
        BenchSettings settings = settings(List.of(BenchSettings.SCALE_CURVE));
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Bench bench = new Bench(db, settings, List.of(), null, new PrintStream(progress, true, StandardCharsets.UTF_8));

        List<ScalePoint> points = assertTimeoutPreemptively(Duration.ofMinutes(5), bench::scaleCurve);

        assertThat(points)
                .extracting(ScalePoint::contender, ScalePoint::jvms, ScalePoint::threadsPerJvm)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("baton-inprocess", 1, 1),
                        org.assertj.core.groups.Tuple.tuple("baton-inprocess", 1, 2),
                        org.assertj.core.groups.Tuple.tuple("baton-queue", 1, 1),
                        org.assertj.core.groups.Tuple.tuple("baton-queue", 1, 2),
                        org.assertj.core.groups.Tuple.tuple("baton-queue-1jvm", 1, 2));
        for (ScalePoint p : points) {
            assertThat(p.rounds()).as(p.contender()).singleElement().satisfies(r -> {
                assertThat(r.transitions()).isEqualTo(24);
                assertThat(r.jvmCpuNanos()).isPositive();
            });
            assertThat(p.transitionsPerSec()).as(p.contender()).isPositive();
            assertThat(p.p99Ms()).as(p.contender()).isGreaterThanOrEqualTo(p.p50Ms());
            assertThat(p.walBytesPerSec()).as(p.contender()).isPositive();
            ServerLoad load = p.loads().get(0);
            assertThat(load.serverCpuNanos())
                    .as("the embedded server's processes are on this machine")
                    .isNotNegative();
            assertThat(load.samples()).as(p.contender()).isPositive();
            assertThat(load.byKind().values().stream()
                            .mapToLong(Long::longValue)
                            .sum())
                    .isEqualTo(load.samples());
            assertThat(p.busyShare()).as(p.contender()).isBetween(0.0, 1.0);
            double shares = p.lockShare() + p.lwLockShare() + p.ioShare() + p.cpuShare() + p.clientShare();
            assertThat(shares).as(p.contender()).isBetween(0.0, 1.0 + 1e-9);
        }
        assertThat(points.get(0).vsFirst()).isEqualTo(1.0);
        // the worker JVM ran every stage and sent its stamps: the round's timeline was complete, or measure failed
        assertThat(count("SELECT count(*) FROM bench_jvms.batch_processing_queue WHERE status = 'completed'"))
                .isEqualTo(4);
        assertThat(count("SELECT count(DISTINCT (batch_id, stage)) FROM bench_jvms.batch_processing_data"))
                .isEqualTo(24);
        assertThat(progress.toString(StandardCharsets.UTF_8))
                .contains("scale 1/1 T=2")
                .contains("scale 1/1 JVMs=1")
                .contains("server CPU");

        BenchResults results = results(settings, points, List.of());
        Path json = dir.resolve("results.json");
        results.write(json);
        JsonNode curve = new ObjectMapper().readTree(json.toFile()).get("scaleCurve");
        assertThat(curve).hasSize(5);
        for (String field : List.of(
                "transitionsPerSec",
                "p50Ms",
                "p99Ms",
                "serverCores",
                "walBytesPerSec",
                "lockShare",
                "lwLockShare",
                "ioShare")) {
            assertThat(curve.get(4).get(field).isNumber()).as(field).isTrue();
        }
        assertThat(curve.get(4).get("loads").get(0).get("byKind").isObject()).isTrue();
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        ReportTable.print(results, new PrintStream(report, true, StandardCharsets.UTF_8));
        assertThat(report.toString(StandardCharsets.UTF_8))
                .contains("| contender | JVMs x threads |")
                .contains("| baton-queue-1jvm | 1 x 2 |");
    }

    @Test
    void syncOnRunsTheContendersWithSynchronousCommitOnAndPutsItBack() throws Exception {
        BenchSettings settings = settings(List.of(BenchSettings.SYNC_ON));
        Bench bench = new Bench(db, settings, List.of(), null, new PrintStream(new ByteArrayOutputStream()));
        assertThat(db.setting("synchronous_commit")).isEqualTo("off");

        List<ContenderResult> results = assertTimeoutPreemptively(
                Duration.ofMinutes(3), () -> bench.syncOn(List.of(new FloorContender(), BatonContender.inProcess())));

        assertThat(results).extracting(ContenderResult::name).containsExactly("floor", "baton-inprocess");
        for (ContenderResult c : results) {
            assertThat(c.rounds())
                    .singleElement()
                    .satisfies(r -> assertThat(r.transitions()).isEqualTo(18));
            assertThat(c.vsFloor()).isNotNull();
        }
        assertThat(count("SELECT count(*) FROM bench_floor.data")).isEqualTo(18);
        assertThat(db.setting("synchronous_commit")).isEqualTo("off");
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        ReportTable.print(results(settings, List.of(), results), new PrintStream(report, true, StandardCharsets.UTF_8));
        assertThat(report.toString(StandardCharsets.UTF_8)).contains("sync-on:").contains("| baton-inprocess |");
    }

    @Test
    void aChangedSettingIsSeenByNewConnectionsUntilItIsPutBack() throws Exception {
        try (Database.ChangedSetting changed = db.change("synchronous_commit", "on")) {
            assertThat(db.setting("synchronous_commit")).isEqualTo("on");
            assertThat(changed.how()).isIn("ALTER SYSTEM", "ALTER DATABASE");
        }
        assertThat(db.setting("synchronous_commit")).isEqualTo("off");
    }

    static BenchResults results(BenchSettings settings, List<ScalePoint> curve, List<ContenderResult> syncOn)
            throws Exception {
        return new BenchResults(
                "--test",
                BenchResults.Machine.current(),
                db.facts(),
                settings,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                curve,
                syncOn);
    }

    static long count(String sql) throws Exception {
        try (var c = db.connect("baton-bench-test");
                var s = c.createStatement();
                var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
