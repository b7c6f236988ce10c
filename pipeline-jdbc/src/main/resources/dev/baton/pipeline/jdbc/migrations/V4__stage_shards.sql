-- Baton 0.3: the shards of fanned-out stages. Runs as it is under Flyway or Liquibase, after V3; BatonSchema.migrate
-- applies it too. Upgrades a 0.1 or 0.2 database in place: one new table; the tables, columns, constraints and
-- indexes of V1 to V3 stay as they are.
-- A fanned-out stage has one row per shard. While the stage runs, its batch's queue row stays 'in_progress' at the
-- stage with lease_owner ':shards' and no lease; each shard row is claimed, heartbeated and committed like a batch's
-- (compare-and-set on version, lease_owner and 'in_progress'). A shard's output and partial output are stored in
-- batch_processing_data under the stage name '<stage>:shard:<k>' (no stage can have it). The commit of the last
-- shard joins those outputs into the stage's output, deletes them and advances the queue row, in one transaction.
-- Status: 'waiting' (the stage's parallelism is taken), 'pending' (scheduled, due at run_after), 'in_progress',
-- 'completed', 'failed' (exhausted its retries; the batch failed with it), 'cancelled' (another shard failed the
-- batch first). Shard k holds the items from_item (inclusive) to to_item (exclusive) of the stage's items.

CREATE TABLE batch_processing_shard (
  batch_id BIGINT NOT NULL,
  stage TEXT NOT NULL,
  shard INT NOT NULL,
  shards INT NOT NULL,
  status TEXT NOT NULL,
  attempt INT NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  run_after TIMESTAMPTZ NOT NULL DEFAULT now(),
  cursor JSONB,
  error_message TEXT,
  from_item INT NOT NULL,
  to_item INT NOT NULL,
  items INT NOT NULL,
  parallelism INT NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,

  CONSTRAINT batch_processing_shard_pkey PRIMARY KEY (batch_id, stage, shard),
  CONSTRAINT batch_processing_shard_status_check
    CHECK (status IN ('waiting', 'pending', 'in_progress', 'completed', 'failed', 'cancelled')),
  CONSTRAINT batch_processing_shard_attempt_check CHECK (attempt >= 1),
  CONSTRAINT batch_processing_shard_range_check
    CHECK (shard >= 0 AND shard < shards AND from_item >= 0 AND from_item <= to_item AND to_item <= items)
) WITH (
  -- every shard commit updates its row: leave room on the page for the new version of it
  fillfactor = 70
);

-- Due shards, oldest first: the queue workers' claims and the sweeper's overdue pending shards.
CREATE INDEX idx_batch_processing_shard_due ON batch_processing_shard(run_after) WHERE status = 'pending';
-- Running shards: the sweeper's expired leases and the per-stage caps of the queue workers.
CREATE INDEX idx_batch_processing_shard_running ON batch_processing_shard(stage) WHERE status = 'in_progress';
