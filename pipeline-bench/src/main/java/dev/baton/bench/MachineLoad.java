package dev.baton.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/** CPU the JVM used, and how busy the machine is: the context a round's numbers need on a shared machine. */
final class MachineLoad {
    private final OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);

    /** @return CPU time used by this JVM so far, in nanoseconds, or -1 where unsupported */
    long jvmCpuNanos() {
        return os == null ? -1 : os.getProcessCpuTime();
    }

    /** @return the one-minute load average, or -1 where unknown */
    double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
