package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The fan-out section: its options, and a small run on every trigger against the embedded PostgreSQL. */
class FanOutBenchTest {
    static Database db;

    @BeforeAll
    static void start() throws Exception {
        db = Database.embedded(Map.of("fsync", "on", "max_connections", "200"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    static FanOutBench.Settings parse(String... args) {
        BenchMain main = new BenchMain();
        CommandLine cl = new CommandLine(main);
        cl.parseArgs(args);
        return main.fanOut.settings(cl.getCommandSpec(), main.quick);
    }

    @Test
    void defaultsAndQuickAndExplicitValues() {
        FanOutBench.Settings full = parse();
        assertThat(full.shards()).containsExactly(1, 2, 4, 8);
        assertThat(full.triggers()).containsExactly("in-process", "queue", "http");
        assertThat(full.items()).isEqualTo(64);
        assertThat(full.itemTime()).isEqualTo(Duration.ofMillis(20));
        assertThat(full.rounds()).isEqualTo(3);
        assertThat(full.warmup()).isEqualTo(1);
        FanOutBench.Settings quick = parse("--quick");
        assertThat(quick.items()).isEqualTo(32);
        assertThat(quick.itemTime()).isEqualTo(Duration.ofMillis(10));
        assertThat(quick.rounds()).isEqualTo(1);
        FanOutBench.Settings mine = parse(
                "--fan-out-shards",
                "1,16",
                "--fan-out-triggers",
                "queue",
                "--fan-out-items",
                "100",
                "--fan-out-item-ms",
                "5",
                "--fan-out-rounds",
                "2");
        assertThat(mine.shards()).containsExactly(1, 16);
        assertThat(mine.triggers()).containsExactly("queue");
        assertThat(mine.maxShards()).isEqualTo(16);
        assertThat(mine.items()).isEqualTo(100);
        assertThat(mine.itemTime()).isEqualTo(Duration.ofMillis(5));
        assertThat(mine.rounds()).isEqualTo(2);
        assertThat(BenchMainTest.parse("--only", "fan-out").sections()).isEmpty();
    }

    @Test
    void badValuesGetAClearError() {
        assertThat(BenchMainTest.error("--only", "fan-out", "--fan-out-shards", "0"))
                .contains("--fan-out-shards", "shard counts must be 1..1024");
        assertThat(BenchMainTest.error("--only", "fan-out", "--fan-out-triggers", "pigeon"))
                .contains("unknown trigger 'pigeon'", "in-process");
        assertThat(BenchMainTest.error("--only", "fan-out", "--fan-out-items", "0"))
                .contains("--fan-out-items must be 1..100000");
        assertThat(BenchMainTest.error("--only", "fan-outs")).contains("unknown section 'fan-outs'", "fan-out");
    }

    @Test
    void everyTriggerFansTheStageOutAndTheResultsReachTheTableAndTheJson(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        FanOutBench.Settings settings =
                new FanOutBench.Settings(List.of(1, 4), FanOutBench.TRIGGERS, 8, Duration.ofMillis(2), 1, 1);

        List<FanOutResult> results = assertTimeoutPreemptively(
                Duration.ofMinutes(3),
                () -> new FanOutBench(db, settings, new PrintStream(progress, true, StandardCharsets.UTF_8)).run());

        assertThat(results)
                .extracting(FanOutResult::trigger)
                .containsExactly("in-process", "in-process", "queue", "queue", "http", "http");
        assertThat(results).extracting(FanOutResult::shards).containsExactly(1, 4, 1, 4, 1, 4);
        assertThat(results).allSatisfy(r -> {
            assertThat(r.wallMs()).hasSize(1);
            assertThat(r.stageMs()).hasSize(1);
            assertThat(r.idealMs()).isEqualTo(r.shards() == 1 ? 16.0 : 4.0);
        });
        assertThat(results)
                .filteredOn(r -> r.shards() == 1)
                .allSatisfy(r -> assertThat(r.speedUp()).isEqualTo(1.0));
        // the last cell (http, K=4) left its two batches' shards: 4 each, all completed
        assertThat(count("SELECT count(*) FROM bench_fanout.batch_processing_shard WHERE status = 'completed'"))
                .isEqualTo(8);
        assertThat(count("SELECT count(*) FROM bench_fanout.batch_processing_queue WHERE status = 'completed'"))
                .isEqualTo(2);

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        FanOutResult.print(results, new PrintStream(table, true, StandardCharsets.UTF_8));
        assertThat(table.toString(StandardCharsets.UTF_8))
                .contains("| trigger | shards K | wall ms p50 (min-max) |")
                .containsPattern("\\| http \\| 4 \\| [\\d,]+ \\([\\d,]+-[\\d,]+\\) \\| [\\d,]+ \\| 4 \\|");
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("fan-out queue      K=4");

        BenchResults written = new BenchResults(
                "--test",
                BenchResults.Machine.current(),
                db.facts(),
                BenchMainTest.parse("--only", "fan-out"),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                results,
                List.of(),
                List.of());
        Path json = dir.resolve("results.json");
        written.write(json);
        JsonNode fanOut = new ObjectMapper().readTree(json.toFile()).get("fanOut");
        assertThat(fanOut).hasSize(6);
        assertThat(fanOut.get(5).get("trigger").asText()).isEqualTo("http");
        assertThat(fanOut.get(5).get("medianWallMs").isNumber()).isTrue();
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.connect("fan-out-test");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
