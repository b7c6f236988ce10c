package dev.baton.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * The JVM heap's peak while one contender runs: the sum over heap memory pools of their peak usage
 * ({@link MemoryPoolMXBean#getPeakUsage()}), after a collection and a reset of the peaks. Each pool's
 * peak may fall at a different moment, so the sum is an upper bound of the true peak; it includes
 * garbage not yet collected, so it reads as "heap the contender made the JVM need", not live data.
 */
final class HeapPeak {
    private final List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.isValid())
            .toList();

    /** Collects garbage, then resets every heap pool's peak to its current usage. */
    void reset() {
        System.gc();
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** @return the sum of the heap pools' peaks since {@link #reset()}, in bytes */
    long peakBytes() {
        return pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}
