package dev.baton.example.stages;

import dev.baton.example.vision.UiElement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Matches extracted parts to detected ones, kind by kind, greedily by IoU (highest first), and
 * counts the matches. Stateless and thread-safe.
 */
final class AccuracyCalculator {
    /** The least overlap at which an extracted part and a detection are the same thing. */
    static final double MIN_IOU = 0.5;

    /**
     * Tally of one comparison, which can be added up before it becomes an {@link Accuracy}.
     *
     * @param extracted parts extracted
     * @param detected parts detected
     * @param matched pairs matched
     * @param iouSum sum of the matched pairs' IoU
     */
    record Tally(int extracted, int detected, int matched, double iouSum) {
        static final Tally ZERO = new Tally(0, 0, 0, 0.0);

        Tally plus(Tally o) {
            return new Tally(extracted + o.extracted, detected + o.detected, matched + o.matched, iouSum + o.iouSum);
        }

        Accuracy accuracy() {
            return Accuracy.of(extracted, detected, matched, iouSum);
        }
    }

    private record Pair(int extractedIndex, int detectedIndex, double iou) {}

    /**
     * @param kind the kind compared
     * @param extracted everything extracted (other kinds are ignored)
     * @param detected everything detected (other kinds are ignored)
     * @return the tally for that kind
     */
    Tally compare(String kind, List<UiElement> extracted, List<UiElement> detected) {
        List<UiElement> e =
                extracted.stream().filter(x -> x.kind().equals(kind)).toList();
        List<UiElement> d = detected.stream().filter(x -> x.kind().equals(kind)).toList();
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            for (int j = 0; j < d.size(); j++) {
                double iou = e.get(i).box().iou(d.get(j).box());
                if (iou >= MIN_IOU) {
                    pairs.add(new Pair(i, j, iou));
                }
            }
        }
        pairs.sort(Comparator.comparingDouble(Pair::iou)
                .reversed()
                .thenComparingInt(Pair::extractedIndex)
                .thenComparingInt(Pair::detectedIndex));
        boolean[] usedE = new boolean[e.size()];
        boolean[] usedD = new boolean[d.size()];
        int matched = 0;
        double iouSum = 0;
        for (Pair p : pairs) {
            if (!usedE[p.extractedIndex()] && !usedD[p.detectedIndex()]) {
                usedE[p.extractedIndex()] = true;
                usedD[p.detectedIndex()] = true;
                matched++;
                iouSum += p.iou();
            }
        }
        return new Tally(e.size(), d.size(), matched, iouSum);
    }
}
