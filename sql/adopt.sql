--
-- adopt(): recording another tool's history as baseline rows
--

CREATE FUNCTION pg_temp.history(s name)
RETURNS TABLE (version text, name text, batch integer, has_checksum boolean,
               has_down boolean, by_caller boolean)
LANGUAGE sql AS $$
    SELECT m.version, m.name, m.batch, m.checksum IS NOT NULL, m.down_sql IS NOT NULL,
           m.applied_by = current_user
    FROM schemata.migrations m
    WHERE m.target_schema = s ORDER BY m.version
$$;
-- adopt()'s rows must be what schemata.migrations now holds.
CREATE FUNCTION pg_temp.adopted_matches(s name, adopted text[]) RETURNS boolean
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(m.version || ' ' || m.name || ' ' || m.checksum ORDER BY m.version), '{}')
           = adopted
    FROM schemata.migrations m WHERE m.target_schema = s
$$;

-- dbmate: schema_migrations(version varchar), as dbmate creates it, in the
-- target schema; every row is an applied migration.
CREATE SCHEMA ad_dbmate;
CREATE TABLE ad_dbmate.schema_migrations (version varchar(128) PRIMARY KEY);
INSERT INTO ad_dbmate.schema_migrations VALUES ('20240101000000'), ('20240102000000');
CREATE TABLE ad_dbmate.dm_a (id integer);
CREATE TABLE ad_dbmate.dm_b (id integer);
CREATE TEMP TABLE adopted AS
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_dbmate');
SELECT version, name, length(checksum) FROM adopted ORDER BY version;
SELECT pg_temp.adopted_matches('ad_dbmate',
       (SELECT array_agg(version || ' ' || name || ' ' || checksum ORDER BY version) FROM adopted));
SELECT * FROM pg_temp.history('ad_dbmate');
-- checksums are the files' own: status shows no drift, the rest pending
SELECT version, name, state, batch FROM schemata.status(fixture('adopt_dbmate'), 'ad_dbmate');
-- the old table is left as it was
SELECT * FROM ad_dbmate.schema_migrations ORDER BY version;
-- apply then runs only the rest, as batch 1
SET client_min_messages = warning;
SELECT version, name FROM schemata.apply(fixture('adopt_dbmate'), 'ad_dbmate');
RESET client_min_messages;
-- rollback() without arguments undoes that batch only, never what adopt recorded
SET client_min_messages = warning;
SELECT version FROM schemata.rollback('ad_dbmate');
RESET client_min_messages;
SELECT version, state, batch FROM schemata.status(fixture('adopt_dbmate'), 'ad_dbmate');
DROP TABLE adopted;

-- golang-migrate: one row, the current version; every file at or below it
-- is applied.  Its table in public, found after the target schema.
CREATE SCHEMA ad_golang;
CREATE TABLE public.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO public.schema_migrations VALUES (2, false);
SELECT version, name FROM schemata.adopt(fixture('adopt_golang'), 'ad_golang');
SELECT * FROM pg_temp.history('ad_golang');
SELECT version, state FROM schemata.status(fixture('adopt_golang'), 'ad_golang');
SET client_min_messages = warning;
SELECT version FROM schemata.apply(fixture('adopt_golang'), 'ad_golang');
RESET client_min_messages;
SELECT version, state, batch FROM schemata.status(fixture('adopt_golang'), 'ad_golang');
-- dirty is refused, naming the version; nothing recorded
CREATE SCHEMA ad_dirty;
UPDATE public.schema_migrations SET version = 3, dirty = true;
SELECT * FROM schemata.adopt(fixture('adopt_golang'), 'ad_dirty');
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'ad_dirty';
-- a current version without a file
UPDATE public.schema_migrations SET version = 7, dirty = false;
SELECT * FROM schemata.adopt(fixture('adopt_golang'), 'ad_dirty', 'golang-migrate');
-- no row: nothing applied, nothing recorded
DELETE FROM public.schema_migrations;
SELECT * FROM schemata.adopt(fixture('adopt_golang'), 'ad_dirty', 'golang-migrate');
-- dbmate named for golang-migrate's table
SELECT * FROM schemata.adopt(fixture('adopt_golang'), 'ad_dirty', 'dbmate');
DROP TABLE public.schema_migrations;
DROP SCHEMA ad_dirty;

-- diesel: versions are the folder names' digits.
CREATE SCHEMA ad_diesel;
CREATE TABLE ad_diesel.__diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
INSERT INTO ad_diesel.__diesel_schema_migrations (version)
VALUES ('00000000000000'), ('20170831230457'), ('20170901000000');
SELECT version, name FROM schemata.adopt(fixture('adopt_diesel'), 'ad_diesel');
SELECT * FROM pg_temp.history('ad_diesel');
SELECT version, state FROM schemata.status(fixture('adopt_diesel'), 'ad_diesel');
SET client_min_messages = warning;
SELECT version FROM schemata.apply(fixture('adopt_diesel'), 'ad_diesel');
RESET client_min_messages;

-- sqlx: rows with success.
CREATE SCHEMA ad_sqlx;
CREATE TABLE ad_sqlx._sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL);
INSERT INTO ad_sqlx._sqlx_migrations (version, description, success, checksum, execution_time)
VALUES (20240101000000, 'create a', true, '\x00', 1),
       (20240102000000, 'create b', true, '\x00', 1);
