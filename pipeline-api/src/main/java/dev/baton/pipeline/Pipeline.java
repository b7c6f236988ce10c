package dev.baton.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * An ordered registry of named stages and their policies. Built once with {@link #builder()},
 * immutable and thread-safe afterwards.
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.builder()
 *     .stage("setup", new SetupStage())
 *     .stage("annotation", new AnnotationStage(), s -> s.retry(RetryPolicy.exponential(5, Duration.ofSeconds(2))))
 *     .budget(Duration.ofSeconds(50))
 *     .build();
 * }</pre>
 */
public final class Pipeline {

    /** Name of the pseudo-stage a batch reaches when every stage has succeeded. */
    public static final String COMPLETED = "completed";
    /** Default time budget of one invocation: under Vercel's 60 s with room to commit. */
    public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(50);
    /** Default lease of a claimed stage; renewed by heartbeats while the stage runs. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    private static final Pattern STAGE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");

    private final List<StageSpec> stages;
    private final Map<String, Integer> index;
    private final Duration lease;

    private Pipeline(List<StageSpec> stages, Duration lease) {
        this.stages = List.copyOf(stages);
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            byName.put(stages.get(i).name(), i);
        }
        this.index = Map.copyOf(byName);
        this.lease = lease;
    }

    /** @return a builder for a new pipeline */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the stages in execution order */
    public List<StageSpec> stages() {
        return stages;
    }

    /** @return the stage names in execution order */
    public List<String> stageNames() {
        return stages.stream().map(StageSpec::name).toList();
    }

    /** @return the first stage */
    public StageSpec first() {
        return stages.get(0);
    }

    /** @return how long a claim is held before it is renewed or considered lost */
    public Duration lease() {
        return lease;
    }

    /**
     * @param name a stage name
     * @return {@code true} if the pipeline has a stage of that name
     */
    public boolean contains(String name) {
        return name != null && index.containsKey(name);
    }

    /**
     * @param name a stage name
     * @return the stage of that name
     * @throws UnknownStageException if there is none
     */
    public StageSpec stage(String name) {
        Integer i = name == null ? null : index.get(name);
        if (i == null) {
            throw new UnknownStageException(name, "unknown stage '" + name + "'; this pipeline has " + stageNames());
        }
        return stages.get(i);
    }

    /**
     * @param name a stage name
     * @return the position of the stage, from 0
     * @throws UnknownStageException if there is none
     */
    public int indexOf(String name) {
        stage(name);
        return index.get(name);
    }

    /**
     * @param name a stage name
     * @return the next stage's name, or {@link #COMPLETED} after the last one
     * @throws UnknownStageException if there is no stage of that name
     */
    public String next(String name) {
        int i = indexOf(name);
        return i + 1 < stages.size() ? stages.get(i + 1).name() : COMPLETED;
    }

    /**
     * One registered stage and its policies.
     *
     * @param name the stage name, as stored in {@code current_stage}
     * @param stage the host's implementation
     * @param retry how failures are retried
     * @param budget the time budget of one invocation
     */
    public record StageSpec(String name, Stage stage, RetryPolicy retry, Duration budget) {
        /** @return the stage as a {@link FanOut} that splits into shards, or null when it is an ordinary stage */
        public FanOut<?> fanOut() {
            return stage instanceof FanOut<?> f && f.fansOut() ? f : null;
        }
    }

    /** @return whether any stage is a {@link FanOut} that splits into shards */
    public boolean fansOut() {
        return stages.stream().anyMatch(s -> s.fanOut() != null);
    }

    /** Per-stage settings; values not set fall back to the pipeline's defaults. Not thread-safe. */
    public static final class StageSettings {
        private RetryPolicy retry;
        private Duration budget;

        private StageSettings() {}

        /**
         * @param retry the retry policy of this stage
         * @return this
         */
        public StageSettings retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * @param budget the time budget of one invocation of this stage, positive
         * @return this
         * @throws IllegalArgumentException if not positive
         */
        public StageSettings budget(Duration budget) {
            this.budget = positive("budget", budget);
            return this;
        }
    }

    /** Builds a {@link Pipeline}; every setter validates its value. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Stage> stages = new LinkedHashMap<>();
        private final Map<String, StageSettings> settings = new LinkedHashMap<>();
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration budget = DEFAULT_BUDGET;
        private Duration lease = DEFAULT_LEASE;

        private Builder() {}

        /**
         * Adds a stage after those already added.
         *
         * @param name lower-case letters, digits, {@code _} or {@code -}, starting with a letter, at most 63
         * @param stage the implementation
         * @return this
         * @throws IllegalArgumentException on a bad or duplicate name
         */
        public Builder stage(String name, Stage stage) {
            return stage(name, stage, s -> {});
        }

        /**
         * Adds a stage with its own settings.
         *
         * @param name lower-case letters, digits, {@code _} or {@code -}, starting with a letter, at most 63
         * @param stage the implementation
         * @param customizer sets this stage's retry policy or budget
         * @return this
         * @throws IllegalArgumentException on a bad or duplicate name
         */
        public Builder stage(String name, Stage stage, Consumer<StageSettings> customizer) {
            if (name == null || !STAGE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("stage name '" + name
                        + "' is not allowed: use lower-case letters, digits, '_' or '-', starting with a "
                        + "letter, at most 63 characters");
            }
            if (COMPLETED.equals(name)) {
                throw new IllegalArgumentException(
                        "stage name 'completed' is reserved for the end of the pipeline; choose another");
            }
            if (stages.containsKey(name)) {
                throw new IllegalArgumentException(
                        "stage '" + name + "' is registered twice; stage names must be unique");
            }
            StageSettings s = new StageSettings();
            customizer.accept(s);
            stages.put(name, Objects.requireNonNull(stage, "stage"));
            settings.put(name, s);
            return this;
        }

        /**
         * @param retry the retry policy of stages that set none
         * @return this
         */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * @param budget the time budget of one invocation for stages that set none; positive
         * @return this
         * @throws IllegalArgumentException if not positive
         */
        public Builder budget(Duration budget) {
            this.budget = positive("budget", budget);
            return this;
        }

        /**
         * @param lease how long a claim holds without a heartbeat; at least 100 ms
         * @return this
         * @throws IllegalArgumentException if shorter than 100 ms
         */
        public Builder lease(Duration lease) {
            positive("lease", lease);
            if (lease.toMillis() < 100) {
                throw new IllegalArgumentException(
                        "lease must be at least 100ms (heartbeats renew it every third), got " + lease);
            }
            this.lease = lease;
            return this;
        }

        /**
         * @return the pipeline
         * @throws IllegalStateException when no stage was added
         */
        public Pipeline build() {
            if (stages.isEmpty()) {
                throw new IllegalStateException(
                        "a pipeline needs at least one stage: call stage(name, stage) before build()");
            }
            List<StageSpec> specs = new ArrayList<>();
            stages.forEach((name, stage) -> {
                StageSettings s = settings.get(name);
                specs.add(new StageSpec(
                        name, stage, s.retry != null ? s.retry : retry, s.budget != null ? s.budget : budget));
            });
            return new Pipeline(specs, lease);
        }
    }

    private static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(setting + " must be positive, got " + value);
        }
        return value;
    }
}
