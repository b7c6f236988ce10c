package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: defaults of both modes and clear errors for bad input (nothing is started). */
class BenchMainTest {

    static BenchSettings parse(String... args) {
        BenchMain main = new BenchMain();
        new CommandLine(main).parseArgs(args);
        return main.settings();
    }

    static String error(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = BenchMain.commandLine();
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute(args)).isEqualTo(2);
        return err.toString();
    }

    @Test
    void quickAndDefaultModes() {
        BenchSettings quick = parse("--quick");
        assertThat(quick.mode()).isEqualTo("quick");
        assertThat(quick.batches()).isEqualTo(50);
        assertThat(quick.rounds()).isEqualTo(2);
        assertThat(quick.scalingSizes()).containsExactly(1024, 1024 * 1024, 4 * 1024 * 1024);
        assertThat(quick.scalingBatches(4 * 1024 * 1024)).isEqualTo(2);

        BenchSettings full = parse();
        assertThat(full.batches()).isEqualTo(2000);
        assertThat(full.workers()).isEqualTo(4);
        assertThat(full.rounds()).isEqualTo(5);
        assertThat(full.contenders())
                .containsExactly(
                        "floor",
                        "floor-batched",
                        "baton-inprocess",
                        "baton-queue",
                        "baton-inprocess-group",
                        "baton-queue-group",
                        "baton-http",
                        "dbos",
                        "dbscheduler");
        assertThat(full.scalingSizes()).containsExactly(1024, 1024 * 1024, 20 * 1024 * 1024);
        assertThat(full.scalingBatches(20 * 1024 * 1024)).isEqualTo(4);
        assertThat(full.scalingBatches(1024)).isEqualTo(2000);
        assertThat(full.serverSettings()).containsEntry("fsync", "on").containsEntry("synchronous_commit", "off");
        assertThat(full.sections())
                .containsExactly("side-by-side", "scaling", "queue-threads", "churn", "scale-curve", "sync-on");
        assertThat(full.scaleCurve())
                .isEqualTo(new BenchSettings.ScaleCurve(List.of(1, 2, 4, 8, 16), List.of(1, 2, 3), 4, 1000, 3, 1));
        assertThat(full.syncOn())
                .isEqualTo(new BenchSettings.SyncOn(
                        List.of(
                                "floor",
                                "floor-batched",
                                "baton-inprocess",
                                "baton-queue",
                                "baton-inprocess-group",
                                "baton-queue-group",
                                "dbos",
                                "dbscheduler"),
                        5,
                        1));
        assertThat(quick.scaleCurve())
                .isEqualTo(new BenchSettings.ScaleCurve(List.of(1, 16), List.of(1, 2), 4, 50, 1, 0));
        assertThat(quick.syncOn().rounds()).isEqualTo(1);
        assertThat(quick.syncOn().warmupRounds()).isZero();
        assertThat(quick.sections()).isEqualTo(full.sections());
        assertThat(full.queueThreads()).isEqualTo(new BenchSettings.QueueThreads(List.of(1, 2, 4), 1000, 3, 2));
        assertThat(full.churn())
                .isEqualTo(new BenchSettings.Churn(
                        100_000,
                        100,
                        4,
                        List.of(
                                new BenchSettings.Churn.Run("delete", 0),
                                new BenchSettings.Churn.Run("keep", 0),
                                new BenchSettings.Churn.Run("delete", 400)),
                        10));
        assertThat(quick.queueThreads()).isEqualTo(new BenchSettings.QueueThreads(List.of(1, 2, 4), 50, 1, 2));
        assertThat(quick.churn().transitions()).isEqualTo(6_000);
        assertThat(quick.churn().runs())
                .extracting(BenchSettings.Churn.Run::label)
                .containsExactly("delete", "keep");
    }

    @Test
    void onlyPicksSections() {
        BenchSettings s = parse(
                "--only",
                "churn,queue-threads",
                "--queue-threads",
                "2,8",
                "--churn-runs",
                "keep@300",
                "--churn-transitions",
                "600",
                "--queue-in-flight",
                "0");
        assertThat(s.sections()).containsExactly("queue-threads", "churn");
        assertThat(s.runs("side-by-side")).isFalse();
        assertThat(s.scalingSizes()).isEmpty();
        assertThat(s.queueThreads().threads()).containsExactly(2, 8);
        assertThat(s.queueThreads().inFlightPerThread()).isZero();
        assertThat(s.churn().runs()).containsExactly(new BenchSettings.Churn.Run("keep", 300));
        assertThat(s.churn().runs().get(0).label()).isEqualTo("keep@300");
        assertThat(s.churn().transitions()).isEqualTo(600);
        assertThat(parse("--no-scaling").sections())
                .containsExactly("side-by-side", "queue-threads", "churn", "scale-curve", "sync-on");
        BenchSettings curve = parse("--only", "sync-on,scale-curve", "--scale-threads", "2,6", "--scale-jvms", "0");
        assertThat(curve.sections()).containsExactly("scale-curve", "sync-on");
        assertThat(curve.scaleCurve().threads()).containsExactly(2, 6);
        assertThat(curve.scaleCurve().jvms()).isEmpty();
    }

    @Test
    void explicitValuesWin() {
        BenchSettings s = parse(
                "--quick",
                "--batches",
                "7",
                "--workers",
                "2",
                "--contenders",
                "floor,dbos",
                "--scaling-sizes",
                "1KB,2MB",
                "--pg-setting",
                "synchronous_commit=on");
        assertThat(s.batches()).isEqualTo(7);
        assertThat(s.workers()).isEqualTo(2);
        assertThat(s.contenders()).containsExactly("floor", "dbos");
        assertThat(s.scalingSizes()).containsExactly(1024, 2 * 1024 * 1024);
        assertThat(s.serverSettings()).containsEntry("synchronous_commit", "on");
        assertThat(parse("--no-scaling").scalingSizes()).isEmpty();
    }

    @Test
    void badInputGetsAClearError() {
        assertThat(error("--workers", "0")).contains("--workers must be between 1 and 64, got 0");
        assertThat(error("--contenders", "floor,kafka")).contains("unknown contender 'kafka'");
        assertThat(error("--jdbc-url", "jdbc:postgresql://localhost/x", "--pg-setting", "fsync=off"))
                .contains("--pg-setting applies to the embedded PostgreSQL only");
        assertThat(error("--scaling-sizes", "huge")).contains("'huge' is not a size");
        assertThat(error("--batches", "many")).contains("--batches");
        assertThat(error("--only", "churn,kafka")).contains("unknown section 'kafka'");
        assertThat(error("--queue-threads", "0"))
                .contains("--queue-threads must be distinct thread counts between 1 and 64");
        assertThat(error("--churn-runs", "archive")).contains("'archive' is not a churn run");
        assertThat(error("--churn-runs", "delete@0")).contains("the rate must be 1 to 1000000");
        assertThat(error("--churn-runs", "keep,keep")).contains("names a run twice");
        assertThat(error("--scale-threads", "4,4")).contains("--scale-threads must be distinct thread counts");
        assertThat(error("--scale-jvms", "17")).contains("--scale-jvms must be distinct JVM counts between 1 and 16");
    }

    @Test
    void theHelpNamesEverySection() {
        StringWriter out = new StringWriter();
        CommandLine cmd = BenchMain.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertThat(cmd.execute("--help")).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help)
                .contains("--only=SECTION[,SECTION...]")
                .contains("side-by-side, scaling, queue-threads, churn, fan-out, scale-curve, sync-on (default all)")
                .contains("floor-batched")
                .contains("baton-http");
    }
}
