package dev.baton.bench;

import dev.baton.bench.Contender.Round;
import dev.baton.bench.contenders.BatonContender;
import dev.baton.bench.contenders.BatonJvmsContender;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the contenders against one database, interleaved (A B C D, A B C D, …) so that drift of the
 * machine spreads over all of them, then Baton alone at each payload size, then Baton's queue worker
 * at each thread count (every stage through the queue and inline, interleaved), then the queue table
 * under churn ({@link QueueChurn}); each part only when the settings name its section. Each round: a checkpoint,
 * counters read, the contender set up, the heap's peak reset, the batches run (timed), the contender
 * torn down and its server processes gone, counters read again. Not thread-safe.
 */
final class Bench {
    private final Database db;
    private final BenchSettings settings;
    private final List<Contender> contenders;
    private final Contender scaling;
    private final PrintStream out;
    private final HeapPeak heap = new HeapPeak();
    private final MachineLoad load = new MachineLoad();
    private final long startedNanos = System.nanoTime();
    private boolean checkpointWarned;

    /**
     * @param db the database
     * @param settings what to run
     * @param contenders the side-by-side contenders, in order
     * @param scaling the contender of the payload-scaling rounds, or {@code null} for none
     * @param out where progress goes
     */
    Bench(Database db, BenchSettings settings, List<Contender> contenders, Contender scaling, PrintStream out) {
        this.db = db;
        this.settings = settings;
        this.contenders = List.copyOf(contenders);
        this.scaling = scaling;
        this.out = out;
    }

    /** What a run produced, before it is reported; a section not run is an empty list. */
    record Outcome(
            List<ContenderResult> contenders,
            List<ScalingResult> scaling,
            List<QueueThreadsResult> queueThreads,
            List<ChurnResult> churn) {}

    /**
     * @return the summaries
     * @throws Exception the first failure of a contender, which ends the run
     */
    Outcome run() throws Exception {
        List<Contender> all = new ArrayList<>(contenders);
        if (scaling != null && !all.contains(scaling)) {
            all.add(scaling);
        }
        List<BatonContender> queueModes = settings.runs(BenchSettings.QUEUE_THREADS)
                ? List.of(
                        BatonContender.queueThreads(
                                true, settings.queueThreads().inFlightPerThread()),
                        BatonContender.queueThreads(
                                false, settings.queueThreads().inFlightPerThread()))
                : List.of();
        all.addAll(queueModes);
        for (Contender c : all) {
            out.printf("preparing %s%n", c.name());
            c.prepareSchema(db);
        }
        Payload payload = Payload.ofSize(settings.payloadBytes());
        Map<String, List<RoundResult>> byContender =
                interleaved(contenders, settings.warmupRounds(), settings.rounds(), "", payload);
        List<ContenderResult> summaries = summarise(byContender);
        List<ScalingResult> scaled = scaling == null ? List.of() : scale();
        List<QueueThreadsResult> threads = queueModes.isEmpty() ? List.of() : queueThreads(queueModes, payload);
        List<ChurnResult> churned = new ArrayList<>();
        if (settings.runs(BenchSettings.CHURN)) {
            QueueChurn churn = new QueueChurn(db, settings.churn(), payload, out, this::secondsSinceStart);
            for (BenchSettings.Churn.Run run : settings.churn().runs()) {
                churned.add(churn.run(run));
            }
        }
        return new Outcome(summaries, scaled, threads, churned);
    }

