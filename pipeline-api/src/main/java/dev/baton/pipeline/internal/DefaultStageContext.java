package dev.baton.pipeline.internal;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageValueException;
import dev.baton.pipeline.UnknownStageException;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The context of one claimed invocation. */
public final class DefaultStageContext implements StageContext {
    private final Pipeline pipeline;
    private final StageStore store;
    private final Json json;
    private final BatchRecord claim;
    private final Instant deadline;
    private final Clock clock;
    private final Logger log;
    private final String outputKey;

    public DefaultStageContext(
            Pipeline pipeline, StageStore store, Json json, BatchRecord claim, Instant deadline, Clock clock) {
        this(pipeline, store, json, claim, deadline, clock, claim.stage());
    }

    /**
     * @param outputKey the stage name under which the invocation's partial output is stored: the stage's, or a
     *     shard's data key
     */
    public DefaultStageContext(
            Pipeline pipeline,
            StageStore store,
            Json json,
            BatchRecord claim,
            Instant deadline,
            Clock clock,
            String outputKey) {
        this.outputKey = outputKey;
        this.pipeline = pipeline;
        this.store = store;
        this.json = json;
        this.claim = claim;
        this.deadline = deadline;
        this.clock = clock;
        this.log = LoggerFactory.getLogger("baton.stage." + claim.stage());
    }

    @Override
    public long batchId() {
        return claim.batchId();
    }

    @Override
    public String stage() {
        return claim.stage();
    }

    @Override
    public int attempt() {
        return claim.attempt();
    }

    @Override
    public Instant deadline() {
        return deadline;
    }

    @Override
    public Duration remaining() {
        Duration left = Duration.between(clock.instant(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    @Override
    public <T> T output(String stage, Class<T> type) {
        if (!pipeline.contains(stage) || pipeline.indexOf(stage) >= pipeline.indexOf(claim.stage())) {
            throw new UnknownStageException(
                    stage,
                    "batch " + batchId() + " stage " + claim.stage()
                            + ": output('" + stage + "') names no earlier stage; earlier stages are "
                            + pipeline.stageNames().subList(0, pipeline.indexOf(claim.stage())));
        }
        return json.readOutput(store, type, batchId(), stage, "output")
                .orElseThrow(() -> new StageValueException("batch " + batchId() + ": stage " + stage
                        + " has no stored output although the batch is past it;" + " restart the batch from '" + stage
                        + "'"))
                .orElse(null);
    }

    @Override
    public <T> Optional<T> input(Class<T> type) {
        if (!claim.hasInput()) {
            return Optional.empty();
        }
        return json.readInput(store, type, batchId(), stage())
                .orElseThrow(() -> new StageValueException("batch " + batchId() + " stage " + stage()
                        + ": the batch was started with an input but it is not stored;"
                        + " start the work again under a new batch id"));
    }

    @Override
    public <T> Optional<T> cursor(Class<T> type) {
        return Optional.ofNullable(claim.cursor()).map(c -> json.read(c, type, batchId(), stage(), "cursor"));
    }

    @Override
    public <T> Optional<T> partialOutput(Class<T> type) {
        if (claim.cursor() == null) {
            return Optional.empty();
        }
        return json.readOutput(store, type, batchId(), outputKey, "partial output")
                .flatMap(value -> value);
    }

    @Override
    public Logger log() {
        return log;
    }
}
