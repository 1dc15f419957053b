--
-- privileges: who may write and read a target schema's history, and the role
-- a stored down script runs as (issue 17, items 2 and 3).
--
-- Roles: a tenant owns schema priv_t; member is a member of the tenant;
-- other may call every function and read server files but owns nothing;
-- exec has EXECUTE alone.
--
CREATE ROLE regress_priv_tenant;
CREATE ROLE regress_priv_member IN ROLE regress_priv_tenant;
CREATE ROLE regress_priv_other;
CREATE ROLE regress_priv_exec;
GRANT USAGE ON SCHEMA schemata
  TO regress_priv_tenant, regress_priv_member, regress_priv_other, regress_priv_exec;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA schemata
  TO regress_priv_tenant, regress_priv_member, regress_priv_other, regress_priv_exec;
GRANT pg_read_server_files TO regress_priv_tenant, regress_priv_member, regress_priv_other;
CREATE SCHEMA priv_t AUTHORIZATION regress_priv_tenant;

-- The history of a schema, as the superuser sees it.
CREATE FUNCTION pg_temp.history(target name)
RETURNS TABLE (version text, batch integer, applied_by name, down_sql text)
LANGUAGE sql AS $$
    SELECT version, batch, applied_by, down_sql FROM schemata.migrations
     WHERE target_schema = target ORDER BY version
$$;

--
-- Writing a schema's history needs the privileges of its owner: a role
-- with EXECUTE and pg_read_server_files that does not own priv_t gets
-- 42501 from each function, before the directory is read (a missing
-- directory is not even noticed), and nothing changes.
--
SELECT fingerprint('priv_t') AS priv_t_before \gset
SET ROLE regress_priv_other;
SELECT * FROM schemata.apply(fixture('priv_v1'), 'priv_t');
\echo :SQLSTATE
SELECT * FROM schemata.apply(fixture('no_such_dir'), 'priv_t');
CALL schemata.migrate(fixture('priv_v1'), 'priv_t');
\echo :SQLSTATE
SELECT schemata.baseline('0003', 'priv_t');
\echo :SQLSTATE
SELECT schemata.baseline('0003', 'priv_t', dir => fixture('priv_v1'));
SELECT schemata.repair(fixture('priv_v1'), 'priv_t');
\echo :SQLSTATE
SELECT * FROM schemata.rollback('priv_t');
\echo :SQLSTATE
SELECT * FROM schemata.rollback('priv_t', dir => fixture('priv_v1'));
RESET ROLE;
SELECT fingerprint('priv_t') = :'priv_t_before' AS priv_t_unchanged;

-- The attack of the issue: EXECUTE alone no longer baselines public (a
-- superuser's next apply would have skipped its migrations).
SET ROLE regress_priv_exec;
SELECT schemata.baseline('99999', 'public');
\echo :SQLSTATE
RESET ROLE;
SELECT count(*) AS public_rows FROM schemata.migrations WHERE target_schema = 'public';

-- A schema that does not exist: apply creates it, owned by the caller
-- (PostgreSQL checks CREATE on the database); rollback, baseline and repair
-- of its history are a superuser's (3F000 for the others).
SET ROLE regress_priv_other;
SELECT schemata.baseline('0001', 'priv_nowhere');
\echo :SQLSTATE
SELECT schemata.repair(fixture('priv_v1'), 'priv_nowhere');
SELECT * FROM schemata.rollback('priv_nowhere');
SELECT * FROM schemata.apply(fixture('priv_v1'), 'priv_new', to_version => '0001');
RESET ROLE;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO regress_priv_other', current_database()); END $$;
SET ROLE regress_priv_other;
SELECT version FROM schemata.apply(fixture('priv_v1'), 'priv_new', to_version => '0001');
RESET ROLE;
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_priv_other', current_database()); END $$;
SELECT nspowner::regrole AS priv_new_owner FROM pg_namespace WHERE nspname = 'priv_new';
SELECT version, applied_by FROM pg_temp.history('priv_new');
SELECT count(*) AS nowhere_rows FROM schemata.migrations WHERE target_schema = 'priv_nowhere';

--
-- The owner, and a member of the owning role, may write it.
--
SET ROLE regress_priv_tenant;
SELECT version FROM schemata.apply(fixture('priv_v1'), 'priv_t', to_version => '0002');
SET ROLE regress_priv_member;
SELECT version FROM schemata.apply(fixture('priv_v1'), 'priv_t');
RESET ROLE;
SELECT version, batch, applied_by FROM pg_temp.history('priv_t');

--
-- Reading it (status, plan, version) needs USAGE on the schema.
--
SET ROLE regress_priv_other;
SELECT * FROM schemata.status(NULL, 'priv_t');
\echo :SQLSTATE
SELECT * FROM schemata.plan(fixture('priv_v1'), 'priv_t');
\echo :SQLSTATE
SELECT schemata.version('priv_t');
\echo :SQLSTATE
-- a schema that does not exist has no privileges to check: plan shows
-- what apply would create
SELECT version FROM schemata.plan(fixture('priv_v1'), 'priv_not_yet');
SELECT schemata.version('priv_not_yet');
RESET ROLE;
GRANT USAGE ON SCHEMA priv_t TO regress_priv_other;
SET ROLE regress_priv_other;
SELECT version, state, applied_by FROM schemata.status(fixture('priv_v1'), 'priv_t');
SELECT schemata.version('priv_t');
-- USAGE reads, it does not write
SELECT * FROM schemata.rollback('priv_t');
RESET ROLE;
REVOKE USAGE ON SCHEMA priv_t FROM regress_priv_other;

--
-- A down script runs as the role that applied its migration, even when a
-- superuser calls rollback, stored or from dir alike; the caller's user ID
-- is back afterwards.
--
SELECT version FROM schemata.rollback('priv_t', steps => 1);
SELECT version FROM schemata.rollback('priv_t', steps => 1, dir => fixture('priv_v2'));
SELECT current_user = session_user AS user_restored;
SELECT * FROM priv_t.who_ran ORDER BY step;
SELECT tableowner FROM pg_tables WHERE schemaname = 'priv_t' AND tablename = 'made_by_down';
DROP TABLE priv_t.made_by_down;
DELETE FROM priv_t.who_ran;

--
-- A migration the superuser applied to the tenant's schema: the tenant owns
-- the schema, but may neither roll it back (its down script would run as
-- the superuser) nor repair its row.
--
SELECT version FROM schemata.apply(fixture('priv_v1'), 'priv_t');
SELECT version, batch, applied_by FROM pg_temp.history('priv_t');
SELECT fingerprint('priv_t') AS priv_t_before \gset
SET ROLE regress_priv_tenant;
SELECT * FROM schemata.rollback('priv_t');
\echo :SQLSTATE
SELECT * FROM schemata.rollback('priv_t', steps => 1, dir => fixture('priv_v2'));
-- repair leaves the superuser's rows as they were and says so
SELECT schemata.repair(fixture('priv_v2'), 'priv_t');
RESET ROLE;
SELECT fingerprint('priv_t') = :'priv_t_before' AS priv_t_unchanged;
SELECT version, down_sql FROM pg_temp.history('priv_t');
-- the superuser may repair them: a NOTICE says which down scripts change
SELECT schemata.repair(fixture('priv_v2'), 'priv_t');
SELECT version, down_sql FROM pg_temp.history('priv_t');
SELECT version FROM schemata.rollback('priv_t');
SELECT * FROM priv_t.who_ran ORDER BY step;
DROP TABLE priv_t.made_by_down;

--
-- A down script that fails, run as the tenant by a superuser: after the
-- error the caller's user ID and security context are back (SET ROLE, which
-- a SECURITY DEFINER context refuses, works again), in an EXCEPTION block
-- and after ROLLBACK TO SAVEPOINT alike.
--
CREATE SCHEMA priv_f AUTHORIZATION regress_priv_tenant;
SET ROLE regress_priv_tenant;
SELECT version FROM schemata.apply(fixture('priv_fail'), 'priv_f');
RESET ROLE;
DO $$
BEGIN
    PERFORM * FROM schemata.rollback('priv_f');
EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'after the error, current_user is the caller: %', current_user = session_user;
    SET LOCAL ROLE regress_priv_member;
    RAISE NOTICE 'SET ROLE works: %', current_user;
    RESET ROLE;
END
$$;
BEGIN;
SAVEPOINT before_rollback;
SELECT * FROM schemata.rollback('priv_f');
ROLLBACK TO SAVEPOINT before_rollback;
SELECT current_user = session_user AS user_restored;
SET LOCAL ROLE regress_priv_member;
SELECT current_user;
COMMIT;
SELECT current_user = session_user AS user_restored;
SELECT version, applied_by FROM pg_temp.history('priv_f');

-- The down script cannot leave the role it runs as: RESET ROLE is refused
-- as in a SECURITY DEFINER function.
CREATE SCHEMA priv_e AUTHORIZATION regress_priv_tenant;
SET ROLE regress_priv_tenant;
SELECT version FROM schemata.apply(fixture('priv_escape'), 'priv_e');
RESET ROLE;
SELECT * FROM schemata.rollback('priv_e');
SELECT to_regclass('priv_e.escaped') AS escaped, to_regclass('public.escaped') AS escaped_public;

-- The role that applied a migration is gone: 42704, nothing rolled back.
CREATE ROLE regress_priv_gone IN ROLE regress_priv_tenant, pg_read_server_files;
GRANT USAGE ON SCHEMA schemata TO regress_priv_gone;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA schemata TO regress_priv_gone;
CREATE SCHEMA priv_g AUTHORIZATION regress_priv_tenant;
SET ROLE regress_priv_gone;
SELECT version FROM schemata.apply(fixture('priv_v1'), 'priv_g', to_version => '0002');
RESET ROLE;
REASSIGN OWNED BY regress_priv_gone TO regress_priv_tenant;
DROP OWNED BY regress_priv_gone;
DROP ROLE regress_priv_gone;
SELECT * FROM schemata.rollback('priv_g');
\echo :SQLSTATE
SELECT version, applied_by FROM pg_temp.history('priv_g');
-- repair leaves its row to superusers
SET ROLE regress_priv_tenant;
SELECT schemata.repair(fixture('priv_v2'), 'priv_g');
RESET ROLE;

--
-- Clean up.
--
SET client_min_messages = warning;
DROP SCHEMA priv_t, priv_f, priv_e, priv_g, priv_new CASCADE;
DELETE FROM schemata.migrations WHERE target_schema LIKE 'priv\_%';
DELETE FROM schemata.file_checksums WHERE target_schema LIKE 'priv\_%';
DROP OWNED BY regress_priv_tenant, regress_priv_member, regress_priv_other, regress_priv_exec;
DROP ROLE regress_priv_member, regress_priv_tenant, regress_priv_other, regress_priv_exec;
