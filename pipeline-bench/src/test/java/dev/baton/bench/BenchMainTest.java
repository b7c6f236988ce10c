package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        assertThat(full.contenders()).containsExactly("floor", "baton-inprocess", "baton-queue", "dbos", "dbscheduler");
        assertThat(full.scalingSizes()).containsExactly(1024, 1024 * 1024, 20 * 1024 * 1024);
        assertThat(full.scalingBatches(20 * 1024 * 1024)).isEqualTo(4);
        assertThat(full.scalingBatches(1024)).isEqualTo(2000);
        assertThat(full.serverSettings()).containsEntry("fsync", "on").containsEntry("synchronous_commit", "off");
    }

    @Test
    void explicitValuesWin() {
        BenchSettings s = parse("--quick", "--batches", "7", "--workers", "2", "--contenders", "floor,dbos",
                "--scaling-sizes", "1KB,2MB", "--pg-setting", "synchronous_commit=on");
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
    }
}
