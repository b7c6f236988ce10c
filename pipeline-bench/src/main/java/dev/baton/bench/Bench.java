package dev.baton.bench;

import dev.baton.bench.Contender.Round;
import dev.baton.bench.contenders.BatonContender;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
        for (int w = 1; w <= settings.warmupRounds(); w++) {
            for (Contender c : contenders) {
                report("warm-up " + w, measure(c, 0, settings.batches(), payload, settings.workers()));
            }
        }
        Map<String, List<RoundResult>> byContender = new LinkedHashMap<>();
        for (int r = 1; r <= settings.rounds(); r++) {
            for (Contender c : contenders) {
                RoundResult result = measure(c, r, settings.batches(), payload, settings.workers());
                report("round " + r + "/" + settings.rounds(), result);
                byContender.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(result);
            }
        }
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
        if (!db.checkpoint() && !checkpointWarned) {
            out.println("note: this user may not CHECKPOINT; rounds start with whatever WAL state the server is in");
            checkpointWarned = true;
        }
        Round spec = new Round(batches, workers, payload, new StageTimeline(batches, Contender.STAGES));
        Database.DbCounters before = db.counters();
        long elapsed;
        long peak;
        long cpu;
        try {
            c.setUp(db, spec);
            heap.reset();
            long cpuStart = load.jvmCpuNanos();
            long start = System.nanoTime();
            c.run(spec);
            elapsed = System.nanoTime() - start;
            cpu = load.jvmCpuNanos() - cpuStart;
            peak = heap.peakBytes();
        } catch (Exception e) {
            throw new IllegalStateException(c.name() + " failed in round " + round + ": " + e, e);
        } finally {
            c.tearDown();
        }
        db.awaitGone(c.applicationName(), Duration.ofSeconds(30));
        Database.DbCounters used = db.counters().minus(before);
        spec.timeline().verifyComplete();
        long[] handOffs = spec.timeline().handOffsSorted();
        return new RoundResult(
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
