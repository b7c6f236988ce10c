-- Baton 0.2: a batch's input. Runs as it is under Flyway or Liquibase, after V1; BatonSchema.migrate applies it too.
-- Upgrades a 0.1 database in place: one nullable column, NULL for every existing batch (those have no input); the
-- names, columns, constraints and indexes of V1 stay as they are. Adding a nullable column without a default
-- rewrites nothing, however many rows the table has.
-- The input's JSON text is kept in batch_processing_data under the stage name ':input', chunked like an output
-- (no stage can have that name: stage names match [a-z][a-z0-9_-]{0,62}). input_digest is the hex SHA-256 of the
-- input's text as written (UTF-8), NULL when the batch has no input: a second start of the batch compares it
-- without reading the input back. No index names it, so it changes nothing about which updates are HOT.

ALTER TABLE batch_processing_queue ADD COLUMN input_digest TEXT;
