package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.StallSweeper;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Baton's settings under {@code baton.*}. Only {@code baton.stages} is required; everything else has a default.
 *
 * <pre>
 * baton.stages=import,enrich,aggregate,persist
 * baton.trigger=http
 * baton.stage.enrich.retry.max-attempts=5
 * </pre>
 */
@ConfigurationProperties("baton")
public class BatonProperties {
    /** The pipeline: names of Stage beans, in the order a batch runs them. */
    private List<String> stages = new ArrayList<>();

    /** How the next stage is started: in-process (a thread pool here), queue (the PostgreSQL queue) or http. */
    private TriggerKind trigger = TriggerKind.IN_PROCESS;

    /** Per-stage settings, keyed by the stage's name in baton.stages. */
    private Map<String, StageProperties> stage = new LinkedHashMap<>();

    /** How long a claimed stage's lease lasts before the sweeper may rescue it; heartbeats renew it. */
    private Duration lease = Pipeline.DEFAULT_LEASE;

    private final Jdbc jdbc = new Jdbc();
    private final InProcess inProcess = new InProcess();
    private final Queue queue = new Queue();
    private final Http http = new Http();
    private final Sweeper sweeper = new Sweeper();
    private final Dashboard dashboard = new Dashboard();

    /** @return the stage bean names, in order */
    public List<String> getStages() {
        return stages;
    }

    /** @param stages the stage bean names, in order */
    public void setStages(List<String> stages) {
        this.stages = stages;
    }

    /** @return the trigger kind */
    public TriggerKind getTrigger() {
        return trigger;
    }

    /** @param trigger the trigger kind */
    public void setTrigger(TriggerKind trigger) {
        this.trigger = trigger;
    }

    /** @return the per-stage settings by stage name */
    public Map<String, StageProperties> getStage() {
        return stage;
    }

    /** @param stage the per-stage settings by stage name */
    public void setStage(Map<String, StageProperties> stage) {
        this.stage = stage;
    }

    /** @return the lease of a claimed stage */
    public Duration getLease() {
        return lease;
    }

    /** @param lease the lease of a claimed stage */
    public void setLease(Duration lease) {
        this.lease = lease;
    }

    /** @return the database settings */
    public Jdbc getJdbc() {
        return jdbc;
    }

    /** @return the in-process trigger's settings */
    public InProcess getInProcess() {
        return inProcess;
    }

    /** @return the queue trigger's and worker's settings */
    public Queue getQueue() {
        return queue;
    }

    /** @return the HTTP trigger's and stage route's settings */
    public Http getHttp() {
        return http;
    }

    /** @return the sweeper's settings */
    public Sweeper getSweeper() {
        return sweeper;
    }

    /** @return the dashboard's settings */
    public Dashboard getDashboard() {
        return dashboard;
    }

    /** The value of {@code baton.trigger}. */
    public enum TriggerKind {
        /** A thread pool in this process ({@link InProcessTrigger}); the default. */
        IN_PROCESS,
        /** The PostgreSQL queue, with a QueueWorker in this process. */
        QUEUE,
        /** Signed HTTP requests to the stage route this service mounts. */
        HTTP
    }

    /** {@code baton.stage.<name>.*}: one stage's budget and retry policy. */
    public static class StageProperties {
        /** Time one invocation may run before it should return progress; default 50 s. */
        private Duration budget;

        private final Retry retry = new Retry();

        /** @return the budget, or {@code null} for the pipeline's default */
        public Duration getBudget() {
            return budget;
        }

        /** @param budget the budget */
        public void setBudget(Duration budget) {
            this.budget = budget;
        }

        /** @return the retry settings */
        public Retry getRetry() {
            return retry;
        }
    }

    /** {@code baton.stage.<name>.retry.*}: an exponential retry policy; unset values keep Baton's defaults. */
    public static class Retry {
        /** Attempts in all, the first included; 1 means no retry. Default 3. */
        private Integer maxAttempts;
        /** Wait before the first retry. Default 1 s. */
        private Duration initialBackoff;
        /** Factor between two waits. Default 2.0. */
        private Double multiplier;
        /** Random part of each wait, 0 to 1. Default 0.5. */
        private Double jitter;
        /** Longest wait. Default 5 min. */
        private Duration maxBackoff;

