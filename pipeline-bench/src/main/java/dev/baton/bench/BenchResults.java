package dev.baton.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything one run produced, as written to the {@code --out} JSON file.
 *
 * @param command the arguments the run was started with
 * @param machine the machine
 * @param server the PostgreSQL server
 * @param settings what was run
 * @param contenders one object per contender
 * @param payloadScaling Baton in-process per output size
 * @param targets Baton's targets against this run
 * @param queueThreads Baton's queue worker per trigger mode and thread count (empty when not run)
 * @param queueChurn the queue table under churn, one run per retention (empty when not run)
 * @param fanOut an item-bound stage's wall time per trigger and shard count (empty when not run)
 * @param scaleCurve throughput and the server's load per contender and worker count (empty when not run)
 * @param syncOn the side-by-side contenders with {@code synchronous_commit=on} (empty when not run)
 */
public record BenchResults(
        String command,
        Machine machine,
        Database.ServerFacts server,
        BenchSettings settings,
        List<ContenderResult> contenders,
        List<ScalingResult> payloadScaling,
        List<TargetCheck> targets,
        List<QueueThreadsResult> queueThreads,
        List<ChurnResult> queueChurn,
        List<FanOutResult> fanOut,
        List<ScalePoint> scaleCurve,
        List<ContenderResult> syncOn) {

    /**
     * The machine the run used.
     *
     * @param cores available processors
     * @param cpu the CPU model, or {@code unknown}
     * @param os operating system and version
     * @param jvm the Java runtime
     * @param maxHeapMb the JVM's maximum heap
     */
    public record Machine(int cores, String cpu, String os, String jvm, long maxHeapMb) {
        static Machine current() {
            String cpu = "unknown";
            try {
                cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                        .filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .findFirst()
                        .orElse(cpu);
            } catch (IOException | RuntimeException e) {
                // not Linux: the model stays unknown
            }
            return new Machine(
                    Runtime.getRuntime().availableProcessors(),
                    cpu,
                    System.getProperty("os.name") + " " + System.getProperty("os.version"),
                    ManagementFactory.getRuntimeMXBean().getVmName() + " " + System.getProperty("java.version"),
                    Runtime.getRuntime().maxMemory() / (1024 * 1024));
        }
    }

    /**
     * @param file where to write
     * @throws IOException if it cannot be written
     */
    void write(Path file) throws IOException {
        ObjectMapper mapper =
                JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        mapper.writeValue(file.toFile(), this);
    }
}
