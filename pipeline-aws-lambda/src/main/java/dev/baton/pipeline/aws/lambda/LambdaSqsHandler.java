package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageOutcome;
import dev.baton.pipeline.UnknownStageException;
import dev.baton.pipeline.aws.sqs.StageMessage;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.ShardRecord;
import dev.baton.pipeline.spi.StageStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link StageMessage}s of an SQS event (an event source mapping with
 * {@code ReportBatchItemFailures}), one after the other (a message with a shard runs that shard of a fanned-out
 * stage, {@link PipelineRunner#runShard(long, String, int, Instant)}), each stage's deadline being the invocation's
 * remaining time less the margin, and answers which messages failed, so that only those are delivered again.
 *
 * <ul>
 *   <li>A duplicate or redelivered message finds the batch no longer at that stage, or not due, and changes
 *       nothing ({@code NOT_CLAIMED}); it is consumed.</li>
 *   <li>A message this handler cannot run for lack of time (less than the margin left) is reported failed, so
 *       SQS delivers it again.</li>
 *   <li>A message whose run throws (the store is unreachable, say) is reported failed and comes back after the
 *       queue's visibility timeout, until it has been received {@code maxReceives} times.</li>
 *   <li>A poison message ends its batch: one naming a stage the pipeline does not have, or one received
 *       {@code maxReceives} times, fails its batch at the stage the batch is at (a shard message fails its shard,
 *       which fails the batch, when the shard is pending), with the reason as the batch's error, tells the
 *       {@linkplain Builder#listener listener} ({@code batchFailed}), and is consumed, never redelivered for
 *       ever. A body that names no batch is logged and consumed.</li>
 * </ul>
 * Before answering it waits, bounded by the time left, for the hand-off of the triggers it fired. Thread-safe.
 */
public final class LambdaSqsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LambdaSqsHandler.class);
    /** Default receives of one message before its batch is failed: 5. */
    public static final int DEFAULT_MAX_RECEIVES = 5;

    private final PipelineRunner runner;
    private final StageStore store;
    private final HandOff handOff;
    private final Duration margin;
    private final Duration handOffWait;
    private final int maxReceives;
    private final Clock clock;
    private final PipelineListener listener;

    private LambdaSqsHandler(Builder b) {
        this.runner = b.runner;
        this.store = b.store;
        this.handOff = b.handOff;
        this.margin = b.margin;
        this.handOffWait = b.handOffWait;
        this.maxReceives = b.maxReceives;
        this.clock = b.clock;
        this.listener = b.listener;
    }

    /**
     * @param runner the environment's runner
     * @param store its store, with which a poison message fails its batch
     * @return a builder
     */
    public static Builder builder(PipelineRunner runner, StageStore store) {
        return new Builder(runner, store);
    }

    /**
     * @param event the messages
     * @param context the invocation
     * @return the ids of the messages to deliver again
     */
    public SQSBatchResponse handle(SQSEvent event, Context context) {
        InvocationBudget budget = InvocationBudget.of(context, margin, clock);
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<SQSEvent.SQSMessage> messages = event.getRecords() == null ? List.of() : event.getRecords();
        for (SQSEvent.SQSMessage m : messages) {
            if (!clock.instant().isBefore(budget.stageDeadline())) {
                failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
                continue;
            }
            if (!run(m, budget.stageDeadline())) {
                failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
            }
        }
        LambdaHttpHandler.awaitHandOff(handOff, budget, handOffWait, "SQS batch");
        return new SQSBatchResponse(failures);
    }

    /** @return {@code false} to have the message delivered again */
    private boolean run(SQSEvent.SQSMessage m, Instant deadline) {
        Optional<StageMessage> parsed = StageMessage.parse(m.getBody());
        if (parsed.isEmpty()) {
            LOG.error(
                    "SQS message {} is not a stage message {{\"batchId\":N,\"stage\":\"name\"}}; dropped: {}",
                    m.getMessageId(),
                    m.getBody());
            return true;
        }
        StageMessage sm = parsed.get();
        if (!runner.pipeline().contains(sm.stage())) {
            poisonBatch(
                    sm,
                    "an SQS message asked for stage '" + sm.stage() + "', which this pipeline does not have "
                            + runner.pipeline().stageNames() + "; check the producers of queue messages");
            return true;
        }
        try {
            StageOutcome outcome = sm.hasShard()
                    ? runner.runShard(sm.batchId(), sm.stage(), sm.shard(), deadline)
                    : runner.runStage(sm.batchId(), sm.stage(), deadline);
            LOG.debug("{}: {}", sm.describe(), outcome.kind());
            return true;
        } catch (UnknownStageException e) {
            poisonBatch(sm, e.getMessage());
            return true;
        } catch (RuntimeException e) {
            int receives = receives(m);
            if (receives >= maxReceives) {
                poison(sm, sm.describe() + " could not be run from SQS after " + receives + " receives: " + e);
                return true;
            }
            LOG.warn(
                    "{}: running the SQS message failed on receive {} of {}; SQS delivers it again",
                    sm.describe(),
                    receives,
                    maxReceives,
                    e);
            return false;
        }
    }

    /** Fails what the message runs: its shard (which fails the batch) when it names one, else its batch. */
    private void poison(StageMessage sm, String reason) {
        if (sm.hasShard()) {
            poisonShard(sm, reason);
        } else {
            poisonBatch(sm, reason);
        }
    }

    /**
     * Fails the message's shard, and so its batch, with {@code reason}, if the shard is pending and due; a shard
     * that is running is left to its run and to the sweeper.
     */
    private void poisonShard(StageMessage sm, String reason) {
        try {
            Optional<ShardRecord> claim = store.claimShard(
                    sm.batchId(),
                    sm.stage(),
                    sm.shard(),
                    runner.owner(),
                    runner.pipeline().lease());
            if (claim.isPresent() && store.failShard(claim.get(), reason)) {
                LOG.error("{}: failed, and its batch with it, by a poison SQS message: {}", sm.describe(), reason);
                notifyFailed(sm.batchId(), sm.stage(), reason);
            } else {
                LOG.error(
                        "{}: poison SQS message ({}), but the shard is running, finished or not due; left to its run"
                                + " and the sweeper",
                        sm.describe(),
                        reason);
            }
        } catch (RuntimeException e) {
            LOG.error("{}: poison SQS message ({}); failing the shard failed too", sm.describe(), reason, e);
        }
    }

    /** Fails the message's batch at the stage it is at, if it is not finished; logs what it did. */
    private void poisonBatch(StageMessage sm, String reason) {
        try {
            Optional<BatchRecord> row = store.find(sm.batchId());
            if (row.isEmpty() || row.get().state().isFinal()) {
                LOG.error(
                        "batch {}: poison SQS message ({}); the batch is {}: nothing to fail",
                        sm.batchId(),
                        reason,
                        row.map(r -> r.state().toString()).orElse("not found"));
                return;
            }
            String stage = row.get().stage();
            Optional<BatchRecord> claim = store.claim(
                    sm.batchId(), stage, runner.owner(), runner.pipeline().lease());
            if (claim.isPresent() && store.fail(claim.get(), reason, claim.get().statsOf(stage))) {
                LOG.error("batch {} stage {}: failed by a poison SQS message: {}", sm.batchId(), stage, reason);
                notifyFailed(sm.batchId(), stage, reason);
            } else {
                LOG.error(
                        "batch {} stage {}: poison SQS message ({}), but the batch is running or not due; left to its"
                                + " run and the sweeper",
                        sm.batchId(),
                        stage,
                        reason);
            }
        } catch (RuntimeException e) {
            LOG.error("batch {}: poison SQS message ({}); failing the batch failed too", sm.batchId(), reason, e);
        }
    }

    private void notifyFailed(long batchId, String stage, String reason) {
        try {
            listener.batchFailed(batchId, stage, reason);
        } catch (RuntimeException e) {
            LOG.warn("batch {} stage {}: the listener's batchFailed threw; ignored", batchId, stage, e);
        }
    }

    private static int receives(SQSEvent.SQSMessage m) {
        String n = m.getAttributes() == null ? null : m.getAttributes().get("ApproximateReceiveCount");
        try {
            return n == null ? 1 : Integer.parseInt(n);
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Builds a {@link LambdaSqsHandler}; every setter checks its value. Not thread-safe. */
    public static final class Builder {
        private final PipelineRunner runner;
        private final StageStore store;
        private HandOff handOff = HandOff.NONE;
        private Duration margin = LambdaHttpHandler.DEFAULT_MARGIN;
        private Duration handOffWait = LambdaHttpHandler.DEFAULT_HAND_OFF_WAIT;
        private int maxReceives = DEFAULT_MAX_RECEIVES;
        private Clock clock = Clock.systemUTC();
        private PipelineListener listener = new PipelineListener() {};

        private Builder(PipelineRunner runner, StageStore store) {
            this.runner = Objects.requireNonNull(runner, "runner");
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * @param handOff waits until the triggers fired have left, e.g. {@code sqsTrigger::awaitIdle}
         * @return this
         */
        public Builder handOff(HandOff handOff) {
            this.handOff = Objects.requireNonNull(handOff, "handOff");
            return this;
        }

        /**
         * @param margin kept back from the invocation's deadline, 0 to 10 min; default 3 s
         * @return this
         */
        public Builder margin(Duration margin) {
            this.margin = LambdaHttpHandler.Builder.range("margin", margin);
            return this;
        }

        /**
         * @param handOffWait the longest wait for the hand-off before answering, 0 to 10 min; default 2.5 s
         * @return this
         */
        public Builder handOffWait(Duration handOffWait) {
            this.handOffWait = LambdaHttpHandler.Builder.range("handOffWait", handOffWait);
            return this;
        }

        /**
         * @param maxReceives receives of a message whose run throws before its batch is failed, 1 to 1000;
         *     default 5; keep it below the queue's redrive {@code maxReceiveCount}
         * @return this
         */
        public Builder maxReceives(int maxReceives) {
            if (maxReceives < 1 || maxReceives > 1000) {
                throw new IllegalArgumentException("maxReceives must be 1..1000, got " + maxReceives);
            }
            this.maxReceives = maxReceives;
            return this;
        }

        /**
         * @param clock the clock of the deadline; default system UTC
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param listener hears {@link PipelineListener#batchFailed} when a poison message fails its batch
         *     (the runner has no public path that fails a batch, so give it the listener the runner was built
         *     with); default none
         * @return this
         */
        public Builder listener(PipelineListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** @return the handler */
        public LambdaSqsHandler build() {
            return new LambdaSqsHandler(this);
        }
    }
}
