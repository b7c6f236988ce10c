ALTER TABLE host_orders ADD COLUMN note TEXT;
