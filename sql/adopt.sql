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
SELECT version, name FROM schemata.apply(fixture('adopt_dbmate'), 'ad_dbmate');
-- rollback() without arguments undoes that batch only, never what adopt recorded
SELECT version FROM schemata.rollback('ad_dbmate');
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
SELECT version FROM schemata.apply(fixture('adopt_golang'), 'ad_golang');
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
SELECT version FROM schemata.apply(fixture('adopt_diesel'), 'ad_diesel');

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
SELECT version FROM schemata.apply(fixture('adopt_sqlx'), 'ad_sqlx');
-- a history that is not empty any more is refused
SELECT * FROM schemata.adopt(fixture('adopt_sqlx'), 'ad_sqlx', 'sqlx');
-- a failed row is refused, naming the version
CREATE SCHEMA ad_failed;
CREATE TABLE ad_failed._sqlx_migrations (LIKE ad_sqlx._sqlx_migrations);
INSERT INTO ad_failed._sqlx_migrations SELECT * FROM ad_sqlx._sqlx_migrations;
UPDATE ad_failed._sqlx_migrations SET success = false WHERE version = 20240102000000;
SELECT * FROM schemata.adopt(fixture('adopt_sqlx'), 'ad_failed');

-- Flyway: flyway_schema_history as Flyway creates it, in the schema it
-- manages.  Rows in installed_rank order: the SCHEMA row says nothing of
-- migrations; versions match the files part by part (1.1 is V1_1__, 1.10
-- comes after 1.9); the checksum column is Flyway's CRC32, not read.
CREATE SCHEMA ad_flyway;
CREATE TABLE ad_flyway.flyway_schema_history (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL);
ALTER TABLE ad_flyway.flyway_schema_history
    ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON ad_flyway.flyway_schema_history ("success");
INSERT INTO ad_flyway.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '"ad_flyway"', NULL, 'app', 0, true),
       (1, '1', 'create order', 'SQL', 'V1__create_order.sql', -1187154317, 'app', 5, true),
       (2, '1.1', 'one one', 'SQL', 'V1_1__one_one.sql', 1020, 'app', 1, true),
       (3, '1.9', 'one nine', 'SQL', 'V1.9__one_nine.sql', 1021, 'app', 1, true),
       (4, '1.10', 'one ten', 'SQL', 'V1.10__one_ten.sql', 1022, 'app', 1, true),
       (5, '2', 'create items', 'SQL', 'V2__create_items.sql', 1023, 'app', 3, true);
CREATE TABLE ad_flyway.fw_order (n serial PRIMARY KEY, version text NOT NULL);
CREATE TABLE ad_flyway.fw_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text NOT NULL);
SELECT version, name, checksum IS NOT NULL AS has_checksum
  FROM schemata.adopt(fixture('adopt_flyway'), 'ad_flyway');
