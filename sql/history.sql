--
-- history: the table schemata.migrations, what a row holds, batches per
-- target schema, and pg_dump's view of it.
--

SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
  FROM pg_attribute a
 WHERE a.attrelid = 'schemata.migrations'::regclass AND a.attnum > 0
 ORDER BY a.attnum;
SELECT pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'schemata.migrations'::regclass AND contype = 'p';
-- pg_dump keeps its rows (see test/shell for a dump and restore)
SELECT extconfig = ARRAY['schemata.migrations'::regclass::oid] AS config_dumped
  FROM pg_extension WHERE extname = 'schemata';

-- One batch per call that applied anything, numbered per target schema.
SELECT version FROM schemata.apply(fixture('basic'), 'hist_a', to_version => '0001');
SELECT version FROM schemata.apply(fixture('basic'), 'hist_b', to_version => '0002');
SELECT version FROM schemata.apply(fixture('basic'), 'hist_a', to_version => '0003');
SELECT * FROM schemata.apply(fixture('basic'), 'hist_a', to_version => '0003');
SELECT version FROM schemata.apply(fixture('basic'), 'hist_a');
SELECT target_schema, version, name, batch FROM schemata.migrations
 ORDER BY target_schema, batch, version;

-- A row: the checksum is the SHA-256 hex of the up script's tokens, the down
-- script is kept as it was, applied_by is the caller.
SELECT m.version, length(m.checksum) AS checksum_length, m.checksum = p.checksum AS checksum_matches_plan,
       m.down_sql, m.applied_by = current_user AS applied_by_me
  FROM schemata.migrations m
  JOIN schemata.plan(fixture('basic'), 'hist_c') p USING (version)
 WHERE m.target_schema = 'hist_b'
 ORDER BY m.version;

-- applied_at is the start of the caller's transaction
BEGIN;
SELECT count(*) FROM schemata.apply(fixture('basic'), 'hist_c', to_version => '0001');
SELECT applied_at = now() AS applied_at_transaction_start
  FROM schemata.migrations WHERE target_schema = 'hist_c';
COMMIT;

-- duration_ms is the time the migration's statements took, in
-- milliseconds: the migration of "timed" sleeps 10 ms (pg_sleep sleeps at
-- least that long).  apply() returns what it records.
SELECT duration_ms >= 10 AS slept_10_ms
  FROM schemata.apply(fixture('timed'), 'hist_timed');
SELECT s.duration_ms >= 10 AS recorded_10_ms, s.duration_ms = m.duration_ms AS status_shows_it
  FROM schemata.status(target_schema => 'hist_timed') s
  JOIN schemata.migrations m ON m.target_schema = 'hist_timed' AND m.version = s.version;

-- No migration may change the history while it runs, directly or through
-- baseline() and its kin: the error names the migration, and nothing of the
-- call is left.  Outside migrations the table takes writes (as pg_restore
-- makes them; the DELETE and TRUNCATE at the end of this file are such).
SELECT * FROM schemata.apply(fixture('history_delete'), 'hist_tamper');
SELECT * FROM schemata.apply(fixture('history_baseline'), 'hist_tamper');
SELECT count(*) AS tamper_rows FROM schemata.migrations
 WHERE target_schema IN ('hist_tamper', 'hist_elsewhere');
SELECT count(*) AS tamper_schema FROM pg_namespace WHERE nspname = 'hist_tamper';
-- status() without a directory reports history alone.
SELECT version, name, state, batch, applied_by = current_user AS by_me
  FROM schemata.status(target_schema => 'hist_a');

SET client_min_messages = warning;
DROP SCHEMA hist_a CASCADE;
DROP SCHEMA hist_b CASCADE;
DROP SCHEMA hist_c CASCADE;
DROP SCHEMA hist_timed CASCADE;
DELETE FROM schemata.migrations WHERE target_schema = 'hist_a';
TRUNCATE schemata.migrations;
SELECT count(*) AS history_rows FROM schemata.migrations;
