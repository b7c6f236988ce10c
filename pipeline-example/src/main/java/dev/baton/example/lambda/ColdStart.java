package dev.baton.example.lambda;

import dev.baton.pipeline.PipelineListener;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures, once per execution environment, the cold start: from the JVM's start to the end of the init phase
 * (the environment's parts built), plus from the start of the environment's first invocation to the first
 * stage's code, when that invocation runs a stage. The time an environment sits idle between the two is not
 * counted: Lambda runs the first invocation right after init.
 */
final class ColdStart implements PipelineListener {
    private static final Logger LOG = LoggerFactory.getLogger(ColdStart.class);
    /** The start of the log line, which tests and operators look for. */
    static final String PREFIX = "cold start: JVM start to first stage code ";

    private final AtomicLong initMillis = new AtomicLong(-1);
    private final AtomicLong firstInvocation = new AtomicLong(-1);
    private final AtomicBoolean invoked = new AtomicBoolean();
    private final AtomicBoolean reported = new AtomicBoolean();

    /** Called when init has ended. */
    void ready() {
        initMillis.set(System.currentTimeMillis()
                - ManagementFactory.getRuntimeMXBean().getStartTime());
    }

    /** Called at the start of every invocation; only the first counts. */
    void invocationStarted() {
        if (invoked.compareAndSet(false, true)) {
            firstInvocation.set(System.nanoTime());
        }
    }

    /** Called at the end of every invocation: a stage run by a later one is no cold start. */
    void invocationEnded() {
        reported.set(true);
    }

    @Override
    public void stageStarted(long batchId, String stage, int attempt) {
        long started = firstInvocation.get();
        if (started >= 0 && reported.compareAndSet(false, true)) {
            long ms = initMillis.get() + (System.nanoTime() - started) / 1_000_000;
            LOG.info("{}{} ms (init {} ms; batch {} stage {})", PREFIX, ms, initMillis.get(), batchId, stage);
        }
    }
}
