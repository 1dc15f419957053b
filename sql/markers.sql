--
-- markers: the tools' ways of saying a migration cannot run in a transaction
-- (dbmate's "-- migrate:up transaction:false", a diesel folder's
-- metadata.toml, Flyway's <script>.sql.conf), shown by plan() and status()
-- as non_transactional; and down_problem, why the down script rollback would
-- run fails the checks.
--
CREATE SCHEMA mk_dbmate;
CREATE SCHEMA mk_diesel;
CREATE SCHEMA mk_flyway;

-- dbmate: options after the section keyword.  transaction:false marks the
-- up script (and, on the down marker, the down script); transaction:true is
-- the default.  Nothing else may follow a marker.
SELECT version, name, statements, has_down, non_transactional, down_problem
  FROM schemata.plan(fixture('markers_dbmate'));
SELECT version, state, non_transactional, down_problem
  FROM schemata.status(fixture('markers_dbmate'), 'mk_dbmate');
SELECT * FROM schemata.apply(fixture('bad_marker_text'), 'mk_dbmate');
-- a marker changes how a migration runs, not what runs: not the checksum
SELECT m.version, m.checksum = u.checksum AS same_checksum
  FROM schemata.plan(fixture('markers_dbmate')) m
  JOIN schemata.plan(fixture('markers_unmarked')) u USING (version);

-- Recorded without running (baseline): for applied migrations status does
-- not read the files (NULL), with or without dir; pending ones it does.
SELECT schemata.baseline('0002', 'mk_dbmate', fixture('markers_dbmate'));
SELECT version, state, non_transactional, down_problem
  FROM schemata.status(fixture('markers_dbmate'), 'mk_dbmate');
SELECT version, state, non_transactional, down_problem
  FROM schemata.status(NULL, 'mk_dbmate');

-- diesel: run_in_transaction in a folder's metadata.toml, also among other
-- keys, comments and blank lines; true or no metadata.toml: transactional.
SELECT version, name, non_transactional
  FROM schemata.plan(fixture('markers_diesel'));
SELECT schemata.baseline('2024-01-02-000001', 'mk_diesel', fixture('markers_diesel'));
SELECT version, state, non_transactional
  FROM schemata.status(fixture('markers_diesel'), 'mk_diesel');

-- A malformed metadata.toml is an error naming file and line; nothing is
-- applied.
SELECT * FROM schemata.apply(fixture('markers_diesel_badvalue'), 'mk_bad');
SELECT * FROM schemata.apply(fixture('markers_diesel_badline'), 'mk_bad');
SELECT * FROM schemata.status(fixture('markers_diesel_badline'), 'mk_bad');
SELECT fingerprint('mk_bad');

-- Flyway: executeInTransaction in <script>.sql.conf (Java properties: '=',
-- ':' or a space between key and value, '#' and '!' comments, true/false in
-- any case); U2__*.sql.conf marks the down script only.
SELECT version, name, has_down, non_transactional
  FROM schemata.plan(fixture('markers_flyway'));
SELECT schemata.baseline('2', 'mk_flyway', fixture('markers_flyway'));
SELECT version, state, non_transactional
  FROM schemata.status(fixture('markers_flyway'), 'mk_flyway');
SELECT * FROM schemata.plan(fixture('markers_flyway_bad'), 'mk_bad');
SELECT fingerprint('mk_bad');

-- down_problem: plan and status name a down script that fails the checks,
-- as the WARNING does; pending rows from the files (status without a
-- WARNING), applied rows from the stored down script that rollback runs.
SELECT version, non_transactional, down_problem
  FROM schemata.plan(fixture('markers_down_bad'), 'mk_down');
SELECT version, state, down_problem
  FROM schemata.status(fixture('markers_down_bad'), 'mk_down');
SELECT version FROM schemata.apply(fixture('markers_down_bad'), 'mk_down', to_version => '0002');
SELECT version, state, non_transactional, down_problem
  FROM schemata.status(fixture('markers_down_bad'), 'mk_down');
SELECT version, state, down_problem FROM schemata.status(NULL, 'mk_down');
-- rollback refuses what down_problem names
SELECT * FROM schemata.rollback('mk_down');
SELECT fingerprint('mk_down');

-- A marked migration is non-transactional: apply() refuses the directory
-- before anything runs, naming the file and the marker; CALL migrate runs
-- the marked migration outside any transaction, in the background worker,
-- each of its statements committed on its own (two transaction IDs).
SELECT * FROM schemata.apply(fixture('markers_run_dbmate'), 'mk_run_dbmate');
SELECT * FROM schemata.apply(fixture('markers_run_diesel'), 'mk_run_diesel');
SELECT * FROM schemata.apply(fixture('markers_run_flyway'), 'mk_run_flyway');
SELECT count(*) AS applied FROM schemata.migrations WHERE target_schema LIKE 'mk_run_%';
CALL schemata.migrate(fixture('markers_run_dbmate'), 'mk_run_dbmate');
CALL schemata.migrate(fixture('markers_run_diesel'), 'mk_run_diesel');
CALL schemata.migrate(fixture('markers_run_flyway'), 'mk_run_flyway');
SELECT tool, count(*) AS statements, count(DISTINCT xid) AS transactions
  FROM (SELECT * FROM mk_run_dbmate.mk_xids UNION ALL SELECT * FROM mk_run_diesel.mk_xids
        UNION ALL SELECT * FROM mk_run_flyway.mk_xids) x GROUP BY tool ORDER BY tool;
SELECT target_schema, version, name FROM schemata.migrations
 WHERE target_schema LIKE 'mk_run_%' ORDER BY 1, 2;

-- The new columns come last: the earlier ones keep their positions.
SELECT p.proname, a.ord, a.name
  FROM pg_proc p, unnest(p.proargnames, p.proargmodes) WITH ORDINALITY AS a(name, mode, ord)
 WHERE p.pronamespace = 'schemata'::regnamespace AND p.proname IN ('plan', 'status')
   AND a.mode = 't' AND a.name IN ('non_transactional', 'down_problem')
 ORDER BY 1, 2;

RESET client_min_messages;
DROP SCHEMA mk_dbmate, mk_diesel, mk_flyway, mk_down, mk_run_dbmate, mk_run_diesel, mk_run_flyway CASCADE;
DELETE FROM schemata.migrations WHERE target_schema IN ('mk_dbmate', 'mk_diesel', 'mk_flyway', 'mk_down', 'mk_run_dbmate', 'mk_run_diesel', 'mk_run_flyway');
