/**
 * Baton on PostgreSQL. {@link dev.baton.pipeline.jdbc.BatonSchema} creates the two tables
 * ({@code batch_processing_queue}, {@code batch_processing_data}) from versioned SQL files that Flyway or
 * Liquibase can also run; {@link dev.baton.pipeline.jdbc.JdbcStageStore} is the
 * {@link dev.baton.pipeline.StageStore} over them; {@link dev.baton.pipeline.jdbc.QueueTrigger} and
 * {@link dev.baton.pipeline.jdbc.QueueWorker} run stages from the queue table in any number of processes.
 *
 * <pre>{@code
 * BatonSchema.migrate(dataSource);                                // idempotent, safe from many processes
 * StageStore store = JdbcStageStore.builder(dataSource).build();  // search_path, no prefix, 512 Ki chunks
 * PipelineRunner runner = PipelineRunner.builder(pipeline, store).trigger(trigger).build();
 * }</pre>
 *
 * Everything else in the package is internal.
 */
package dev.baton.pipeline.jdbc;
