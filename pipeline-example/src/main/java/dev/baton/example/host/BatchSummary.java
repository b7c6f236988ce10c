package dev.baton.example.host;

/**
 * One row of the host's {@code batch_result} table.
 *
 * @param screenshots screenshots analysed
 * @param components components extracted
 * @param detections objects detected
 * @param precision overall precision of extraction against annotation
 * @param recall overall recall
 * @param f1 overall F1
 * @param meanIou mean IoU of matched pairs
 * @param perKindJson accuracy per kind, JSON text
 */
public record BatchSummary(
        int screenshots,
        int components,
        int detections,
        double precision,
        double recall,
        double f1,
        double meanIou,
        String perKindJson) {}
