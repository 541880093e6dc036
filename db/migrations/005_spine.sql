-- Instance leases (issue 7): every running Glassbox process holds a row it renews; a run records
-- which instance runs it, so when an instance's lease expires (kill -9, a lost machine) another
-- one can mark its runs interrupted and store their terminal event.
CREATE TABLE instances (
  id           uuid PRIMARY KEY,
  pid          integer NOT NULL,
  host         text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  lease_until  timestamptz NOT NULL
);
ALTER TABLE runs ADD COLUMN instance_id uuid;
