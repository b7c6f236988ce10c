package dev.baton.example.app;

import dev.baton.example.cli.TriggerKind;
import dev.baton.example.trial.TrialSettings;
import dev.baton.example.vision.SimulatedVisionModel;
import dev.baton.example.vision.VisionModel;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.spi.StageStore;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/** Builds and starts an {@link ExampleApp}; every setter checks its value. Not thread-safe. */
public final class ExampleAppBuilder {
    DataSource dataSource;
    StageStore store;
    TrialSettings trial = TrialSettings.defaults();
    TriggerKind triggerKind = TriggerKind.HTTP;
    int port = 3000;
    URI baseUrl;
    String signingSecret;
    String adminToken;
    VisionModel visionModel = new SimulatedVisionModel();
    final List<PipelineListener> listeners = new ArrayList<>();
    int serverThreads = 64;
    Duration sweepInterval = Duration.ofSeconds(1);
    Duration pendingGrace = Duration.ofSeconds(5);
    Duration stopWait = Duration.ofSeconds(10);
    Duration retention;

    ExampleAppBuilder() {}

    /**
     * @param dataSource the database with Baton's and the host's tables, migrated
     * @param store Baton's store on that database
     * @return this
     */
    public ExampleAppBuilder database(DataSource dataSource, StageStore store) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.store = Objects.requireNonNull(store, "store");
        return this;
    }

    /**
     * @param trial budget, attempts, lease, delays, faults, batch size
     * @return this
     */
    public ExampleAppBuilder trial(TrialSettings trial) {
        this.trial = Objects.requireNonNull(trial, "trial");
        return this;
    }

    /**
     * @param triggerKind how stages trigger each other
     * @return this
     */
    public ExampleAppBuilder trigger(TriggerKind triggerKind) {
        this.triggerKind = Objects.requireNonNull(triggerKind, "triggerKind");
        return this;
    }

    /**
     * @param port 0 to 65535; 0 picks a free port
     * @return this
     * @throws IllegalArgumentException if out of range
     */
    public ExampleAppBuilder port(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        this.port = port;
        return this;
    }

    /**
     * @param baseUrl where other processes reach this app (stage calls, signed image URLs); default
     *     {@code http://127.0.0.1:<port>}
     * @return this
     */
    public ExampleAppBuilder baseUrl(URI baseUrl) {
        this.baseUrl = baseUrl;
        return this;
    }

    /**
     * @param signingSecret signs stage calls and image URLs; at least 16 characters
     * @return this
     * @throws IllegalArgumentException if shorter
     */
    public ExampleAppBuilder signingSecret(String signingSecret) {
        if (signingSecret == null || signingSecret.length() < 16) {
            throw new IllegalArgumentException("the signing secret must have at least 16 characters");
        }
        this.signingSecret = signingSecret;
        return this;
    }

    /**
     * @param adminToken the bearer token that grants the dashboard's actions (retry, cancel, restart), at least
     *     16 characters; {@code null} (the default) leaves the dashboard read-only
     * @return this
     * @throws IllegalArgumentException if shorter
     */
    public ExampleAppBuilder adminToken(String adminToken) {
        if (adminToken != null && adminToken.strip().length() < 16) {
            throw new IllegalArgumentException("the admin token must have at least 16 characters");
        }
        this.adminToken = adminToken;
        return this;
    }

    /**
     * @param visionModel the model of extraction and annotation; default the simulator
     * @return this
     */
    public ExampleAppBuilder visionModel(VisionModel visionModel) {
        this.visionModel = Objects.requireNonNull(visionModel, "visionModel");
        return this;
    }

    /**
     * @param listener hears stage and batch events; may be called several times
     * @return this
     */
    public ExampleAppBuilder listener(PipelineListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * @param interval time between stall sweeps, positive
     * @param pendingGrace how long a due pending batch may wait for its trigger before it is fired again
     * @return this
     */
    public ExampleAppBuilder sweeper(Duration interval, Duration pendingGrace) {
        if (interval.isZero() || interval.isNegative() || pendingGrace.isNegative()) {
            throw new IllegalArgumentException("sweep interval must be positive and pending grace not negative");
        }
        this.sweepInterval = interval;
        this.pendingGrace = pendingGrace;
        return this;
    }

    /**
     * Purges Baton's rows of batches that completed or were cancelled longer ago than {@code retention} (queue row,
     * outputs, input), on the sweeper's retention thread, every tenth of the period (1 s to 1 min). The host's own
     * tables are left as they are: they hold the app's results.
     *
     * @param retention the retention period, zero or more; {@code null} (the default) keeps everything
     * @return this
     * @throws IllegalArgumentException if negative
     */
    public ExampleAppBuilder retention(Duration retention) {
        if (retention != null && retention.isNegative()) {
            throw new IllegalArgumentException("retention must not be negative, got " + retention);
        }
        this.retention = retention;
        return this;
    }

    /**
     * @param stopWait how long {@link ExampleApp#close()} lets running requests finish, 0 to 10 min
     * @return this
     */
    public ExampleAppBuilder stopWait(Duration stopWait) {
        if (stopWait.isNegative() || stopWait.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("stopWait must be 0..10min, got " + stopWait);
        }
        this.stopWait = stopWait;
        return this;
    }

    /**
     * @return the started app
     * @throws IOException if the port cannot be bound
     * @throws IllegalStateException if the database or the secret is missing, or the trigger is not available
     */
    public ExampleApp start() throws IOException {
        if (dataSource == null || store == null) {
            throw new IllegalStateException("set database(dataSource, store) before start()");
        }
        if (signingSecret == null) {
            throw new IllegalStateException("set signingSecret(...) before start()");
        }
        return ExampleApp.start(this);
    }
}
