package dev.baton.bench;

import dev.baton.bench.contenders.BatonContender;
import dev.baton.bench.contenders.DbSchedulerContender;
import dev.baton.bench.contenders.DbosContender;
import dev.baton.bench.contenders.FloorBatchedContender;
import dev.baton.bench.contenders.FloorContender;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar pipeline-bench.jar [--quick] [--jdbc-url URL] [--out results.json] …}: runs the
 * side-by-side benchmark and prints its tables; see {@code BENCHMARKS.md}.
 */
@Command(
        name = "pipeline-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs floor, floor-batched (50 transitions per commit), baton-inprocess, baton-queue, the same two "
                    + "with group commit on, baton-http, dbos "
                    + "and dbscheduler against one PostgreSQL, interleaved (side-by-side), then Baton alone at growing "
                    + "output sizes (scaling), and prints transitions/s, hand-off latency, commits and WAL per "
                    + "transition and heap peak. "
                    + "Then Baton's queue worker at 1, 2 and 4 threads (every stage through the queue, and inline; "
                    + "queue-threads), and the queue table's size and statistics under a long run of transitions "
                    + "(churn). Then the wall time of an item-bound stage against its shard count on each trigger "
                    + "(fan-out). Then throughput, hand-off and the server's CPU, WAL rate and wait events against "
                    + "worker threads in one JVM and worker JVMs on one server (scale-curve). Then the side-by-side "
                    + "contenders again with synchronous_commit=on (sync-on). --only picks sections.",
            "Against --jdbc-url it drops and recreates the schemas bench_floor, bench_floor_batched, bench_baton, "
                    + "bench_dbos, bench_dbscheduler, bench_queue, bench_churn, bench_fanout and bench_jvms; sync-on "
                    + "needs a superuser there (ALTER SYSTEM)."
        })
