package dev.baton.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * What a {@link Stage} invocation knows about itself. Valid only during the invocation; not
 * thread-safe to share outside the stage, except {@link #remaining()} and {@link #deadline()},
 * which any thread the stage starts may read.
 */
public interface StageContext {

    /** @return the batch this invocation works on */
    long batchId();

    /** @return the name of the stage being executed */
    String stage();

    /** @return the try of this stage, starting at 1; a retry or a rescue adds one */
    int attempt();

    /**
     * @return the instant by which this invocation must return; work after it risks being killed by
     *     the platform (the 60 s of a serverless function, say)
     */
    Instant deadline();

    /** @return the time left until {@link #deadline()}, never negative */
    Duration remaining();

    /**
     * Reads the output of an earlier stage of this batch.
     *
     * @param stage the earlier stage's name
     * @param type the type to read it as (Jackson)
     * @param <T> the output type
     * @return the output; null when the stage returned null (stored as JSON {@code null})
     * @throws UnknownStageException if no stage of that name comes before this one
     * @throws StageValueException if the stored output cannot be read as {@code type}
     */
    <T> T output(String stage, Class<T> type);

    /**
     * Reads the input the batch was started with ({@link BatchClient#start(long, Object)}), streamed
     * from the store like an output.
     *
     * @param type the type to read it as (Jackson)
     * @param <T> the input type
     * @return the input; empty when the batch was started without one, or with JSON {@code null}
     * @throws StageValueException if the stored input cannot be read as {@code type}
     */
    <T> Optional<T> input(Class<T> type);

    /**
     * The cursor of the previous invocation when this one continues a sliced stage.
     *
     * @param type the type to read it as
     * @param <T> the cursor type
     * @return the cursor, or empty on the first invocation of the stage
     */
    <T> Optional<T> cursor(Class<T> type);

    /**
     * The partial output committed by the previous invocation of a sliced stage.
     *
     * @param type the type to read it as
     * @param <T> the output type
     * @return the partial output, or empty on the first invocation of the stage
     */
    <T> Optional<T> partialOutput(Class<T> type);

    /**
     * @return the logger {@code baton.stage.<stage name>}; on the thread that runs the stage its lines carry the
     *     MDC keys {@code batchId}, {@code stage} and {@code attempt} (threads the stage starts itself do not)
     */
    Logger log();
}
