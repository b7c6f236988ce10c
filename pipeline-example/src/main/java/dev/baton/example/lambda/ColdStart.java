package dev.baton.example.lambda;

import dev.baton.pipeline.PipelineListener;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs, once per execution environment, the time from the JVM's start to the first stage's code. */
final class ColdStart implements PipelineListener {
    private static final Logger LOG = LoggerFactory.getLogger(ColdStart.class);
    /** The start of the log line, which tests and operators look for. */
    static final String PREFIX = "cold start: JVM start to first stage code ";

    private final AtomicBoolean first = new AtomicBoolean(true);

    @Override
    public void stageStarted(long batchId, String stage, int attempt) {
        if (first.compareAndSet(true, false)) {
            long ms = System.currentTimeMillis()
                    - ManagementFactory.getRuntimeMXBean().getStartTime();
            LOG.info("{}{} ms (batch {} stage {})", PREFIX, ms, batchId, stage);
        }
    }
}