public final class BenchMain implements Callable<Integer> {
    /** Contenders this build can run, by name. */
    static final Map<String, Supplier<Contender>> CONTENDERS = contenders();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--quick",
            description = "Small run for CI: every section, short; a few minutes at most on 2 cores.")
    boolean quick;

    @Option(
            names = "--jdbc-url",
            paramLabel = "URL",
            description = "An existing PostgreSQL database instead of the embedded one.")
    String jdbcUrl;

    @Option(names = "--user", description = "User for --jdbc-url (default: the URL's, else postgres).")
    String user;

    @Option(names = "--password", description = "Password for --jdbc-url.")
    String password;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the results as JSON to this file.")
    Path out;

    @Option(names = "--batches", description = "Batches per round (default 2000, quick 50).")
    Integer batches;

    @Option(names = "--workers", description = "Concurrent workers of every contender (default 4).")
    Integer workers;

    @Option(names = "--rounds", description = "Measured rounds, interleaved across contenders (default 5, quick 2).")
    Integer rounds;

    @Option(names = "--warmup", description = "Unmeasured rounds first (default 1).")
    Integer warmup;

    @Option(
            names = "--contenders",
            split = ",",
            paramLabel = "NAME",
            description = "Which to run, in order (default floor,floor-batched,baton-inprocess,baton-queue,"
                    + "baton-inprocess-group,baton-queue-group,baton-http,"
                    + "dbos,dbscheduler).")
    List<String> contenderNames;

    @Option(
            names = "--payload",
            paramLabel = "SIZE",
            converter = SizeConverter.class,
            description = "Output per stage in the side-by-side rounds (default 1KB).")
    Integer payload;

    @Option(
            names = "--scaling-sizes",
            split = ",",
            paramLabel = "SIZE",
            converter = SizeConverter.class,
            description = "Output sizes of Baton's payload-scaling rounds (default 1KB,1MB,20MB; quick 1KB,1MB,4MB).")
    List<Integer> scalingSizes;

    @Option(names = "--no-scaling", description = "Skip the payload-scaling rounds.")
    boolean noScaling;

    @Option(names = "--scaling-rounds", description = "Rounds per payload size (default 3, quick 1).")
    Integer scalingRounds;

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "SECTION",
            description = "Run only these sections (always in this order): side-by-side, scaling, queue-threads, "
                    + "churn, fan-out, scale-curve, sync-on (default all).")
    List<String> only;

    @Option(
            names = "--scale-threads",
            split = ",",
            paramLabel = "N",
            description = "Worker threads in one JVM of the scale-curve section (default 1,2,4,8,16; quick 1,16).")
    List<Integer> scaleThreads;

    @Option(
            names = "--scale-jvms",
            split = ",",
            paramLabel = "N",
            description = "Worker JVM counts of the scale-curve section, each with --workers threads, 0 for none "
                    + "(default 1,2,3; quick 1,2).")
    List<Integer> scaleJvms;

    @Option(
            names = "--scale-batches",
            paramLabel = "N",
            description = "Batches per scale-curve round (default 1000, quick 50).")
    Integer scaleBatches;

    @Option(
            names = "--scale-rounds",
            paramLabel = "N",
            description =
                    "Measured rounds per scale-curve point, after --warmup rounds (default 3; quick 1, no warm-up).")
    Integer scaleRounds;

    @Option(
            names = "--queue-threads",
            split = ",",
            paramLabel = "N",
            description = "Worker thread counts of the queue-threads section (default 1,2,4).")
    List<Integer> queueThreads;

    @Option(
            names = "--queue-batches",
            paramLabel = "N",
            description = "Batches per queue-threads round (default 1000, quick 50).")
    Integer queueBatches;

    @Option(
            names = "--queue-rounds",
            paramLabel = "N",
            description = "Measured queue-threads rounds (default 3, quick 1).")
    Integer queueRounds;

    @Option(
            names = "--queue-in-flight",
            paramLabel = "N",
            description = "Batches in flight per worker thread in queue-threads, 0 = start all at once (default 2).")
    Integer queueInFlight;

    @Option(
            names = "--churn-transitions",
            paramLabel = "N",
            description = "Transitions per churn run (default 100000, quick 6000).")
    Long churnTransitions;

    @Option(
            names = "--churn-in-flight",
            paramLabel = "N",
            description = "Batches in flight during churn (default 100).")
    Integer churnInFlight;

    @Option(
            names = "--churn-runs",
            split = ",",
            paramLabel = "RUN",
            description =
                    "Churn runs, each on fresh tables: delete (Baton's retention, BatchClient.purge, every 100 ms)"
                            + " or keep, optionally "
                            + "paced as delete@RATE transitions/s (default delete,keep,delete@400; quick delete,keep).")
    List<String> churnRuns;

    @Option(
            names = "--pg-setting",
            paramLabel = "NAME=VALUE",
            description = "A server setting of the embedded PostgreSQL (repeatable), e.g. synchronous_commit=on.")
    Map<String, String> pgSettings = new LinkedHashMap<>();

    @Mixin
    FanOutOptions fanOut = new FanOutOptions();

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchMain()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("pipeline-bench failed: " + e.getMessage());
            e.printStackTrace(cmd.getErr());
            return 1;
        });
    }

    private static Map<String, Supplier<Contender>> contenders() {
        Map<String, Supplier<Contender>> m = new LinkedHashMap<>();
        m.put("floor", FloorContender::new);
        m.put("floor-batched", FloorBatchedContender::new);
        m.put("baton-inprocess", BatonContender::inProcess);
        m.put("baton-queue", BatonContender::queue);
        // the same two with group commit on: what it changes
        m.put(
                "baton-inprocess-group",
                () -> BatonContender.inProcess()
                        .withStore(
                                "baton-inprocess-group",
                                b -> b.groupCommit(JdbcStageStore.SUGGESTED_GROUP_SIZE, Duration.ZERO)));
        m.put(
                "baton-queue-group",
                () -> BatonContender.queue()
                        .withStore(
                                "baton-queue-group",
                                b -> b.groupCommit(JdbcStageStore.SUGGESTED_GROUP_SIZE, Duration.ZERO)));
        m.put("baton-http", BatonContender::http);
        m.put("dbos", DbosContender::new);
        m.put("dbscheduler", DbSchedulerContender::new);
        return m;
    }

    /** @return the validated settings */
    BenchSettings settings() {
        int w = range("--workers", workers, 4, 1, 64);
        int b = range("--batches", batches, quick ? 50 : 2000, 1, 1_000_000);
        int r = range("--rounds", rounds, quick ? 2 : 5, 1, 100);
        int warm = range("--warmup", warmup, 1, 0, 10);
        int sr = range("--scaling-rounds", scalingRounds, quick ? 1 : 3, 1, 20);
        List<String> names = contenderNames == null ? List.copyOf(CONTENDERS.keySet()) : contenderNames;
        for (String name : names) {
            if (!CONTENDERS.containsKey(name)) {
                throw new ParameterException(
                        spec.commandLine(), "unknown contender '" + name + "'; choose from " + CONTENDERS.keySet());
            }
        }
        if (jdbcUrl != null && !pgSettings.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--pg-setting applies to the embedded PostgreSQL only; set it on the server of --jdbc-url");
        }
        Map<String, String> server = new LinkedHashMap<>();
        server.put("fsync", "on");
        server.put("synchronous_commit", "off");
        server.put("max_connections", "300");
        server.putAll(pgSettings);
        List<String> sections = sections();
        List<Integer> sizes = noScaling || !sections.contains(BenchSettings.SCALING)
                ? List.of()
                : scalingSizes != null ? scalingSizes : List.of(1024, 1024 * 1024, (quick ? 4 : 20) * 1024 * 1024);
        if (sizes.isEmpty()) {
            sections = sections.stream()
                    .filter(s -> !s.equals(BenchSettings.SCALING))
                    .toList();
        }
        List<Integer> threads = queueThreads == null ? List.of(1, 2, 4) : queueThreads;
        if (threads.isEmpty()
                || threads.stream().anyMatch(t -> t < 1 || t > 64)
                || threads.stream().distinct().count() != threads.size()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--queue-threads must be distinct thread counts between 1 and 64, got " + threads);
        }
        BenchSettings.QueueThreads queue = new BenchSettings.QueueThreads(
                threads,
                range("--queue-batches", queueBatches, quick ? 50 : 1000, 1, 1_000_000),
                range("--queue-rounds", queueRounds, quick ? 1 : 3, 1, 100),
                range("--queue-in-flight", queueInFlight, 2, 0, 1000));
        long churnT = churnTransitions == null ? (quick ? 6_000 : 100_000) : churnTransitions;
        if (churnT < Contender.STAGES || churnT > 100_000_000) {
            throw new ParameterException(
                    spec.commandLine(), "--churn-transitions must be between 6 and 100000000, got " + churnT);
        }
        List<String> runSpecs = churnRuns != null
                ? churnRuns
                : quick ? List.of("delete", "keep") : List.of("delete", "keep", "delete@400");
        List<BenchSettings.Churn.Run> runs = new java.util.ArrayList<>();
        for (String text : runSpecs) {
            try {
                runs.add(BenchSettings.Churn.Run.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--churn-runs: " + e.getMessage());
            }
        }
        if (runs.stream().map(BenchSettings.Churn.Run::label).distinct().count() != runs.size()) {
            throw new ParameterException(spec.commandLine(), "--churn-runs names a run twice: " + runSpecs);
        }
        BenchSettings.Churn churn =
                new BenchSettings.Churn(churnT, range("--churn-in-flight", churnInFlight, 100, 1, 10_000), w, runs, 10);
        List<Integer> sThreads = scaleThreads != null ? scaleThreads : quick ? List.of(1, 16) : List.of(1, 2, 4, 8, 16);
        if (sThreads.isEmpty()
                || sThreads.stream().anyMatch(t -> t < 1 || t > 64)
                || sThreads.stream().distinct().count() != sThreads.size()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--scale-threads must be distinct thread counts between 1 and 64, got " + sThreads);
        }
        List<Integer> sJvms = scaleJvms != null ? scaleJvms : quick ? List.of(1, 2) : List.of(1, 2, 3);
        if (sJvms.equals(List.of(0))) {
            sJvms = List.of();
        }
        if (sJvms.stream().anyMatch(j -> j < 1 || j > 16)
                || sJvms.stream().distinct().count() != sJvms.size()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--scale-jvms must be distinct JVM counts between 1 and 16 (or 0), got " + sJvms);
        }
        BenchSettings.ScaleCurve scale = new BenchSettings.ScaleCurve(
                sThreads,
                sJvms,
                w,
                range("--scale-batches", scaleBatches, quick ? 50 : 1000, 1, 1_000_000),
                range("--scale-rounds", scaleRounds, quick ? 1 : 3, 1, 100),
                quick ? 0 : warm);
        BenchSettings.SyncOn syncOn = new BenchSettings.SyncOn(
                names.stream().filter(n -> !n.equals("baton-http")).toList(), quick ? 1 : r, quick ? 0 : warm);
        return new BenchSettings(
                quick ? "quick" : "default",
                b,
                w,
                r,
                warm,
                names,
                payload == null ? 1024 : payload,
                sizes,
                sr,
                (quick ? 24L : 480L) * 1024 * 1024,
                server,
                sections,
                queue,
                churn,
                scale,
                syncOn);
    }

    private List<String> sections() {
        if (only == null) {
            return BenchSettings.SECTIONS;
        }
        for (String section : only) {
            if (!BenchSettings.SECTIONS.contains(section) && !section.equals(FanOutBench.SECTION)) {
                throw new ParameterException(
                        spec.commandLine(),
                        "unknown section '" + section + "'; choose from " + BenchSettings.SECTIONS + " or "
                                + FanOutBench.SECTION);
            }
        }
        return BenchSettings.SECTIONS.stream().filter(only::contains).toList();
    }

    private int range(String option, Integer given, int fallback, int min, int max) {
        int v = given == null ? fallback : given;
        if (v < min || v > max) {
            throw new ParameterException(
                    spec.commandLine(), option + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    @Override
    public Integer call() throws Exception {
        BenchSettings settings = settings();
        FanOutBench.Settings fanOutSettings = fanOut.settings(spec, quick);
        PrintStream stdout = System.out;
        try (Database db = jdbcUrl == null
                ? Database.embedded(settings.serverSettings())
                : Database.external(jdbcUrl, user, password)) {
            List<Contender> contenders = !settings.runs(BenchSettings.SIDE_BY_SIDE)
                    ? List.of()
                    : settings.contenders().stream()
                            .map(n -> CONTENDERS.get(n).get())
                            .toList();
            Contender scaling = !settings.runs(BenchSettings.SCALING)
                    ? null
                    : contenders.stream()
                            .filter(c -> c.name().equals("baton-inprocess"))
                            .findFirst()
                            .orElseGet(BatonContender::inProcess);
            Database.ServerFacts facts = db.facts();
            stdout.println(
                    "PostgreSQL " + facts.version() + (facts.embedded() ? " (embedded)" : "") + " " + facts.settings());
            Bench bench = new Bench(db, settings, contenders, scaling, stdout);
            Bench.Outcome outcome = bench.run();
            List<FanOutResult> fannedOut = only == null || only.contains(FanOutBench.SECTION)
                    ? new FanOutBench(db, fanOutSettings, stdout).run()
                    : List.of();
            List<ScalePoint> scaleCurve = settings.runs(BenchSettings.SCALE_CURVE) ? bench.scaleCurve() : List.of();
            List<ContenderResult> syncOn = settings.runs(BenchSettings.SYNC_ON)
                    ? bench.syncOn(settings.syncOn().contenders().stream()
                            .map(n -> CONTENDERS.get(n).get())
                            .toList())
                    : List.of();
            BenchResults results = new BenchResults(
                    String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                    BenchResults.Machine.current(),
                    facts,
                    settings,
                    outcome.contenders(),
                    outcome.scaling(),
                    TargetCheck.evaluate(outcome.contenders(), outcome.scaling(), settings.workers()),
                    outcome.queueThreads(),
                    outcome.churn(),
                    fannedOut,
                    scaleCurve,
                    syncOn);
            ReportTable.print(results, stdout);
            if (out != null) {
                results.write(out);
                stdout.println("wrote " + out.toAbsolutePath());
            }
        }
        return 0;
    }

    /** Reads {@code 1KB}, {@code 20MB}, … */
    static final class SizeConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
