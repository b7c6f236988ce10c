package dev.baton.pipeline;

/**
 * One step of a pipeline, implemented by the host.
 *
 * <p>A stage reads what earlier stages produced through {@link StageContext#output(String, Class)},
 * does its work within {@link StageContext#deadline()}, and returns a {@link StageResult}:
 * {@linkplain StageResult#done(Object) done} with its output, a
 * {@linkplain StageResult#progress(Object, Object) continuation} when it needs another invocation,
 * or a {@linkplain StageResult#fail(String) permanent failure}. Any exception it throws is a
 * transient failure and is retried according to the stage's {@link RetryPolicy}.
 *
 * <p>A stage may be executed more than once for the same batch (a retry, or a rescue after its
 * process died), but at most one execution commits. It must therefore not have side effects
 * outside its output that cannot be repeated; writes to the host's own tables belong in an
 * idempotent final stage (an upsert, for example).
 *
 * <p>Implementations are called from many threads at once, for different batches, and must be
 * thread-safe.
 */
@FunctionalInterface
public interface Stage {

    /**
     * Runs one invocation of this stage for {@link StageContext#batchId()}.
     *
     * @param context the batch, the attempt, the deadline and the earlier outputs
     * @return what happened; never {@code null}
     * @throws Exception a transient failure: the stage is retried until its policy is exhausted
     */
    StageResult execute(StageContext context) throws Exception;
}
