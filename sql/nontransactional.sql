--
-- nontransactional: migrations that cannot run inside a transaction block
-- (CREATE INDEX CONCURRENTLY and its kin), issue 18.  apply() refuses them;
-- CALL schemata.migrate runs them outside any transaction, in a background
-- worker, each statement committed on its own.
--
CREATE FUNCTION pg_temp.workers() RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM pg_catalog.pg_stat_activity
     WHERE backend_type = 'schemata migration'
$$;
CREATE FUNCTION pg_temp.indexes(target name)
RETURNS TABLE (index text, valid boolean, owner name)
LANGUAGE sql AS $$
    SELECT c.relname::text, i.indisvalid, pg_catalog.pg_get_userbyid(c.relowner)
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace = target::regnamespace ORDER BY 1
$$;
-- the "applied x (n ms)" NOTICEs vary; keep warnings and errors

--
-- A directory mixing transactional migrations with one that builds an
-- index concurrently (its down script drops it concurrently), one that
-- builds a unique index concurrently and makes it a constraint, one that
-- adds an enum value and a later one that uses it.
--
-- apply() runs everything in one transaction: refused before anything
-- runs, naming file, line and statement, with a hint to migrate.
SELECT * FROM schemata.apply(fixture('nontx_mixed'), 'nontx');
\echo :SQLSTATE
SELECT count(*) AS nothing_applied FROM schemata.migrations WHERE target_schema = 'nontx';
SELECT to_regnamespace('nontx') IS NULL AS no_schema;
-- plan() does not refuse
SELECT version, statements FROM schemata.plan(fixture('nontx_mixed'), 'nontx');

-- migrate applies all of them; the indexes are valid
CALL schemata.migrate(fixture('nontx_mixed'), 'nontx');
SELECT version, batch FROM schemata.migrations WHERE target_schema = 'nontx' ORDER BY version;
SELECT * FROM pg_temp.indexes('nontx');
SELECT conname, contype FROM pg_catalog.pg_constraint
 WHERE conrelid = 'nontx.accounts'::regclass AND contype <> 'n' ORDER BY 1;
SELECT mood, count(*) FROM nontx.accounts GROUP BY mood ORDER BY mood;
SELECT pg_temp.workers() AS workers;

-- rollback() undoes in one transaction: it refuses the down script that
-- drops an index concurrently before anything runs, with a hint
SELECT * FROM schemata.rollback('nontx', steps => 5);
\echo :SQLSTATE
SELECT count(*) AS still_applied FROM schemata.migrations WHERE target_schema = 'nontx';
-- the procedure form commits after each migration undone and runs that
-- down script outside a transaction; not inside a transaction block
BEGIN;
CALL schemata.rollback_each('nontx', steps => 5);
ROLLBACK;
CALL schemata.rollback_each('nontx', steps => 5);
SELECT version FROM schemata.migrations WHERE target_schema = 'nontx' ORDER BY version;
SELECT * FROM pg_temp.indexes('nontx');
SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = 'nontx.accounts'::regclass AND contype <> 'n';
SELECT to_regtype('nontx.mood') IS NULL AS no_mood;
SELECT pg_temp.workers() AS workers;
-- and migrate applies them again
CALL schemata.migrate(fixture('nontx_mixed'), 'nontx');
SELECT count(*) AS applied FROM schemata.migrations WHERE target_schema = 'nontx';

--
-- A statement that fails (the second of three: a unique index over
-- duplicate values): the first stays done, the migration is not recorded,
-- the CONTEXT names file and line and says how many statements completed;
-- an INVALID index is left.
--
CALL schemata.migrate(fixture('nontx_dups'), 'nontx_dups');
\echo :SQLSTATE
SELECT version FROM schemata.migrations WHERE target_schema = 'nontx_dups' ORDER BY version;
SELECT count(*) AS log_rows FROM nontx_dups.people_log;
SELECT * FROM pg_temp.indexes('nontx_dups');
SELECT pg_temp.workers() AS workers;
SELECT 'nontx_dups.people_email_idx'::regclass::oid AS invalid_index \gset
-- the duplicates fixed, migrate again: the INVALID index is dropped first
-- (with a NOTICE, see test/shell/41_nontransactional_cancel.sh), the
-- migration runs from its first statement and is recorded
DELETE FROM nontx_dups.people WHERE id = 3;
CALL schemata.migrate(fixture('nontx_dups'), 'nontx_dups');
SELECT 'nontx_dups.people_email_idx'::regclass::oid <> :invalid_index AS built_anew;
SELECT version FROM schemata.migrations WHERE target_schema = 'nontx_dups' ORDER BY version;
SELECT count(*) AS log_rows FROM nontx_dups.people_log;
SELECT * FROM pg_temp.indexes('nontx_dups');
SELECT pg_temp.workers() AS workers;

--
-- In the worker too, a migration cannot change the history (the guard
-- trigger refuses it): the statements before it stay, nothing is recorded.
--
CALL schemata.migrate(fixture('nontx_guard'), 'nontx_guard');
\echo :SQLSTATE
SELECT count(*) AS recorded FROM schemata.migrations WHERE target_schema = 'nontx_guard';
SELECT count(*) > 0 AS history_kept FROM schemata.migrations;
SELECT pg_temp.workers() AS workers;

--
-- A CONCURRENTLY only in a down script does not stop apply(): the
-- migration is applied and its down script stored.
--
SELECT version FROM schemata.apply(fixture('nontx_down_only'), 'nontx_down');
SELECT down_sql IS NOT NULL AS down_stored FROM schemata.migrations
 WHERE target_schema = 'nontx_down';

--
-- The worker runs as the caller: a role that is not a superuser, as
-- session user (SET SESSION AUTHORIZATION) and as current role (SET ROLE
-- in a superuser's session).  Objects are owned by that role.  It has the
-- caller's settings, and search_path is the target schema, then the
-- caller's path.
--
CREATE ROLE regress_nontx_deployer;
CREATE ROLE regress_nontx_other;
GRANT USAGE ON SCHEMA schemata TO regress_nontx_deployer, regress_nontx_other;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA schemata TO regress_nontx_deployer, regress_nontx_other;
GRANT pg_read_server_files TO regress_nontx_deployer, regress_nontx_other;
CREATE SCHEMA nontx_session AUTHORIZATION regress_nontx_deployer;
CREATE SCHEMA nontx_role AUTHORIZATION regress_nontx_other;
SET SESSION AUTHORIZATION regress_nontx_deployer;
CALL schemata.migrate(fixture('nontx_owner'), 'nontx_session');
RESET SESSION AUTHORIZATION;
SELECT current, session, path FROM nontx_session.who;
SELECT * FROM pg_temp.indexes('nontx_session');
SET ROLE regress_nontx_other;
SET TimeZone = 'Asia/Tokyo';
CALL schemata.migrate(fixture('nontx_owner'), 'nontx_role');
RESET TimeZone;
RESET ROLE;
SELECT * FROM nontx_role.who;
SELECT * FROM pg_temp.indexes('nontx_role');
SELECT pg_temp.workers() AS workers;

SET client_min_messages = warning;
DROP OWNED BY regress_nontx_deployer, regress_nontx_other;
DROP ROLE regress_nontx_deployer, regress_nontx_other;
