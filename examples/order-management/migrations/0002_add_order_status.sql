-- migrate:up
-- A later maintenance release tracks each order's lifecycle. Existing rows
-- get status 'pending'.
ALTER TABLE orders
  ADD COLUMN status varchar(20) NOT NULL DEFAULT 'pending',
  ADD COLUMN shipped_at timestamptz;

-- migrate:down
ALTER TABLE orders
  DROP COLUMN shipped_at,
  DROP COLUMN status;
