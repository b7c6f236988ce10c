package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.jdbc.QueueWorker;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts and stops Baton's threads with the application context, as one {@link SmartLifecycle} in phase
 * {@value #PHASE}.
 *
 * <p>Start: every singleton exists by then, so the DataSource is initialised, the host's Flyway and Baton's
 * migrations have run and the store has checked its tables; the web server (phase {@code DEFAULT_PHASE - 2048})
 * already listens, so the HTTP trigger knows its actual port. Then the runner (and its trigger), the queue worker
 * and the sweeper start.
 *
 * <p>Stop, in the reverse order: the web server's graceful shutdown (phase {@code DEFAULT_PHASE - 1024}) has let
 * the stage requests under way finish; then a stage that finishes no longer runs its batch's next one on its
 * thread (that one is left pending, for the sweeper after a restart or in another process), the sweeper stops,
 * the queue worker stops claiming and waits for its stages, and the runner closes its trigger (the in-process
 * one stops taking work and waits up to {@code baton.in-process.shutdown-wait} for running stages). Lifecycle
 * stops all run before any bean is destroyed, so this happens while the DataSource is still open: a stage that
 * finishes in time commits, and one that does not keeps its lease until it expires and a sweeper, here after a
 * restart or in another process, runs it again.
 */
public class BatonLifecycle implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(BatonLifecycle.class);
    /** After the web server starts, before its graceful shutdown ends: between the two web server phases. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

    private final PipelineRunner runner;
    private final QueueWorker worker;
    private final BatonSweeper sweeper;
    private final Runnable drain;
    private volatile boolean running;

    /**
     * @param runner the runner to start
     * @param worker the queue worker, or {@code null} when the trigger is not the queue
     * @param sweeper the sweeper, or {@code null} when this process does not sweep
     * @param drain called first on stop: from then on a finished stage does not run the next one on its thread
     */
    public BatonLifecycle(PipelineRunner runner, QueueWorker worker, BatonSweeper sweeper, Runnable drain) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.worker = worker;
        this.sweeper = sweeper;
        this.drain = Objects.requireNonNull(drain, "drain");
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        runner.start();
        if (worker != null) {
            worker.start();
        }
        if (sweeper != null) {
            sweeper.start();
        }
        running = true;
        LOG.info(
                "Baton started: stages {}, {}{}",
                runner.pipeline().stageNames(),
                worker != null ? "a queue worker" : "no queue worker",
                sweeper != null ? ", a sweeper" : ", no sweeper");
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        drain.run();
        if (sweeper != null) {
            sweeper.close();
        }
        if (worker != null) {
            worker.close();
        }
        runner.close();
        LOG.info("Baton stopped: no stage runs in this process any more");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
