--
-- down_checks: a down script is checked when it is about to run (rollback),
-- not before every apply.  At apply, migrate, plan, baseline and repair one
-- that fails the checks gets a WARNING naming file, line and reason, is
-- recorded as written, and stops nothing.
--
-- down_lazy: the down scripts of 0002 (a syntax error), 0003 (ROLLBACK), 0004
-- (DROP INDEX CONCURRENTLY) and 0005 (a psql meta-command) fail the checks;
-- those of 0001 and 0006 pass.

CREATE FUNCTION pg_temp.down_sql(s name)
RETURNS TABLE (version text, down_sql text)
LANGUAGE sql AS $$
    SELECT m.version, m.down_sql FROM schemata.migrations m
    WHERE m.target_schema = s ORDER BY m.version
$$;

-- plan: one WARNING per such down script, the rows as ever
SELECT version, name, statements, has_down FROM schemata.plan(fixture('down_lazy'), 'dl_apply');

-- apply: everything is applied, one WARNING each, down scripts stored as written
SELECT version, name FROM schemata.apply(fixture('down_lazy'), 'dl_apply');
SELECT fingerprint('dl_apply');
SELECT * FROM pg_temp.down_sql('dl_apply');

-- migrate: the same (it reads each migration again before running it)
CALL schemata.migrate(fixture('down_lazy'), 'dl_migrate');
SELECT fingerprint('dl_migrate');
SELECT count(*) AS same_down_scripts
  FROM pg_temp.down_sql('dl_migrate') m JOIN pg_temp.down_sql('dl_apply') a USING (version)
 WHERE m.down_sql = a.down_sql;

-- An up script that fails the checks still stops everything, with or without
-- a bad down script beside it (bad_syntax: the up script).
SELECT error_of(format('SELECT * FROM schemata.apply(%L, %L)', fixture('bad_syntax'), 'dl_bad'));
SELECT count(*) AS nothing_recorded FROM schemata.migrations WHERE target_schema = 'dl_bad';

-- rollback of the last migration (0006, a good down script) works
SELECT version, name FROM schemata.rollback('dl_apply', steps => 1);
SELECT fingerprint('dl_apply');
-- a rollback whose range holds any of 0005 .. 0002 is refused before
-- anything runs; the error names the first down script checked (the newest)
-- that fails, its CONTEXT file and line
SELECT * FROM schemata.rollback('dl_apply', steps => 1);
SELECT * FROM schemata.rollback('dl_apply', to_version => '0003');
SELECT * FROM schemata.rollback('dl_apply', to_version => '0002');
SELECT * FROM schemata.rollback('dl_apply', to_version => '0001');
-- and through dir, from the files
SELECT * FROM schemata.rollback('dl_apply', steps => 2, dir => fixture('down_lazy'));
SELECT fingerprint('dl_apply');
SELECT count(*) AS history_rows FROM schemata.migrations WHERE target_schema = 'dl_apply';
-- each kind of failure, each the newest migration of its schema
SET client_min_messages = error;
SELECT count(*) FROM schemata.apply(fixture('down_lazy'), 'dl_0002', to_version => '0002');
SELECT count(*) FROM schemata.apply(fixture('down_lazy'), 'dl_0003', to_version => '0003');
SELECT count(*) FROM schemata.apply(fixture('down_lazy'), 'dl_0004', to_version => '0004');
RESET client_min_messages;
SELECT * FROM schemata.rollback('dl_0002', steps => 1);
SELECT * FROM schemata.rollback('dl_0003', steps => 1);
SELECT * FROM schemata.rollback('dl_0004', steps => 1);
SELECT * FROM schemata.rollback('dl_0004', steps => 1, dir => fixture('down_lazy'));
SELECT s, fingerprint(s) FROM unnest('{dl_0002,dl_0003,dl_0004}'::name[]) s;

-- baseline with dir and repair warn too, and record the down scripts as written
SELECT schemata.baseline('0004', 'dl_baseline', dir => fixture('down_lazy'));
SELECT * FROM pg_temp.down_sql('dl_baseline');
SELECT schemata.repair(fixture('down_lazy'), 'dl_baseline');

