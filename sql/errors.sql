--
-- errors: bad arguments, statements that fail while running, drift,
-- missing files and migrations out of order.
--

-- Arguments.
SELECT * FROM schemata.apply(fixture('basic'), '');
SELECT * FROM schemata.apply(fixture('basic'), 'pg_temp');
SELECT * FROM schemata.apply(fixture('basic'), 'schemata');
SELECT * FROM schemata.apply(fixture('basic'), NULL);
SELECT * FROM schemata.apply(fixture('basic'), to_version => '0009');
SELECT * FROM schemata.apply(fixture('basic'), to_version => 'latest');
SELECT * FROM schemata.apply(fixture('basic'), allow_out_of_order => NULL);
SELECT * FROM schemata.status(fixture('basic'), '');
SELECT schemata.version(NULL);

-- A syntax error is found before anything runs: 0001 is not applied.
SELECT * FROM schemata.apply(fixture('bad_syntax'), 'errors');
SELECT to_regnamespace('errors') IS NULL AS schema_not_created;

-- A failing statement keeps PostgreSQL's message and SQLSTATE; CONTEXT names
-- the file, the line and the statement.  0001 ran, and is rolled back too.
SELECT * FROM schemata.apply(fixture('bad_failing'), 'errors');
SELECT error_of($$SELECT * FROM schemata.apply(fixture('bad_failing'), 'errors')$$);
SELECT to_regclass('errors.failing_ok') IS NULL AS rolled_back,
       (SELECT count(*) FROM schemata.migrations) AS history_rows;

-- Drift: an applied migration whose file changed is an error, and the
-- pending 0003 of that directory does not run...
SELECT version FROM schemata.apply(fixture('drift_v1'), 'drift');
SELECT fingerprint('drift') AS drift_before \gset
SELECT * FROM schemata.apply(fixture('drift_changed'), 'drift');
SELECT * FROM schemata.plan(fixture('drift_changed'), 'drift');
SELECT version, state FROM schemata.status(fixture('drift_changed'), 'drift');
SELECT fingerprint('drift') = :'drift_before' AS drift_unchanged,
       to_regclass('drift.drift_c') IS NULL AS drift_c_not_created;
-- ...but comments, whitespace, keyword case and CRLF line endings are not a change.
SELECT version, state FROM schemata.status(fixture('drift_reformatted'), 'drift');
SELECT a.checksum = b.checksum AS same_checksum
  FROM schemata.status(fixture('drift_v1'), 'drift') a
  JOIN schemata.status(fixture('drift_reformatted'), 'none') b USING (version)
 WHERE version = '0001';
-- A missing file is a WARNING, not an error.
SET client_min_messages = warning;
SELECT * FROM schemata.apply(fixture('drift_missing'), 'drift');
SELECT version, state FROM schemata.status(fixture('drift_missing'), 'drift');

-- Out of order: 0002 appears after 0003 was applied.
SELECT version FROM schemata.apply(fixture('ooo_a'), 'ooo');
SELECT version, state FROM schemata.status(fixture('ooo_b'), 'ooo');
SELECT * FROM schemata.apply(fixture('ooo_b'), 'ooo');
SELECT version FROM schemata.apply(fixture('ooo_b'), 'ooo', allow_out_of_order => true);
SELECT version, state, batch FROM schemata.status(fixture('ooo_b'), 'ooo');

DROP SCHEMA drift CASCADE;
DROP SCHEMA ooo CASCADE;
DELETE FROM schemata.migrations;
