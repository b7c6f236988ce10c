package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Percentiles, medians, sizes and the hand-off arithmetic of the timeline. */
class MeasurementMathTest {

    @Test
    void nearestRankPercentiles() {
        long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(Quantiles.percentile(sorted, 50)).isEqualTo(5);
        assertThat(Quantiles.percentile(sorted, 99)).isEqualTo(10);
        assertThat(Quantiles.percentile(sorted, 10)).isEqualTo(1);
        assertThat(Quantiles.percentile(new long[] {42}, 99)).isEqualTo(42);
        assertThatThrownBy(() -> Quantiles.percentile(new long[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Quantiles.percentile(sorted, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Quantiles.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(Quantiles.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Quantiles.min(List.of(4.0, 1.0))).isEqualTo(1.0);
        assertThat(Quantiles.max(List.of(4.0, 1.0))).isEqualTo(4.0);
    }

    @Test
    void sizesReadAndWriteAsPeopleDo() {
        assertThat(Sizes.parse("1KB")).isEqualTo(1024);
        assertThat(Sizes.parse("20mb")).isEqualTo(20 * 1024 * 1024);
        assertThat(Sizes.parse("512")).isEqualTo(512);
        assertThat(Sizes.format(20 * 1024 * 1024)).isEqualTo("20MB");
        assertThat(Sizes.format(1024)).isEqualTo("1KB");
        assertThat(Sizes.format(1000)).isEqualTo("1000B");
        assertThatThrownBy(() -> Sizes.parse("lots")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> Sizes.parse("2GB")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Sizes.parse("0")).hasMessageContaining("out of range");
        assertThat(Sizes.readable(824)).isEqualTo("824 B");
        assertThat(Sizes.readable(56 * 1024 + 100)).isEqualTo("56 KiB");
        assertThat(Sizes.readable(1_468_006)).isEqualTo("1.4 MiB");
        assertThat(Sizes.readable(212L * 1024 * 1024)).isEqualTo("212 MiB");
    }

    @Test
    void handOffsRunFromTheEndOfOneStageToTheStartOfTheNext() throws InterruptedException {
        StageTimeline t = new StageTimeline(2, 3);
        for (int b = 0; b < 2; b++) {
            for (int s = 0; s < 3; s++) {
                t.begin(b, s);
                t.end(b, s);
                Thread.sleep(2);
            }
        }
        t.verifyComplete();
        long[] handOffs = t.handOffsSorted();
        assertThat(handOffs).hasSize(4);
        assertThat(handOffs[0]).isGreaterThanOrEqualTo(2_000_000L);
        assertThat(handOffs).isSorted();
    }

    @Test
    void aStageThatNeverRanIsReported() {
        StageTimeline t = new StageTimeline(2, 2);
        t.begin(0, 0);
        t.end(0, 0);
        t.begin(0, 1);
        t.end(0, 1);
        t.begin(1, 0);
        t.end(1, 0);

        assertThatThrownBy(t::verifyComplete).hasMessageContaining("batch index 1 stage index 1 never ran");
        assertThatThrownBy(() -> t.begin(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void payloadsHaveTheirSizeAndJsonForms() {
        Payload p = Payload.ofSize(1024);
        assertThat(p.size()).isEqualTo(1024);
        assertThat(p.text()).matches("[A-Za-z0-9+/]{1024}");
        assertThat(p.asJson()).isEqualTo("{\"data\":\"" + p.text() + "\"}");
        assertThat(p.asObject()).containsEntry("data", p.text());
        assertThat(Payload.ofSize(1024).text()).as("deterministic").isEqualTo(p.text());
    }

    @Test
    void aProcStatLineIsReadAfterTheCommandEvenWhenTheCommandHasSpacesAndParentheses() {
        String line = "4242 (postgres: bench (x) idle) S 4000 4242 4242 0 -1 4194560 500 0 0 0 17 5 3 2 20 0 1 0 100"
                + " 200000 1000 18446744073709551615";

        ProcStat stat = ProcStat.parse(4242, line);

        assertThat(stat).isEqualTo(new ProcStat(4242, 4000, 17, 5, 3, 2));
        assertThat(ProcStat.parse(1, "garbage")).isNull();
        assertThat(ProcStat.parse(1, "1 (x) S 0 1")).isNull();
    }

    @Test
    void busySharesLeaveIdleBackendsOut() {
        ServerLoad load = new ServerLoad(
                1_000_000_000L,
                500_000_000L,
                2_000_000,
                10,
                java.util.Map.of("idle", 6L, "CPU", 2L, "LWLock", 1L, "IO", 1L),
                java.util.Map.of("LWLock:WALWrite", 1L, "IO:WALSync", 1L));

        assertThat(load.busyShare()).isEqualTo(0.4);
        assertThat(load.share("CPU")).isEqualTo(0.5);
        assertThat(load.share("LWLock")).isEqualTo(0.25);
        assertThat(load.share("Lock")).isZero();
        assertThat(load.serverCores()).isEqualTo(0.5);
        assertThat(load.walBytesPerSec()).isEqualTo(2_000_000.0);
    }
}