        /** @return the attempts in all, or {@code null} */
        public Integer getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts the attempts in all */
        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        /** @return the first wait, or {@code null} */
        public Duration getInitialBackoff() {
            return initialBackoff;
        }

        /** @param initialBackoff the first wait */
        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        /** @return the factor between waits, or {@code null} */
        public Double getMultiplier() {
            return multiplier;
        }

        /** @param multiplier the factor between waits */
        public void setMultiplier(Double multiplier) {
            this.multiplier = multiplier;
        }

        /** @return the random part of each wait, or {@code null} */
        public Double getJitter() {
            return jitter;
        }

        /** @param jitter the random part of each wait */
        public void setJitter(Double jitter) {
            this.jitter = jitter;
        }

        /** @return the longest wait, or {@code null} */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /** @param maxBackoff the longest wait */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }
    }

    /** {@code baton.jdbc.*}: where Baton's tables are and whether start-up creates them. */
    public static class Jdbc {
        /** Create and upgrade Baton's tables at start-up (BatonSchema.migrate, after the host's Flyway). */
        private boolean migrate = true;
        /**
         * Schema of Baton's tables, created when missing; unset: the connection's current schema. A schema of
         * Baton's own keeps its tables out of the host's Flyway schema.
         */
        private String schema;
        /** Prefix of Baton's table names; unset: none. */
        private String tablePrefix = "";
        /**
         * The most stage advances committed together in one statement (JdbcStageStore.Builder#groupCommit); 1
         * commits every advance alone.
         */
        private int groupCommitSize = JdbcStageStore.DEFAULT_GROUP_SIZE;
        /** How long a group of advances waits to fill before it commits; zero takes what is waiting. */
        private Duration groupCommitLinger = Duration.ZERO;

        /** @return whether start-up migrates */
        public boolean isMigrate() {
            return migrate;
        }

        /** @param migrate whether start-up migrates */
        public void setMigrate(boolean migrate) {
            this.migrate = migrate;
        }

        /** @return the schema, or {@code null} for the connection's */
        public String getSchema() {
            return schema;
        }

        /** @param schema the schema */
        public void setSchema(String schema) {
            this.schema = schema;
        }

        /** @return the table prefix, empty for none */
        public String getTablePrefix() {
            return tablePrefix;
        }

        /** @param tablePrefix the table prefix */
        public void setTablePrefix(String tablePrefix) {
            this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
        }

        /** @return the most advances committed together */
        public int getGroupCommitSize() {
            return groupCommitSize;
        }

        /** @param groupCommitSize the most advances committed together, 1 for none */
        public void setGroupCommitSize(int groupCommitSize) {
            this.groupCommitSize = groupCommitSize;
        }

        /** @return how long a group waits to fill */
        public Duration getGroupCommitLinger() {
            return groupCommitLinger;
        }

        /** @param groupCommitLinger how long a group waits to fill */
        public void setGroupCommitLinger(Duration groupCommitLinger) {
            this.groupCommitLinger = groupCommitLinger;
        }
    }

    /** {@code baton.in-process.*}: the in-process trigger's pool. */
    public static class InProcess {
        /** Threads that run stages. */
        private int threads = 4;
        /** How long shutdown waits for running stages before it interrupts them (their leases then expire). */
        private Duration shutdownWait = InProcessTrigger.DEFAULT_SHUTDOWN_WAIT;

        /** @return the threads */
        public int getThreads() {
            return threads;
        }

        /** @param threads the threads */
        public void setThreads(int threads) {
            this.threads = threads;
        }

        /** @return the wait for running stages at shutdown */
        public Duration getShutdownWait() {
            return shutdownWait;
        }

        /** @param shutdownWait the wait for running stages at shutdown */
        public void setShutdownWait(Duration shutdownWait) {
            this.shutdownWait = shutdownWait;
        }
    }

    /** {@code baton.queue.*}: the queue worker of {@code baton.trigger=queue}. */
    public static class Queue {
        /** Threads that run stages claimed from the queue. */
        private int threads = 4;
        /** Time between polls when no NOTIFY arrives. */
        private Duration pollInterval = Duration.ofSeconds(1);
        /** How long shutdown waits for running stages. */
        private Duration shutdownWait = Duration.ofSeconds(30);

        /** @return the threads */
        public int getThreads() {
            return threads;
        }

        /** @param threads the threads */
        public void setThreads(int threads) {
            this.threads = threads;
        }

        /** @return the poll interval */
        public Duration getPollInterval() {
            return pollInterval;
        }

        /** @param pollInterval the poll interval */
        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
        }

        /** @return the wait for running stages at shutdown */
        public Duration getShutdownWait() {
            return shutdownWait;
        }

        /** @param shutdownWait the wait for running stages at shutdown */
        public void setShutdownWait(Duration shutdownWait) {
            this.shutdownWait = shutdownWait;
        }
    }

    /** {@code baton.http.*}: the HTTP trigger, the signed stage route and the client routes. */
    public static class Http {
        /** Path prefix of the signed stage route; the stage name follows. */
        private String stagePath = "/api/batch-processing/";
        /** Where stage requests are sent; unset: this server's own scheme, address, actual port and context path. */
        private String baseUrl;
        /** HMAC secret of stage requests, at least 16 bytes; unset: the PIPELINE_SIGNING_SECRET variable. */
        private String signingSecret;
        /** Also mount POST /api/process-batch and GET /api/batches/{id}, behind the BatonClientAuthorizer bean. */
        private boolean clientRoutes;

        /** @return the stage path */
        public String getStagePath() {
            return stagePath;
        }

        /** @param stagePath the stage path */
        public void setStagePath(String stagePath) {
            this.stagePath = stagePath;
        }

        /** @return the base URL, or {@code null} for this server */
        public String getBaseUrl() {
            return baseUrl;
        }

        /** @param baseUrl the base URL */
        public void setBaseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
        }

        /** @return the signing secret, or {@code null} for the environment's */
        public String getSigningSecret() {
            return signingSecret;
        }

        /** @param signingSecret the signing secret */
        public void setSigningSecret(String signingSecret) {
            this.signingSecret = signingSecret;
        }

        /** @return whether the client routes are mounted */
        public boolean isClientRoutes() {
            return clientRoutes;
        }

        /** @param clientRoutes whether the client routes are mounted */
        public void setClientRoutes(boolean clientRoutes) {
            this.clientRoutes = clientRoutes;
        }
    }

    /** {@code baton.sweeper.*}: the stall sweeper that sets lost work going again. */
    public static class Sweeper {
        /** Run a sweeper in this process. At least one process must. */
        private boolean enabled = true;
        /** Time between sweeps; the health shows DOWN after three intervals without a completed sweep. */
        private Duration interval = StallSweeper.DEFAULT_INTERVAL;
        /** How long a due pending batch waits for its trigger before the sweeper fires it again. */
        private Duration pendingGrace = StallSweeper.DEFAULT_PENDING_GRACE;

        /** @return whether this process sweeps */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether this process sweeps */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the interval */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the interval */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return the pending grace */
        public Duration getPendingGrace() {
            return pendingGrace;
        }

        /** @param pendingGrace the pending grace */
        public void setPendingGrace(Duration pendingGrace) {
            this.pendingGrace = pendingGrace;
        }
    }

    /** {@code baton.dashboard.*}: the operator dashboard, mounted when pipeline-dashboard is on the class path. */
    public static class Dashboard {
        /** Mount the dashboard in a servlet web application (the starter brings pipeline-dashboard). */
        private boolean enabled = true;
        /** Where the dashboard is mounted: the page at {path}/, its API under {path}/api/. Not the root. */
        private String path = "/baton";
        /**
         * Bearer token, at least 16 characters, that grants retry, cancel and restart; unset: the
         * PIPELINE_ADMIN_TOKEN variable; neither: read-only. Ignored when the host defines an Authorizer bean.
         */
        private String adminToken;

        /** @return whether the dashboard is mounted */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the dashboard is mounted */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the dashboard's path */
        public String getPath() {
            return path;
        }

        /** @param path the dashboard's path */
        public void setPath(String path) {
            this.path = path;
        }

        /** @return the admin token, or {@code null} for the environment's */
        public String getAdminToken() {
            return adminToken;
        }

        /** @param adminToken the admin token */
        public void setAdminToken(String adminToken) {
            this.adminToken = adminToken;
        }
    }
}
