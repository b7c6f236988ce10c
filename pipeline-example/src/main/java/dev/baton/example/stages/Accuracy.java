package dev.baton.example.stages;

/**
 * How well extraction agrees with annotation, for one screenshot or a whole batch, taking the
 * annotation as the reference: an extracted part counts when a detection of the same kind overlaps
 * it with an IoU of at least {@link AccuracyCalculator#MIN_IOU}, each detection matching at most once.
 *
 * @param extracted parts extraction found
 * @param detected parts annotation found
 * @param matched pairs matched
 * @param precision matched / extracted (1 when nothing was extracted)
 * @param recall matched / detected (1 when nothing was detected)
 * @param f1 harmonic mean of precision and recall
 * @param meanIou mean IoU of the matched pairs (1 when none)
 */
public record Accuracy(
        int extracted, int detected, int matched, double precision, double recall, double f1, double meanIou) {

    /**
     * @param extracted parts extraction found
     * @param detected parts annotation found
     * @param matched pairs matched
     * @param iouSum sum of the IoU of the matched pairs
     * @return the accuracy
     */
    static Accuracy of(int extracted, int detected, int matched, double iouSum) {
        double precision = extracted == 0 ? 1.0 : matched / (double) extracted;
        double recall = detected == 0 ? 1.0 : matched / (double) detected;
        double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
        return new Accuracy(
                extracted,
                detected,
                matched,
                round(precision),
                round(recall),
                round(f1),
                matched == 0 ? 1.0 : round(iouSum / matched));
    }

    private static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }
}