SELECT * FROM pg_temp.history('ad_flyway');
SELECT version, name, state FROM schemata.status(fixture('adopt_flyway'), 'ad_flyway');
SELECT version FROM schemata.apply(fixture('adopt_flyway'), 'ad_flyway');
SELECT version FROM ad_flyway.fw_order ORDER BY n;
-- a Flyway baseline applies every file up to its version, which needs no
-- file of its own (nor gets a row: apply would warn of its file every time)
CREATE SCHEMA ad_fly_base;
CREATE TABLE ad_fly_base.flyway_schema_history (LIKE ad_flyway.flyway_schema_history INCLUDING ALL);
INSERT INTO ad_fly_base.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (1, '1.5', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', 0, true),
       (2, '1.9', 'one nine', 'SQL', 'V1.9__one_nine.sql', 1021, 'app', 1, true);
SELECT version, name FROM schemata.adopt(fixture('adopt_flyway'), 'ad_fly_base', 'flyway');
SELECT * FROM pg_temp.history('ad_fly_base');
SELECT version, state FROM schemata.status(fixture('adopt_flyway'), 'ad_fly_base');
SELECT schemata.version('ad_fly_base');
DELETE FROM schemata.migrations WHERE target_schema = 'ad_fly_base';
-- an undone (UNDO_SQL) or deleted (DELETE, by flyway repair) migration's
-- earlier row does not count
UPDATE ad_fly_base.flyway_schema_history SET version = '1.10', script = 'V1.10__one_ten.sql'
 WHERE installed_rank = 1;
INSERT INTO ad_fly_base.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (3, '2', 'create items', 'SQL', 'V2__create_items.sql', 1023, 'app', 3, true),
       (4, '11', 'eleven', 'SQL', 'V11__eleven.sql', 1024, 'app', 3, true),
       (5, '11', 'eleven', 'UNDO_SQL', 'U11__eleven.sql', 1025, 'app', 3, true),
       (6, '3', 'gone', 'SQL', 'V3__gone.sql', 1026, 'app', 3, true),
       (7, '3', 'gone', 'DELETE', 'V3__gone.sql', 1026, 'app', 0, true);
SELECT version, name FROM schemata.adopt(fixture('adopt_flyway'), 'ad_fly_base', 'flyway');
DELETE FROM schemata.migrations WHERE target_schema = 'ad_fly_base';
-- a failed row is refused; a row without a file, a repeatable migration
-- (matched by its script) without one: errors, nothing recorded
INSERT INTO ad_fly_base.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (8, '12', 'broken', 'SQL', 'V12__broken.sql', 1027, 'app', 3, false);
SELECT * FROM schemata.adopt(fixture('adopt_flyway'), 'ad_fly_base', 'flyway');
UPDATE ad_fly_base.flyway_schema_history SET success = true WHERE installed_rank = 8;
INSERT INTO ad_fly_base.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (9, NULL, 'views', 'SQL', 'R__views.sql', 1028, 'app', 3, true),
       (10, NULL, 'views', 'SQL', 'R__views.sql', 1029, 'app', 3, true);
SELECT * FROM schemata.adopt(fixture('adopt_flyway'), 'ad_fly_base', 'flyway');
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'ad_fly_base';

-- Prisma: _prisma_migrations as Prisma creates it; rows not rolled back,
-- matched by migration_name to the folder.  A migration resolved as rolled
-- back and applied again has two rows.
CREATE SCHEMA ad_prisma;
CREATE TABLE ad_prisma."_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0);
INSERT INTO ad_prisma._prisma_migrations
    (id, checksum, finished_at, migration_name, rolled_back_at, started_at, applied_steps_count)
VALUES ('a1', 'x', '2024-01-01 10:00:01+00', '20240101000000_init', NULL, '2024-01-01 10:00:00+00', 1),
       ('a2', 'x', NULL, '20240102000000_add_posts', '2024-01-02 10:05:00+00', '2024-01-02 10:00:00+00', 0),
       ('a3', 'x', '2024-01-02 10:10:01+00', '20240102000000_add_posts', NULL, '2024-01-02 10:10:00+00', 1);
CREATE TABLE ad_prisma."User" (id serial PRIMARY KEY, email text NOT NULL);
CREATE TABLE ad_prisma."Post" (id serial PRIMARY KEY, title text NOT NULL, "authorId" integer NOT NULL);
SELECT version, name FROM schemata.adopt(fixture('adopt_prisma'), 'ad_prisma');
SELECT * FROM pg_temp.history('ad_prisma');
SELECT version, name, state FROM schemata.status(fixture('adopt_prisma'), 'ad_prisma');
SELECT version, name FROM schemata.apply(fixture('adopt_prisma'), 'ad_prisma');
-- a migration started and not finished (nor resolved as rolled back) is
-- refused; a name without a folder is an error
CREATE SCHEMA ad_prisma_err;
CREATE TABLE ad_prisma_err._prisma_migrations (LIKE ad_prisma._prisma_migrations INCLUDING ALL);
INSERT INTO ad_prisma_err._prisma_migrations SELECT * FROM ad_prisma._prisma_migrations;
UPDATE ad_prisma_err._prisma_migrations SET finished_at = NULL WHERE id = 'a3';
SELECT * FROM schemata.adopt(fixture('adopt_prisma'), 'ad_prisma_err');
UPDATE ad_prisma_err._prisma_migrations
   SET finished_at = started_at, migration_name = '20240102000000_add_post' WHERE id = 'a3';
SELECT * FROM schemata.adopt(fixture('adopt_prisma'), 'ad_prisma_err');
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'ad_prisma_err';

-- Drizzle: drizzle.__drizzle_migrations as Drizzle creates it; created_at
-- is the journal's "when" of the migration it ran.
CREATE SCHEMA ad_drizzle;
CREATE SCHEMA IF NOT EXISTS "drizzle";
CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
    id SERIAL PRIMARY KEY,
    hash text NOT NULL,
    created_at bigint);
INSERT INTO drizzle.__drizzle_migrations (hash, created_at)
VALUES ('h0', 1704067200000), ('h1', 1704153600000);
CREATE TABLE ad_drizzle.dz_users (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE ad_drizzle.dz_notes (id serial PRIMARY KEY, user_id integer NOT NULL
    REFERENCES ad_drizzle.dz_users ON DELETE CASCADE, body text);
SELECT version, name FROM schemata.adopt(fixture('adopt_drizzle'), 'ad_drizzle');
SELECT * FROM pg_temp.history('ad_drizzle');
SELECT version, name, state FROM schemata.status(fixture('adopt_drizzle'), 'ad_drizzle');
SELECT version, name FROM schemata.apply(fixture('adopt_drizzle'), 'ad_drizzle');
-- a created_at that no journal entry has; a skipped entry; a directory
-- without a journal
CREATE SCHEMA ad_drizzle_err;
INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('hx', 1704067200001);
SELECT * FROM schemata.adopt(fixture('adopt_drizzle'), 'ad_drizzle_err');
DELETE FROM drizzle.__drizzle_migrations WHERE created_at IN (1704067200001, 1704153600000);
INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('h2', 1704240000000);
SELECT * FROM schemata.adopt(fixture('adopt_drizzle'), 'ad_drizzle_err');
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_drizzle_err', 'drizzle');
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'ad_drizzle_err';
DROP SCHEMA drizzle CASCADE;

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
-- a table of the tool's name without its columns; unknown tools
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err', 'flyway');
CREATE TABLE ad_err._prisma_migrations (id text);
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP TABLE ad_err._prisma_migrations;
CREATE TABLE ad_err.flyway_schema_history (installed_rank int, version int, type text,
                                           script text, success boolean);
SELECT * FROM schemata.adopt(fixture('adopt_dbmate'), 'ad_err');
DROP TABLE ad_err.flyway_schema_history;
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
WHERE target_schema IN ('ad_dirty', 'ad_failed', 'ad_prisma_err', 'ad_drizzle_err');

-- clean up
SET client_min_messages = warning;
DROP SCHEMA ad_dbmate, ad_golang, ad_diesel, ad_sqlx, ad_failed, ad_err, ad_flyway,
    ad_fly_base, ad_prisma, ad_prisma_err, ad_drizzle, ad_drizzle_err CASCADE;
RESET client_min_messages;
REVOKE ALL ON SCHEMA schemata FROM regress_adopt_owner, regress_adopt_other;
REVOKE ALL ON FUNCTION schemata.adopt(text, name, text) FROM regress_adopt_owner, regress_adopt_other;
DROP ROLE regress_adopt_owner, regress_adopt_other;

