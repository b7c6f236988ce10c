package dev.baton.bench;

import java.io.PrintStream;
import java.util.Locale;

/** Prints a run's results as Markdown tables, ready to paste into BENCHMARKS.md. */
final class ReportTable {
    private ReportTable() {}

    static void print(BenchResults r, PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "PostgreSQL %s (%s), %d cores (%s), %s; %d batches x %d stages, W=%d, %d rounds, %s outputs%n",
                r.server().version(), r.server().embedded() ? "embedded" : "external", r.machine().cores(), r.machine().cpu(),
                r.machine().jvm(), r.settings().batches(), Contender.STAGES, r.settings().workers(), r.settings().rounds(),
                Sizes.format(r.settings().payloadBytes()));
        out.println("server settings: " + r.server().settings());
        out.println();
        out.println("| contender | transitions/s (min-max) | x floor | hand-off p50 ms | hand-off p99 ms | commits/transition | WAL bytes/transition | heap peak MiB | JVM CPU us/transition |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (ContenderResult c : r.contenders()) {
            out.printf(Locale.ROOT, "| %s | %,.0f (%,.0f-%,.0f) | %s | %.3f | %.3f | %.2f | %,.0f | %,.0f | %,.0f |%n", c.name(), c.transitionsPerSec(),
                    c.transitionsPerSecMin(), c.transitionsPerSecMax(),
                    c.vsFloor() == null ? "-" : String.format(Locale.ROOT, "%.2f", c.vsFloor().transitionsPerSec()),
                    c.p50Ms(), c.p99Ms(), c.commitsPerTransition(), c.walBytesPerTransition(), c.heapPeakMb(),
                    c.jvmCpuMicrosPerTransition());
        }
        if (!r.payloadScaling().isEmpty()) {
            out.println();
            out.println("| baton-inprocess output/stage | batches | transitions/s (min-max) | hand-off p99 ms | WAL bytes/transition | heap peak MiB |");
            out.println("|---|---|---|---|---|---|");
            for (ScalingResult s : r.payloadScaling()) {
                out.printf(Locale.ROOT, "| %s | %d | %,.1f (%,.1f-%,.1f) | %.3f | %,.0f | %,.0f |%n", Sizes.format(s.payloadBytes()), s.batches(),
                        s.transitionsPerSec(), s.transitionsPerSecMin(), s.transitionsPerSecMax(), s.p99Ms(), s.walBytesPerTransition(),
                        s.heapPeakMb());
            }
        }
        out.println();
        out.println("| target | measured | met |");
        out.println("|---|---|---|");
        for (TargetCheck t : r.targets()) {
            out.printf("| %s | %s | %s |%n", t.target(), t.measured(), t.met() == null ? "not measured" : t.met() ? "yes" : "no");
        }
    }
}