SELECT version, name FROM schemata.adopt(fixture('adopt_sqlx'), 'ad_sqlx', 'sqlx');
SELECT * FROM pg_temp.history('ad_sqlx');
SELECT version, state FROM schemata.status(fixture('adopt_sqlx'), 'ad_sqlx');
SET client_min_messages = warning;
SELECT version FROM schemata.apply(fixture('adopt_sqlx'), 'ad_sqlx');
RESET client_min_messages;
-- a history that is not empty any more is refused
SELECT * FROM schemata.adopt(fixture('adopt_sqlx'), 'ad_sqlx', 'sqlx');
-- a failed row is refused, naming the version
CREATE SCHEMA ad_failed;
CREATE TABLE ad_failed._sqlx_migrations (LIKE ad_sqlx._sqlx_migrations);
INSERT INTO ad_failed._sqlx_migrations SELECT * FROM ad_sqlx._sqlx_migrations;
UPDATE ad_failed._sqlx_migrations SET success = false WHERE version = 20240102000000;
SELECT * FROM schemata.adopt(fixture('adopt_sqlx'), 'ad_failed');

-- Errors, nothing recorded.
CREATE SCHEMA ad_err;
CREATE TABLE ad_err.schema_migrations (version varchar(128) PRIMARY KEY);
-- a file skipped below the highest applied version
INSERT INTO ad_err.schema_migrations VALUES ('20240101000000'), ('20240103000000');
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
-- applied migrations without a file
INSERT INTO ad_err.schema_migrations VALUES ('20240102000000'), ('20240109000000'), ('20240108000000');
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
-- a version that is not one
DELETE FROM ad_err.schema_migrations;
INSERT INTO ad_err.schema_migrations VALUES ('v1');
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DELETE FROM ad_err.schema_migrations;
-- two tools' tables: detection names both
CREATE TABLE ad_err._sqlx_migrations (LIKE ad_sqlx._sqlx_migrations);
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP TABLE ad_err._sqlx_migrations;
-- the named tool's table is missing; none at all
SELECT * FROM schemata.adopt(fixture('adopt_diesel'), 'ad_err', 'diesel');
DROP TABLE ad_err.schema_migrations;
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
-- tools not supported yet, unknown tools
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err', 'flyway');
CREATE TABLE ad_err._prisma_migrations (id text);
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP TABLE ad_err._prisma_migrations;
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err', 'liquibase');
-- the tenant's table must be a plain table with the tool's column types:
-- a view, or a type whose cast to text the tenant wrote, is not read
CREATE VIEW ad_err.schema_migrations AS SELECT '20240101000000'::varchar AS version;
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP VIEW ad_err.schema_migrations;
CREATE TYPE ad_err.planted AS (v text);
CREATE TABLE ad_err.schema_migrations (version ad_err.planted);
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP TABLE ad_err.schema_migrations;
-- row-level security is not applied with the caller's privileges: an error
CREATE TABLE ad_err.schema_migrations (version varchar(128) PRIMARY KEY);
ALTER TABLE ad_err.schema_migrations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE ROLE regress_adopt_owner;
GRANT pg_read_server_files TO regress_adopt_owner;
GRANT USAGE ON SCHEMA schemata TO regress_adopt_owner;
GRANT EXECUTE ON FUNCTION schemata.adopt(text, name, text) TO regress_adopt_owner;
ALTER SCHEMA ad_err OWNER TO regress_adopt_owner;
ALTER TABLE ad_err.schema_migrations OWNER TO regress_adopt_owner;
SET ROLE regress_adopt_owner;
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
RESET ROLE;
ALTER TABLE ad_err.schema_migrations DISABLE ROW LEVEL SECURITY;
-- a caller that is not the schema's owner
CREATE ROLE regress_adopt_other;
GRANT pg_read_server_files TO regress_adopt_other;
GRANT USAGE ON SCHEMA schemata TO regress_adopt_other;
GRANT EXECUTE ON FUNCTION schemata.adopt(text, name, text) TO regress_adopt_other;
GRANT SELECT ON ad_err.schema_migrations TO regress_adopt_other;
SET ROLE regress_adopt_other;
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
RESET ROLE;
-- the owner may
INSERT INTO ad_err.schema_migrations VALUES ('20240101000000');
SET ROLE regress_adopt_owner;
SELECT version, name FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
RESET ROLE;
SELECT version, applied_by FROM schemata.migrations WHERE target_schema = 'ad_err';
SELECT count(*) FROM schemata.migrations
WHERE target_schema IN ('ad_dirty', 'ad_failed');

-- clean up
SET client_min_messages = warning;
DROP SCHEMA ad_dbmate, ad_golang, ad_diesel, ad_sqlx, ad_failed, ad_err CASCADE;
RESET client_min_messages;
REVOKE ALL ON SCHEMA schemata FROM regress_adopt_owner, regress_adopt_other;
REVOKE ALL ON FUNCTION schemata.adopt(text, name, text) FROM regress_adopt_owner, regress_adopt_other;
DROP ROLE regress_adopt_owner, regress_adopt_other;

