package dev.baton.bench;

import java.util.List;
import java.util.Map;

/**
 * What one run measures; validated by {@link BenchMain}.
 *
 * @param mode {@code quick} or {@code default}
 * @param batches batches per round
 * @param workers concurrent workers of every contender
 * @param rounds measured rounds, interleaved across contenders
 * @param warmupRounds unmeasured rounds run first
 * @param contenders names of the contenders to run, in order
 * @param payloadBytes output size per stage in the side-by-side rounds
 * @param scalingSizes output sizes of the payload-scaling rounds (Baton alone); empty for none
 * @param scalingRounds rounds per scaling size
 * @param scalingBudgetBytes bytes of output per scaling round: batches = budget / (6 × size), at least 2
 * @param serverSettings settings of the embedded server
 */
public record BenchSettings(String mode, int batches, int workers, int rounds, int warmupRounds, List<String> contenders,
        int payloadBytes, List<Integer> scalingSizes, int scalingRounds, long scalingBudgetBytes, Map<String, String> serverSettings) {

    /** Copies the collections. */
    public BenchSettings {
        contenders = List.copyOf(contenders);
        scalingSizes = List.copyOf(scalingSizes);
        serverSettings = Map.copyOf(serverSettings);
    }

    /**
     * @param size output size per stage
     * @return batches per scaling round at that size
     */
    public int scalingBatches(int size) {
        long fit = scalingBudgetBytes / ((long) Contender.STAGES * size);
        return (int) Math.max(2, Math.min(batches, fit));
    }
}
