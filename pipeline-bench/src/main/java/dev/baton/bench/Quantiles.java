package dev.baton.bench;

import java.util.List;

/** Order statistics used by the report: nearest-rank percentiles and medians. */
final class Quantiles {
    private Quantiles() {}

    /**
     * @param sorted values sorted ascending, not empty
     * @param percent in (0, 100]
     * @return the nearest-rank percentile
     * @throws IllegalArgumentException on empty input or a percent out of range
     */
    static long percentile(long[] sorted, double percent) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent must be in (0, 100], got " + percent);
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /**
     * @param values not empty
     * @return the median (mean of the two middle values for an even count)
     * @throws IllegalArgumentException on empty input
     */
    static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
