-- Baton 0.2: a batch's input. Runs as it is under Flyway or Liquibase, after V1; BatonSchema.migrate applies it too.
-- Upgrades a 0.1 database in place: one column, NULL for every existing batch (they have no input); the names,
-- columns, constraints and indexes of V1 stay as they are.
-- The input's JSON text is a row set of batch_processing_data under the stage name ':input', chunked like an
-- output (no stage can have that name: stage names match [a-z][a-z0-9_-]{0,62}); input_digest is the hex SHA-256
-- of its UTF-8 text as written, so that a second start of the batch is compared without reading the input back.
-- No index: nothing looks a batch up by its input. Not indexed, the column keeps every update of a running batch HOT.

ALTER TABLE batch_processing_queue ADD COLUMN input_digest TEXT;
