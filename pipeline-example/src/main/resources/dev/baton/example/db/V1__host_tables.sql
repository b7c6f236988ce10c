-- The host application's own tables: batches of screenshots, the stored image files, and the
-- results the pipeline writes at the end. Baton's two tables live beside them.

CREATE TABLE IF NOT EXISTS batch (
  batch_id BIGINT PRIMARY KEY,
  status TEXT NOT NULL DEFAULT 'pending',
  error_message TEXT,
  screenshot_count INT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ,

  CONSTRAINT batch_status_known CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  CONSTRAINT batch_id_positive CHECK (batch_id > 0)
);

CREATE TABLE IF NOT EXISTS stored_object (
  object_key TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  content BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS screenshot (
  screenshot_id BIGSERIAL PRIMARY KEY,
  batch_id BIGINT NOT NULL REFERENCES batch(batch_id),
  position INT NOT NULL,
  object_key TEXT NOT NULL REFERENCES stored_object(object_key),
  width INT NOT NULL,
  height INT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),

  CONSTRAINT unique_screenshot_position UNIQUE (batch_id, position)
);

CREATE TABLE IF NOT EXISTS screenshot_analysis (
  screenshot_id BIGINT PRIMARY KEY REFERENCES screenshot(screenshot_id),
  batch_id BIGINT NOT NULL REFERENCES batch(batch_id),
  model TEXT NOT NULL,
  components JSONB NOT NULL,
  elements JSONB NOT NULL,
  anchors JSONB NOT NULL,
  detections JSONB NOT NULL,
  precision DOUBLE PRECISION NOT NULL,
  recall DOUBLE PRECISION NOT NULL,
  f1 DOUBLE PRECISION NOT NULL,
  mean_iou DOUBLE PRECISION NOT NULL,
  width INT NOT NULL,
  height INT NOT NULL,
  sha256 TEXT NOT NULL,
  dominant_colours JSONB NOT NULL,
  mean_luminance DOUBLE PRECISION NOT NULL,
  analysed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_screenshot_analysis_batch_id ON screenshot_analysis(batch_id);

CREATE TABLE IF NOT EXISTS batch_result (
  batch_id BIGINT PRIMARY KEY REFERENCES batch(batch_id),
  screenshots INT NOT NULL,
  components INT NOT NULL,
  detections INT NOT NULL,
  precision DOUBLE PRECISION NOT NULL,
  recall DOUBLE PRECISION NOT NULL,
  f1 DOUBLE PRECISION NOT NULL,
  mean_iou DOUBLE PRECISION NOT NULL,
  per_kind JSONB NOT NULL,
  persisted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
