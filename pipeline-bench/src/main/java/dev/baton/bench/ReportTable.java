package dev.baton.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints a run's results as Markdown tables, ready to paste into BENCHMARKS.md. */
final class ReportTable {
    private ReportTable() {}

    static void print(BenchResults r, PrintStream out) {
        out.println();
        out.printf(
                Locale.ROOT,
                "PostgreSQL %s (%s), %d cores (%s), %s; %d batches x %d stages, W=%d, %d rounds, %s outputs%n",
                r.server().version(),
                r.server().embedded() ? "embedded" : "external",
                r.machine().cores(),
                r.machine().cpu(),
                r.machine().jvm(),
                r.settings().batches(),
                Contender.STAGES,
                r.settings().workers(),
                r.settings().rounds(),
                Sizes.format(r.settings().payloadBytes()));
        out.println("server settings: " + r.server().settings());
        if (!r.contenders().isEmpty()) {
            printContenders(r.contenders(), out);
        }
        if (!r.payloadScaling().isEmpty()) {
            printScaling(r, out);
        }
        if (!r.contenders().isEmpty() || !r.payloadScaling().isEmpty()) {
            printTargets(r, out);
        }
        if (!r.queueThreads().isEmpty()) {
            printQueueThreads(r, out);
        }
        if (!r.queueChurn().isEmpty()) {
            printChurn(r, out);
        }
        FanOutResult.print(r.fanOut(), out);
        if (!r.scaleCurve().isEmpty()) {
            printScaleCurve(r, out);
        }
        if (!r.syncOn().isEmpty()) {
            out.println();
            out.printf(
                    Locale.ROOT,
                    "sync-on: the same contenders with synchronous_commit=on (new connections), %d rounds%n",
                    r.settings().syncOn().rounds());
            printContenders(r.syncOn(), out);
        }
    }