    /** Warm-up rounds, then measured rounds, each running every contender once in order: the rounds by contender. */
    private Map<String, List<RoundResult>> interleaved(
            List<Contender> list, int warmups, int rounds, String label, Payload payload) throws Exception {
        for (int w = 1; w <= warmups; w++) {
            for (Contender c : list) {
                report(label + "warm-up " + w, measure(c, 0, settings.batches(), payload, settings.workers()));
            }
        }
        Map<String, List<RoundResult>> byContender = new LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            for (Contender c : list) {
                RoundResult result = measure(c, r, settings.batches(), payload, settings.workers());
                report(label + "round " + r + "/" + rounds, result);
                byContender.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(result);
            }
        }
        return byContender;
    }

    /**
     * The scale-curve section: Baton in-process and through the queue at each thread count in this JVM (the thread
     * counts and both contenders interleaved in every round, after the warm-up rounds), then the queue with its
     * workers in 1, 2, … other JVMs (each count's JVMs kept for its warm-up and measured rounds). Every measured
     * round is probed: the server's CPU, its WAL, and its backends' wait events.
     *
     * @return the points: in-process by thread count, queue by thread count, then by worker JVMs
     * @throws Exception the first failure, which ends the run
     */
    List<ScalePoint> scaleCurve() throws Exception {
        BenchSettings.ScaleCurve sc = settings.scaleCurve();
        Payload payload = Payload.ofSize(settings.payloadBytes());
        ServerProbe probe = new ServerProbe(db);
        if (!probe.seesServerCpu()) {
            out.println("note: the server's processes are not visible in /proc from here; its CPU is not measured");
        }
        List<BatonContender> inJvm = List.of(BatonContender.inProcess(), BatonContender.queue());
        for (Contender c : inJvm) {
            c.prepareSchema(db);
        }
        for (int w = 1; w <= sc.warmupRounds(); w++) {
            for (int threads : sc.threads()) {
                for (Contender c : inJvm) {
                    report("scale warm-up " + w + " T=" + threads, measure(c, 0, sc.batches(), payload, threads));
                }
            }
        }
        Map<String, List<Measured>> byPoint = new LinkedHashMap<>();
        for (int r = 1; r <= sc.rounds(); r++) {
            for (int threads : sc.threads()) {
                for (Contender c : inJvm) {
                    Measured m = measure(c, r, sc.batches(), payload, threads, probe);
                    reportScale("scale " + r + "/" + sc.rounds() + " T=" + threads, m);
                    byPoint.computeIfAbsent(c.name() + "/" + threads, k -> new ArrayList<>())
                            .add(m);
                }
            }
        }
        List<ScalePoint> points = new ArrayList<>();
        for (Contender c : inJvm) {
            double first = Double.NaN;
            for (int threads : sc.threads()) {
                List<Measured> ms = byPoint.get(c.name() + "/" + threads);
                ScalePoint p = ScalePoint.of(
                        c.name(),
                        1,
                        threads,
                        ms.stream().map(Measured::round).toList(),
                        ms.stream().map(Measured::load).toList(),
                        first);
                if (Double.isNaN(first)) {
                    first = p.transitionsPerSec();
                }
                points.add(p);
            }
        }
        double first = Double.NaN;
        for (int jvms : sc.jvms()) {
            BatonJvmsContender c = new BatonJvmsContender(jvms, sc.threadsPerJvm());
            c.prepareSchema(db);
            int workers = jvms * sc.threadsPerJvm();
            List<Measured> ms = new ArrayList<>();
            out.printf("starting %d worker JVM(s) of %d threads%n", jvms, sc.threadsPerJvm());
            try {
                c.open(db);
                for (int w = 1; w <= sc.warmupRounds(); w++) {
                    report("scale warm-up " + w + " JVMs=" + jvms, measure(c, 0, sc.batches(), payload, workers));
                }
                for (int r = 1; r <= sc.rounds(); r++) {
                    Measured m = measure(c, r, sc.batches(), payload, workers, probe);
                    RoundResult x = m.round();
                    // the JVMs that ran the stages are the workers; this one only started the batches
                    Measured withWorkers = new Measured(
                            new RoundResult(
                                    x.contender(),
                                    x.round(),
                                    x.batches(),
                                    x.workers(),
                                    x.payloadBytes(),
                                    x.transitions(),
                                    x.elapsedNanos(),
                                    x.p50Nanos(),
                                    x.p99Nanos(),
                                    x.commits(),
                                    x.walBytes(),
                                    x.heapPeakBytes(),
                                    x.jvmCpuNanos() + c.lastRoundChildCpuNanos(),
                                    x.loadAverage()),
                            m.load());
                    reportScale("scale " + r + "/" + sc.rounds() + " JVMs=" + jvms, withWorkers);
                    ms.add(withWorkers);
                }
            } finally {
                c.close();
            }
            ScalePoint p = ScalePoint.of(
                    c.name(),
                    jvms,
                    sc.threadsPerJvm(),
                    ms.stream().map(Measured::round).toList(),
                    ms.stream().map(Measured::load).toList(),
                    first);
            if (Double.isNaN(first)) {
                first = p.transitionsPerSec();
            }
            points.add(p);
        }
        return points;
    }

    /**
     * The sync-on section: the given contenders interleaved as in the side-by-side rounds, with
     * {@code synchronous_commit=on} for every new connection of the same server, put back afterwards.
     *
     * @param list the contenders, in order
     * @return their summaries, or an empty list when this user may not change the setting (a note says so)
     * @throws Exception the first failure, which ends the run
     */
    List<ContenderResult> syncOn(List<Contender> list) throws Exception {
        BenchSettings.SyncOn sync = settings.syncOn();
        for (Contender c : list) {
            out.printf("preparing %s%n", c.name());
            c.prepareSchema(db);
        }
        Database.ChangedSetting changed;
        try {
            changed = db.change("synchronous_commit", "on");
        } catch (SQLException e) {
            out.println("note: sync-on skipped: cannot set synchronous_commit=on for new connections (" + e.getMessage()
                    + "); it needs a superuser, or run it with --pg-setting synchronous_commit=on");
            return List.of();
        }
        Map<String, List<RoundResult>> byContender;
        try (changed) {
            out.println("sync-on: synchronous_commit=on for new connections (" + changed.how() + ")");
            byContender = interleaved(
                    list, sync.warmupRounds(), sync.rounds(), "sync-on ", Payload.ofSize(settings.payloadBytes()));
        }
        out.println("sync-on: synchronous_commit is " + db.setting("synchronous_commit") + " again");
        return summarise(byContender);
    }

    /**
     * Every thread count with both triggers in each round, interleaved (T=1 every-stage, T=1 inline,
     * T=2 every-stage, …), after the warm-up rounds.
     */
    private List<QueueThreadsResult> queueThreads(List<BatonContender> modes, Payload payload) throws Exception {
        BenchSettings.QueueThreads q = settings.queueThreads();
        for (int w = 1; w <= settings.warmupRounds(); w++) {
            for (int threads : q.threads()) {
                for (BatonContender c : modes) {
                    report("queue warm-up " + w + " T=" + threads, measure(c, 0, q.batches(), payload, threads));
                }
            }
        }
        Map<String, List<RoundResult>> rounds = new LinkedHashMap<>();
        Map<String, List<Long>> claims = new LinkedHashMap<>();
        for (int r = 1; r <= q.rounds(); r++) {
            for (int threads : q.threads()) {
                for (BatonContender c : modes) {
                    RoundResult result = measure(c, r, q.batches(), payload, threads);
                    report("queue " + r + "/" + q.rounds() + " T=" + threads, result);
                    String key = c.triggerMode() + "/" + threads;
                    rounds.computeIfAbsent(key, k -> new ArrayList<>()).add(result);
                    claims.computeIfAbsent(key, k -> new ArrayList<>()).add(c.lastRoundClaims());
                }
            }
        }
        List<QueueThreadsResult> results = new ArrayList<>();
        for (BatonContender c : modes) {
            double fewest = Double.NaN;
            for (int threads : q.threads().stream().sorted().toList()) {
                String key = c.triggerMode() + "/" + threads;
                int inFlight = q.inFlightPerThread() * threads;
                QueueThreadsResult result = QueueThreadsResult.of(
                        c.triggerMode(), threads, inFlight, rounds.get(key), claims.get(key), fewest);
                if (Double.isNaN(fewest)) {
                    fewest = result.transitionsPerSec();
                }
                results.add(result);
            }
        }
        return results;
    }

    private long secondsSinceStart() {
        return (System.nanoTime() - startedNanos) / 1_000_000_000L;
    }

    private List<ContenderResult> summarise(Map<String, List<RoundResult>> byContender) {
        ContenderResult floor =
                byContender.containsKey("floor") ? ContenderResult.of("floor", byContender.get("floor"), null) : null;
        List<ContenderResult> summaries = new ArrayList<>();
        byContender.forEach((name, rounds) -> summaries.add(ContenderResult.of(name, rounds, floor)));
        return summaries;
    }

    private List<ScalingResult> scale() throws Exception {
        Map<Integer, List<RoundResult>> bySize = new LinkedHashMap<>();
        Map<Integer, Payload> payloads = new LinkedHashMap<>();
        for (int size : settings.scalingSizes()) {
            payloads.put(size, Payload.ofSize(size));
        }
        for (int r = 1; r <= settings.scalingRounds(); r++) {
            for (int size : settings.scalingSizes()) {
                RoundResult result =
                        measure(scaling, r, settings.scalingBatches(size), payloads.get(size), settings.workers());
                report("scaling " + r + "/" + settings.scalingRounds() + " " + Sizes.format(size), result);
                bySize.computeIfAbsent(size, k -> new ArrayList<>()).add(result);
            }
        }
        return bySize.values().stream().map(ScalingResult::of).toList();
    }

    private RoundResult measure(Contender c, int round, int batches, Payload payload, int workers) throws Exception {
        return measure(c, round, batches, payload, workers, null).round();
    }

    /** A round's numbers, and the server's load when it was probed. */
    private record Measured(RoundResult round, ServerLoad load) {}

    private Measured measure(Contender c, int round, int batches, Payload payload, int workers, ServerProbe probe)
            throws Exception {
        if (!db.checkpoint() && !checkpointWarned) {
            out.println("note: this user may not CHECKPOINT; rounds start with whatever WAL state the server is in");
            checkpointWarned = true;
        }
        Round spec = new Round(batches, workers, payload, new StageTimeline(batches, Contender.STAGES));
        Database.DbCounters before = db.counters();
        long elapsed;
        long peak;
        long cpu;
        ServerLoad server = null;
        try {
            c.setUp(db, spec);
            heap.reset();
            if (probe != null) {
                probe.start(c.applicationName());
            }
            long cpuStart = load.jvmCpuNanos();
            long start = System.nanoTime();
            c.run(spec);
            elapsed = System.nanoTime() - start;
            cpu = load.jvmCpuNanos() - cpuStart;
            peak = heap.peakBytes();
            if (probe != null) {
                server = probe.stop();
            }
        } catch (Exception e) {
            if (probe != null) {
                probe.cancel();
            }
            throw new IllegalStateException(c.name() + " failed in round " + round + ": " + e, e);
        } finally {
            c.tearDown();
        }
        db.awaitGone(c.applicationName(), Duration.ofSeconds(30));
        Database.DbCounters used = db.counters().minus(before);
        spec.timeline().verifyComplete();
        long[] handOffs = spec.timeline().handOffsSorted();
        RoundResult result = new RoundResult(
                c.name(),
                round,
                batches,
                workers,
                payload.size(),
                spec.transitions(),
                elapsed,
                Quantiles.percentile(handOffs, 50),
                Quantiles.percentile(handOffs, 99),
                used.commits(),
                used.walBytes(),
                peak,
                cpu,
                load.loadAverage());
        return new Measured(result, server);
    }

    private void reportScale(String label, Measured m) {
        report(label, m.round());
        ServerLoad l = m.load();
        out.printf(
                Locale.ROOT,
                "        server CPU %s  WAL %,.1f MB/s  backend samples %,d, busy %.0f%%, of which: Lock %.0f%% "
                        + "LWLock %.0f%% IO %.0f%% CPU %.0f%% Client %.0f%%%n",
                l.serverCores() < 0 ? "-" : String.format(Locale.ROOT, "%.2f cores", l.serverCores()),
                l.walBytesPerSec() / 1e6,
                l.samples(),
                100 * l.busyShare(),
                100 * l.share("Lock"),
                100 * l.share("LWLock"),
                100 * l.share("IO"),
                100 * l.share("CPU"),
                100 * l.share("Client"));
    }

    private void report(String label, RoundResult r) {
        long seconds = secondsSinceStart();
        out.printf(
                "[%02d:%02d] %-22s %-23s %,9d transitions in %6.2f s = %,9.0f/s  hand-off p50 %7.3f ms p99 %8.3f ms  "
                        + "%.2f commits/t  %,8.0f WAL B/t  heap %,6.0f MiB  JVM CPU %,5.0f us/t  load %.1f%n",
                seconds / 60,
                seconds % 60,
                label,
                r.contender(),
                r.transitions(),
                r.elapsedNanos() / 1e9,
                r.transitionsPerSec(),
                r.p50Ms(),
                r.p99Ms(),
                r.commitsPerTransition(),
                r.walBytesPerTransition(),
                r.heapPeakMb(),
                r.jvmCpuMicrosPerTransition(),
                r.loadAverage());
    }
}
