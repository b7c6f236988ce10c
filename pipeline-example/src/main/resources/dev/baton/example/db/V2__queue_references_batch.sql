-- batch_processing_queue.batch_id REFERENCES batch(batch_id). Baton cannot own the host's table,
-- so the host adds the foreign key once both exist (Baton's migration runs first).

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conname = 'fk_batch_processing_queue_batch'
      AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
  ) THEN
    ALTER TABLE batch_processing_queue
      ADD CONSTRAINT fk_batch_processing_queue_batch FOREIGN KEY (batch_id) REFERENCES batch(batch_id);
  END IF;
END
$$;
