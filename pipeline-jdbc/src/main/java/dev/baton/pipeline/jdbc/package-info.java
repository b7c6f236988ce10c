/**
 * Baton on PostgreSQL. {@link dev.baton.pipeline.jdbc.BatonSchema} creates and upgrades the two tables
 * ({@code batch_processing_queue}, {@code batch_processing_data}) from versioned SQL files that Flyway or
 * Liquibase can also run; {@link dev.baton.pipeline.jdbc.JdbcStageStore} is the
 * {@link dev.baton.pipeline.spi.StageStore} over them; {@link dev.baton.pipeline.jdbc.QueueTrigger} and
 * {@link dev.baton.pipeline.jdbc.QueueWorker} run stages from the queue table in any number of processes.
 * Each is made by its builder; {@code build()} starts nothing, and the worker, the only one with threads,
 * starts them with {@code start()} and stops them with {@code close()}. A failure of the database reaches
 * the caller as a {@link dev.baton.pipeline.spi.StoreException} naming what was being done.
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
