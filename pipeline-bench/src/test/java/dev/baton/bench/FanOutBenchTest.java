package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The fan-out section's options. */
class FanOutBenchTest {
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
}
