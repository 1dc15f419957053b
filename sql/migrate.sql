-- CALL schemata.migrate(): apply with a commit after each migration, and
-- apply()'s hints for the limits of one transaction.
-- the "applied x (n ms)" NOTICEs vary; keep warnings and errors

--
-- An enum value added by one migration and used by the next: one apply()
-- cannot (55P04, with a hint naming the migration that added it), migrate can.
--
SELECT version FROM schemata.apply(fixture('migrate_enum'),
                                   'mig_enum', to_version => '0001');
SELECT version FROM schemata.apply(fixture('migrate_enum'),
                                   'mig_enum');
SELECT schemata.version('mig_enum');
CALL schemata.migrate(fixture('migrate_enum'), 'mig_enum');
SELECT * FROM mig_enum.people;
-- one batch for the call, one transaction per migration
SELECT version, name, batch FROM schemata.migrations
 WHERE target_schema = 'mig_enum' ORDER BY version;
SELECT count(DISTINCT xmin::text) AS transactions FROM schemata.migrations
 WHERE target_schema = 'mig_enum' AND batch = 2;
-- the session lock is gone
SELECT count(*) AS advisory_locks FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid();
CALL schemata.migrate(fixture('migrate_enum'), 'mig_enum');
SET client_min_messages = warning;

-- Added and used in the same migration: neither mode can; the hint says to
-- move the use to a later migration.  migrate first, so that the type is
-- committed when apply runs 0002: PostgreSQL 17 and later let a transaction
-- use a new value of an enum type that it created itself.
CALL schemata.migrate(fixture('migrate_enum_same'), 'mig_same');
-- migrate kept 0001, committed before 0002 failed
SELECT version, batch FROM schemata.migrations WHERE target_schema = 'mig_same';
SELECT version FROM schemata.apply(fixture('migrate_enum_same'),
                                   'mig_same');

--
-- A failure in the third of five: the first two stay committed and recorded,
-- the third leaves nothing, the error keeps its message and CONTEXT.
--
CALL schemata.migrate(fixture('migrate_fail'), 'mig_fail');
SELECT version, name, batch FROM schemata.migrations
 WHERE target_schema = 'mig_fail' ORDER BY version;
SELECT t, to_regclass('mig_fail.' || t) IS NOT NULL AS exists
  FROM unnest(ARRAY['t1', 't2', 't3', 't4', 't5']) AS t;
SELECT version, state FROM schemata.status(fixture('migrate_fail'),
                                           'mig_fail');
SELECT count(*) AS advisory_locks FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- All files are checked before the first one runs: 0003 of migrate_late_bad
-- holds ALTER SYSTEM, so 0001 and 0002 do not run either; no history, no tables,
-- not even the target schema.
CALL schemata.migrate(fixture('migrate_late_bad'), 'mig_late');
SELECT count(*) AS history_rows FROM schemata.migrations WHERE target_schema = 'mig_late';
SELECT to_regnamespace('mig_late') IS NULL AS schema_not_created,
       to_regclass('mig_late.late_t1') IS NULL AS t1_not_created;

-- to_version stops migrate as it stops apply
CALL schemata.migrate(fixture('migrate_fail'), 'mig_steps',
                      to_version => '0002');
SELECT version FROM schemata.migrations WHERE target_schema = 'mig_steps' ORDER BY version;

--
-- migrate commits, so it refuses to run where it cannot.
--
BEGIN;
CALL schemata.migrate(fixture('migrate_fail'), 'mig_block');
ROLLBACK;
CREATE FUNCTION mig_from_function() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CALL schemata.migrate(fixture('migrate_fail'), 'mig_block');
END
$$;
SELECT mig_from_function();
DROP FUNCTION mig_from_function();
-- a PL/pgSQL block with an EXCEPTION clause runs in a subtransaction, which
-- cannot commit
DO $$
BEGIN
    CALL schemata.migrate(fixture('migrate_fail'), 'mig_block');
EXCEPTION WHEN division_by_zero THEN
    NULL;
END
$$;
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'mig_block';
-- a top-level DO block may commit, so migrate runs there
DO $$
BEGIN
    CALL schemata.migrate(fixture('migrate_fail'), 'mig_do',
                          to_version => '0001');
END
$$;
SELECT version FROM schemata.migrations WHERE target_schema = 'mig_do';

-- arguments
CALL schemata.migrate(NULL);
CALL schemata.migrate(fixture('migrate_fail'), 'schemata');

-- not for everyone
CREATE ROLE regress_migrate_nobody;
GRANT USAGE ON SCHEMA schemata TO regress_migrate_nobody;
SET ROLE regress_migrate_nobody;
CALL schemata.migrate(fixture('migrate_fail'), 'mig_nobody');
RESET ROLE;
REVOKE USAGE ON SCHEMA schemata FROM regress_migrate_nobody;
DROP ROLE regress_migrate_nobody;

-- clean up
DROP SCHEMA mig_enum, mig_same, mig_fail, mig_steps, mig_do CASCADE;
DELETE FROM schemata.migrations WHERE target_schema IN ('mig_enum', 'mig_same', 'mig_fail', 'mig_steps', 'mig_do');