    private static void printScaleCurve(BenchResults r, PrintStream out) {
        BenchSettings.ScaleCurve sc = r.settings().scaleCurve();
        out.println();
        out.printf(
                Locale.ROOT,
                "Scale curve: %d batches x %d stages, %s outputs, %d rounds per point (median, min-max);"
                        + " threads in this JVM, then worker JVMs of %d threads each (QueueWorkerProcess;"
                        + " this JVM creates the batches). Server CPU: all of PostgreSQL's processes, in cores"
                        + " busy. busy: share of pg_stat_activity samples (every %d ms) of the contender's"
                        + " backends that were not idle; Lock, LWLock, IO, CPU (no wait event) and Client (in a"
                        + " transaction, waiting for the JVM): shares of the busy samples.%n",
                sc.batches(),
                Contender.STAGES,
                Sizes.format(r.settings().payloadBytes()),
                sc.rounds(),
                sc.threadsPerJvm(),
                ServerProbe.SAMPLE_MILLIS);
        out.println();
        out.println("| contender | JVMs x threads | transitions/s (min-max) | x first | hand-off p50 ms "
                + "| hand-off p99 ms | JVM CPU us/transition | server CPU cores | server CPU us/transition "
                + "| WAL MB/s | Lock | LWLock | IO | CPU | Client | top waits |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (ScalePoint p : r.scaleCurve()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %d x %d | %,.0f (%,.0f-%,.0f) | %.2f | %.3f | %.3f | %,.0f | %s | %s | %.1f | %s | %s"
                            + " | %s | %s | %s | %s | %s |%n",
                    p.contender(),
                    p.jvms(),
                    p.threadsPerJvm(),
                    p.transitionsPerSec(),
                    p.transitionsPerSecMin(),
                    p.transitionsPerSecMax(),
                    p.vsFirst(),
                    p.p50Ms(),
                    p.p99Ms(),
                    p.jvmCpuMicrosPerTransition(),
                    p.serverCores() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", p.serverCores()),
                    p.serverCpuMicrosPerTransition() < 0
                            ? "-"
                            : String.format(Locale.ROOT, "%,.0f", p.serverCpuMicrosPerTransition()),
                    p.walBytesPerSec() / 1e6,
                    percent(p.busyShare()),
                    percent(p.lockShare()),
                    percent(p.lwLockShare()),
                    percent(p.ioShare()),
                    percent(p.cpuShare()),
                    percent(p.clientShare()),
                    p.topWaits().isEmpty()
                            ? "-"
                            : p.topWaits().entrySet().stream()
                                    .limit(3)
                                    .map(e -> e.getKey() + " " + e.getValue())
                                    .collect(Collectors.joining(", ")));
        }
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f %%", 100 * share);
    }

    private static void printContenders(List<ContenderResult> contenders, PrintStream out) {
        out.println();
        out.println("| contender | transitions/s (min-max) | x floor | hand-off p50 ms | hand-off p99 ms | "
                + "commits/transition | WAL bytes/transition | heap peak MiB | JVM CPU us/transition |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (ContenderResult c : contenders) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %,.0f (%,.0f-%,.0f) | %s | %.3f | %.3f | %.2f | %,.0f | %,.0f | %,.0f |%n",
                    c.name(),
                    c.transitionsPerSec(),
                    c.transitionsPerSecMin(),
                    c.transitionsPerSecMax(),
                    c.vsFloor() == null
                            ? "-"
                            : String.format(Locale.ROOT, "%.2f", c.vsFloor().transitionsPerSec()),
                    c.p50Ms(),
                    c.p99Ms(),
                    c.commitsPerTransition(),
                    c.walBytesPerTransition(),
                    c.heapPeakMb(),
                    c.jvmCpuMicrosPerTransition());
        }
    }

    private static void printScaling(BenchResults r, PrintStream out) {
        out.println();
        out.println("| baton-inprocess output/stage | batches | transitions/s (min-max) | hand-off p99 ms | WAL "
                + "bytes/transition | heap peak MiB |");
        out.println("|---|---|---|---|---|---|");
        for (ScalingResult s : r.payloadScaling()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %d | %,.1f (%,.1f-%,.1f) | %.3f | %,.0f | %,.0f |%n",
                    Sizes.format(s.payloadBytes()),
                    s.batches(),
                    s.transitionsPerSec(),
                    s.transitionsPerSecMin(),
                    s.transitionsPerSecMax(),
                    s.p99Ms(),
                    s.walBytesPerTransition(),
                    s.heapPeakMb());
        }
    }

    private static void printTargets(BenchResults r, PrintStream out) {
        out.println();
        out.println("| target | measured | met |");
        out.println("|---|---|---|");
        for (TargetCheck t : r.targets()) {
            out.printf(
                    "| %s | %s | %s |%n",
                    t.target(), t.measured(), t.met() == null ? "not measured" : t.met() ? "yes" : "no");
        }
    }

    private static void printQueueThreads(BenchResults r, PrintStream out) {
        BenchSettings.QueueThreads q = r.settings().queueThreads();
        out.println();
        out.printf(
                Locale.ROOT,
                "Queue worker threads: QueueTrigger + QueueWorker, %d batches x %d stages, %s outputs, %s, %d rounds"
                        + " (median, min-max); pool = threads + 4%n",
                q.batches(),
                Contender.STAGES,
                Sizes.format(r.settings().payloadBytes()),
                q.inFlightPerThread() == 0
                        ? "every batch started at once"
                        : q.inFlightPerThread() + " batches in flight per thread",
                q.rounds());
        out.println();
        out.println(
                "| trigger | threads | transitions/s (min-max) | x fewest threads | hand-off p50 ms | hand-off p99 ms "
                        + "| claims/batch | commits/transition | WAL bytes/transition | JVM CPU us/transition |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (QueueThreadsResult t : r.queueThreads()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %d | %,.0f (%,.0f-%,.0f) | %.2f | %.3f | %.3f | %.2f | %.2f | %,.0f | %,.0f |%n",
                    t.trigger(),
                    t.threads(),
                    t.transitionsPerSec(),
                    t.transitionsPerSecMin(),
                    t.transitionsPerSecMax(),
                    t.vsFewestThreads(),
                    t.p50Ms(),
                    t.p99Ms(),
                    t.claimsPerBatch(),
                    t.commitsPerTransition(),
                    t.walBytesPerTransition(),
                    t.jvmCpuMicrosPerTransition());
        }
    }

    private static void printChurn(BenchResults r, PrintStream out) {
        BenchSettings.Churn c = r.settings().churn();
        out.println();
        out.printf(
                Locale.ROOT,
                "Queue table under churn: QueueTrigger (inline) + QueueWorker(%d), %,d transitions per run, %d "
                        + "batches in flight,"
                        + " %s outputs, shipped schema (batch_processing_queue: fillfactor 70, "
                        + "autovacuum_vacuum_scale_factor 0.01, threshold 1000);"
                        + " run = retention of completed batches [@ pace in transitions/s]%n",
                c.threads(),
                c.transitions(),
                c.inFlight(),
                Sizes.format(r.settings().payloadBytes()));
        out.println();
        out.println(
                "| run | transitions | transitions/s | commits/transition | WAL bytes/transition | queue heap after | "
                        + "live rows packed (ff 70) | heap / packed | heap per live row | heap after / heap at half | "
                        + "data rows after | data heap after | data total after |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (ChurnResult x : r.queueChurn()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %,d | %,.0f | %.2f | %,.0f | %s | %s | %s | %s | %s | %,d | %s | %s |%n",
                    x.run(),
                    x.transitions(),
                    x.transitionsPerSec(),
                    x.commitsPerTransition(),
                    x.walBytesPerTransition(),
                    Sizes.readable(x.after().queue().relationBytes()),
                    Sizes.readable(x.queuePackedBytes()),
                    ratio(x.queueHeapVsPacked()),
                    x.queueBytesPerLiveRow() < 0
                            ? "-"
                            : String.format(Locale.ROOT, "%,.0f B", x.queueBytesPerLiveRow()),
                    ratio(x.queueHeapGrowthSecondHalf()),
                    x.after().data().rows(),
                    Sizes.readable(x.after().data().relationBytes()),
                    Sizes.readable(x.after().data().totalBytes()));
        }
        out.println();
        out.println(
                "batch_processing_queue before and after (statistics read after every connection of the run closed):");
        out.println();
        out.println(
                "| run | when | rows | rows by status | heap | indexes | total | n_live_tup | n_dead_tup | n_tup_ins "
                        + "| n_tup_upd | HOT | new-page | n_tup_del | autovacuum | autoanalyze |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (ChurnResult x : r.queueChurn()) {
            for (Map.Entry<String, ChurnResult.Snapshot> e :
                    List.of(Map.entry("before", x.before()), Map.entry("after", x.after()))) {
                Database.TableStats t = e.getValue().queue();
                out.printf(
                        Locale.ROOT,
                        "| %s | %s | %,d | %s | %s | %s | %s | %,d | %,d | %,d | %,d | %,d (%s) | %s | %,d | %d | %d "
                                + "|%n",
                        x.run(),
                        e.getKey(),
                        t.rows(),
                        byStatus(e.getValue().queueByStatus()),
                        Sizes.readable(t.relationBytes()),
                        Sizes.readable(t.indexBytes()),
                        Sizes.readable(t.totalBytes()),
                        t.liveTuples(),
                        t.deadTuples(),
                        t.inserted(),
                        t.updated(),
                        t.hotUpdated(),
                        t.updated() == 0
                                ? "-"
                                : String.format(Locale.ROOT, "%.0f %%", 100.0 * t.hotUpdated() / t.updated()),
                        t.newPageUpdated() == null ? "-" : String.format(Locale.ROOT, "%,d", t.newPageUpdated()),
                        t.deleted(),
                        t.autovacuumCount(),
                        t.autoanalyzeCount());
            }
        }
        out.println();
        for (ChurnResult x : r.queueChurn()) {
            out.printf(
                    Locale.ROOT,
                    "%s: queue rows after, average stored width by status (row / of which stage_stats): %s%n",
                    x.run(),
                    x.queueRowWidth().isEmpty()
                            ? "-"
                            : x.queueRowWidth().entrySet().stream()
                                    .map(e -> String.format(
                                            Locale.ROOT,
                                            "%s %,.0f B / %,.0f B",
                                            e.getKey(),
                                            e.getValue().rowBytes(),
                                            e.getValue().stageStatsBytes()))
                                    .collect(Collectors.joining(", ")));
        }
        out.println();
        out.println("On the way (sizes exact; pg_stat counters may lag up to a second):");
        out.println();
        out.println("| run | transitions | s | queue rows | queue heap | queue total | queue n_dead_tup | queue "
                + "autovacuums | data heap | data total |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (ChurnResult x : r.queueChurn()) {
            for (ChurnResult.Snapshot s : x.samples()) {
                out.printf(
                        Locale.ROOT,
                        "| %s | %,d | %.1f | %,d | %s | %s | %,d | %d | %s | %s |%n",
                        x.run(),
                        s.transitions(),
                        s.seconds(),
                        s.queue().rows(),
                        Sizes.readable(s.queue().relationBytes()),
                        Sizes.readable(s.queue().totalBytes()),
                        s.queue().deadTuples(),
                        s.queue().autovacuumCount(),
                        Sizes.readable(s.data().relationBytes()),
                        Sizes.readable(s.data().totalBytes()));
            }
        }
    }

    private static String ratio(double r) {
        return r < 0 ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    private static String byStatus(Map<String, Long> counts) {
        return counts.isEmpty()
                ? "-"
                : counts.entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", "));
    }
}
