--
-- rehearse: the pending migrations run for real in a subtransaction, what
-- each did reported, and everything rolled back.
--
CREATE SCHEMA rh;
CREATE TABLE rh.big (id int PRIMARY KEY, v int);
INSERT INTO rh.big SELECT i, i FROM generate_series(1, 1000) i;
CREATE TABLE rh.legacy (id int);
CREATE TEMP TABLE before_catalog AS
  SELECT oid, relname, relfilenode, relnatts FROM pg_class WHERE relnamespace = 'rh'::regnamespace;
CREATE TEMP TABLE before_data AS SELECT count(*) AS n, sum(v) AS v FROM rh.big;

SELECT version, name, locks, rewritten, row_counts, created, altered, dropped
  FROM schemata.rehearse(fixture('rehearse_app'), 'rh');
SELECT count(*) AS timed FROM schemata.rehearse(fixture('rehearse_app'), 'rh') WHERE duration_ms >= 0;

-- nothing stays: catalog, data, history, the advisory lock
SELECT * FROM (SELECT oid, relname, relfilenode, relnatts FROM pg_class
                WHERE relnamespace = 'rh'::regnamespace) now
  FULL JOIN before_catalog USING (oid) WHERE now IS DISTINCT FROM before_catalog;
SELECT (SELECT count(*) FROM rh.big) = n AND (SELECT sum(v) FROM rh.big) = v AS same_data FROM before_data;
SELECT to_regproc('rh.twice') AS twice, to_regtype('rh.mood') AS mood;
SELECT count(*) AS history FROM schemata.migrations WHERE target_schema = 'rh';
SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- inside the caller's transaction, which goes on with its own work kept
BEGIN;
CREATE TABLE rh.mine (id int);
SELECT version, name FROM schemata.rehearse(fixture('rehearse_app'), 'rh');
SELECT to_regclass('rh.mine') AS mine, to_regclass('rh.events') AS events;
ROLLBACK;

-- a failing migration: its error, with file and line; nothing stays, and a
-- caller's exception block goes on
SELECT schemata.rehearse(fixture('rehearse_bad'), 'rh');
DO $$
BEGIN
    PERFORM schemata.rehearse(fixture('rehearse_bad'), 'rh');
EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;
SELECT to_regclass('rh.kept_out') AS kept_out;

-- then apply runs them for real, and nothing is left to rehearse
SELECT count(*) AS applied FROM schemata.apply(fixture('rehearse_app'), 'rh');
SELECT count(*) AS rehearsed FROM schemata.rehearse(fixture('rehearse_app'), 'rh');

-- who may: apply's rights (the owner of the target schema)
CREATE ROLE regress_rehearse_user;
GRANT USAGE ON SCHEMA schemata TO regress_rehearse_user;
GRANT EXECUTE ON FUNCTION schemata.rehearse(text, name, text) TO regress_rehearse_user;
SET ROLE regress_rehearse_user;
SELECT * FROM schemata.rehearse(fixture('rehearse_app'), 'rh');
RESET ROLE;
REVOKE ALL ON FUNCTION schemata.rehearse(text, name, text) FROM regress_rehearse_user;
REVOKE ALL ON SCHEMA schemata FROM regress_rehearse_user;
DROP ROLE regress_rehearse_user;
DROP SCHEMA rh CASCADE;
