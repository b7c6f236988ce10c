package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How a run's summaries are read against Baton's targets. */
class TargetCheckTest {

    static RoundResult round(String name, double tps, double p99Ms, int payload, double heapMb) {
        long transitions = 6000;
        return new RoundResult(
                name,
                1,
                1000,
                4,
                payload,
                transitions,
                (long) (transitions / tps * 1e9),
                1_000_000,
                (long) (p99Ms * 1e6),
                8000,
                12_000_000,
                (long) (heapMb * 1024 * 1024),
                1_000_000_000L,
                1.0);
    }

    static ContenderResult summary(String name, double tps, double p99Ms, ContenderResult floor) {
        return ContenderResult.of(name, List.of(round(name, tps, p99Ms, 1024, 50)), floor);
    }

    @Test
    void ratiosAgainstTheFloorAndThePeers() {
        ContenderResult floor = summary("floor", 1000, 2, null);
        List<ContenderResult> all = List.of(
                floor,
                summary("baton-inprocess", 750, 4, floor),
                summary("dbos", 400, 10, floor),
                summary("dbscheduler", 600, 30, floor));
        List<ContenderResult> withQueue = List.of(
                floor,
                summary("baton-inprocess", 700, 4, floor),
                summary("baton-queue", 800, 25, floor),
                summary("dbscheduler", 500, 30, floor));

        List<TargetCheck> checks = TargetCheck.evaluate(all, List.of(), 4);

        assertThat(checks).hasSize(5);
        assertThat(checks.get(0).met()).isTrue();
        assertThat(checks.get(0).measured()).startsWith("0.75 x floor");
        assertThat(checks.get(1).met()).isFalse();
        assertThat(checks.get(1).measured()).startsWith("1.25 x dbscheduler");
        assertThat(checks.get(2).met()).isTrue();
        assertThat(checks.get(3).met()).isNull();
        assertThat(checks.get(3).measured()).isEqualTo("baton-queue not run");
        assertThat(checks.get(4).met()).isNull();
        assertThat(all.get(1).vsFloor().transitionsPerSec()).isEqualTo(0.75);

        List<TargetCheck> queued = TargetCheck.evaluate(withQueue, List.of(), 4);
        assertThat(queued.get(1).measured())
                .as("the faster Baton counts")
                .startsWith("1.60 x dbscheduler (baton-queue");
        assertThat(queued.get(1).met()).isTrue();
        assertThat(queued.get(3).met()).as("25 ms is over 20 ms").isFalse();
        assertThat(all.get(1).vsFloor().commitsPerTransition()).isEqualTo(1.0);
    }

    @Test
    void theFloorTargetIsOnlyJudgedAtFourWorkers() {
        ContenderResult floor = summary("floor", 1000, 2, null);
        List<TargetCheck> checks =
                TargetCheck.evaluate(List.of(floor, summary("baton-inprocess", 900, 1, floor)), List.of(), 8);

        assertThat(checks.get(0).met()).isNull();
        assertThat(checks.get(0).measured()).contains("W=8");
    }

    @Test
    void heapIndependenceComparesTheSizesAboveTheChunkThreshold() {
        List<ScalingResult> flat = List.of(
                ScalingResult.of(List.of(round("baton-inprocess", 100, 1, 1024, 40))),
                ScalingResult.of(List.of(round("baton-inprocess", 10, 1, 1024 * 1024, 100))),
                ScalingResult.of(List.of(round("baton-inprocess", 1, 1, 20 * 1024 * 1024, 110))));
        List<ScalingResult> growing = List.of(
                ScalingResult.of(List.of(round("baton-inprocess", 10, 1, 1024 * 1024, 100))),
                ScalingResult.of(List.of(round("baton-inprocess", 1, 1, 20 * 1024 * 1024, 700))));

        assertThat(TargetCheck.evaluate(List.of(), flat, 4).get(4).met()).isTrue();
        TargetCheck grew = TargetCheck.evaluate(List.of(), growing, 4).get(4);
        assertThat(grew.met()).isFalse();
        assertThat(grew.measured()).contains("x7.00 heap for x20 payload");
    }
}
