-- Baton: the queue of batches and the outputs of their stages.
-- Runs as it is under Flyway or Liquibase; BatonSchema.migrate(DataSource) applies the same file.
-- The table, column, constraint and index names are an interface (hosts query these tables), kept by later
-- migrations. The queue's columns up to updated_at say where a batch is; the ones after it hold its claim,
-- retries, continuation and timings. batch_id has no REFERENCES batch(batch_id): that table is the host's,
-- so a host that wants the foreign key adds it in its own migration.

CREATE TABLE batch_processing_queue (
  id BIGSERIAL PRIMARY KEY,
  batch_id BIGINT NOT NULL,
  current_stage TEXT NOT NULL,
  status TEXT NOT NULL,
  error_message TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  attempt INT NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  run_after TIMESTAMPTZ NOT NULL DEFAULT now(),
  cursor JSONB,
  stage_stats JSONB NOT NULL DEFAULT '{}'::jsonb,

  CONSTRAINT unique_batch_id UNIQUE (batch_id),
  CONSTRAINT batch_processing_queue_status_check
    CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
  CONSTRAINT batch_processing_queue_attempt_check CHECK (attempt >= 1)
) WITH (
  -- every transition updates the row: leave room on the page for the new version of it
  fillfactor = 70,
  -- vacuum the churn early instead of at 20 % dead rows, and without throttling
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_cost_delay = 0
);

CREATE INDEX idx_batch_processing_queue_batch_id ON batch_processing_queue(batch_id);
-- Indexes on a hot row cost a new entry each whenever an indexed column changes (no HOT update), and
-- a partial index's WHERE columns count as indexed. So the indexes below name only status (in their
-- WHERE), run_after and id: a worker that finishes a stage and claims the next (current_stage, version,
-- lease, stats change; status stays in_progress), a heartbeat (lease_until) and the sweeper's touch of a
-- pending row (version, updated_at) are all HOT updates that write no index entry.
-- Due work, oldest first: the queue workers' claims and the sweeper's overdue pending rows.
CREATE INDEX idx_batch_processing_queue_due ON batch_processing_queue(run_after, id) WHERE status = 'pending';
-- Running work (few rows): the sweeper's expired leases and the per-stage caps of the queue workers.
CREATE INDEX idx_batch_processing_queue_running ON batch_processing_queue(id) WHERE status = 'in_progress';

CREATE TABLE batch_processing_data (
  id BIGSERIAL PRIMARY KEY,
  batch_id BIGINT NOT NULL,
  stage TEXT NOT NULL,
  data JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  chunk INT NOT NULL DEFAULT 0,
  chunks INT NOT NULL DEFAULT 1,

  CONSTRAINT unique_batch_stage UNIQUE (batch_id, stage, chunk),
  CONSTRAINT batch_processing_data_chunk_check CHECK (chunk >= 0 AND chunk < chunks)
);

CREATE INDEX idx_batch_processing_data_batch_id ON batch_processing_data(batch_id);
CREATE INDEX idx_batch_processing_data_stage ON batch_processing_data(stage);
