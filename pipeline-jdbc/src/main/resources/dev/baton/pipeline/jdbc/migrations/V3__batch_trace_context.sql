-- Baton 0.3: a batch's trace context. Runs as it is under Flyway or Liquibase, after V2; BatonSchema.migrate applies
-- it too. Upgrades a 0.1 or 0.2 database in place: one nullable column, NULL for every existing batch (those were
-- started untraced); the names, columns, constraints and indexes of V1 and V2 stay as they are. Adding a nullable
-- column without a default rewrites nothing, however many rows the table has.
-- trace_context is the W3C traceparent chosen when the batch was started (the caller's trace, or a new one), written
-- once by the start and never changed: every invocation of the batch, whoever triggered it, continues that trace.
-- No index names it, so it changes nothing about which updates are HOT.

ALTER TABLE batch_processing_queue ADD COLUMN trace_context TEXT;
