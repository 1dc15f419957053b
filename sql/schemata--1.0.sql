/* sql/schemata--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION schemata" to load this file. \quit

-- The schema belongs to the extension: DROP EXTENSION removes it.
CREATE SCHEMA schemata;
COMMENT ON SCHEMA schemata IS 'schema migrations run from inside the server';

-- One row per applied migration and target schema.  Written only by the
-- extension's functions (as the extension owner); kept by pg_dump.
CREATE TABLE schemata.migrations (
    target_schema name NOT NULL,
    version text NOT NULL,
    name text NOT NULL,
    checksum text,
    down_sql text,
    batch integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    applied_by name NOT NULL DEFAULT CURRENT_USER,
    duration_ms float8 NOT NULL DEFAULT 0,
    PRIMARY KEY (target_schema, version)
);
COMMENT ON TABLE schemata.migrations IS 'applied migrations, one row per target schema and version';
SELECT pg_catalog.pg_extension_config_dump('schemata.migrations', '');

-- The checksum cache (src/checksums.c): the stat data and up-script checksum
-- of each migration file an apply() read, so that an unchanged file need not
-- be read again to check it for drift.  One row per target schema and
-- directory, element i of each array about files[i].  Not dumped: it fills
-- anew.
CREATE TABLE schemata.file_checksums (
    target_schema name NOT NULL,
    dir text NOT NULL,
    files text[] NOT NULL,
    devices int8[] NOT NULL,
    inodes int8[] NOT NULL,
    sizes int8[] NOT NULL,
    mtimes_ns int8[] NOT NULL,
    ctimes_ns int8[] NOT NULL,
    checksums text[] NOT NULL,
    PRIMARY KEY (target_schema, dir)
);
-- Stored uncompressed: pglz spent longer compressing the arrays of 10,000
-- files than apply() spent on everything else it adds to the migrations.
ALTER TABLE schemata.file_checksums
    ALTER files SET STORAGE EXTERNAL, ALTER devices SET STORAGE EXTERNAL,
    ALTER inodes SET STORAGE EXTERNAL, ALTER sizes SET STORAGE EXTERNAL,
    ALTER mtimes_ns SET STORAGE EXTERNAL, ALTER ctimes_ns SET STORAGE EXTERNAL,
    ALTER checksums SET STORAGE EXTERNAL;
COMMENT ON TABLE schemata.file_checksums IS 'checksums of migration files, valid while their stat data are unchanged';

-- No migration may change the history while it runs (directly, or through
-- baseline() and its kin): schemata records it between migrations.  Nor the
-- checksum cache.  ENABLE ALWAYS: the guards fire under
-- session_replication_role = replica too.  A migration that gets past them
-- (a superuser may disable a trigger) is caught after it ran (runner.c).
CREATE FUNCTION schemata.history_guard() RETURNS trigger
AS 'MODULE_PATHNAME', 'schemata_history_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION schemata.history_guard() FROM PUBLIC;
CREATE TRIGGER history_guard
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON schemata.migrations
    FOR EACH STATEMENT EXECUTE FUNCTION schemata.history_guard();
ALTER TABLE schemata.migrations ENABLE ALWAYS TRIGGER history_guard;
CREATE FUNCTION schemata.checksums_guard() RETURNS trigger
AS 'MODULE_PATHNAME', 'schemata_checksums_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION schemata.checksums_guard() FROM PUBLIC;
CREATE TRIGGER checksums_guard
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON schemata.file_checksums
    FOR EACH STATEMENT EXECUTE FUNCTION schemata.checksums_guard();
ALTER TABLE schemata.file_checksums ENABLE ALWAYS TRIGGER checksums_guard;

CREATE FUNCTION schemata.apply(
    dir text,
    target_schema name DEFAULT 'public',
    to_version text DEFAULT NULL,
    allow_out_of_order boolean DEFAULT false,
    lock_timeout text DEFAULT NULL,
    lock_retries integer DEFAULT 0)
RETURNS TABLE (version text, name text, checksum text, duration_ms float8)
AS 'MODULE_PATHNAME', 'schemata_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.apply(text, name, text, boolean, text, integer) IS
    'apply the pending migrations of a server directory in the current transaction';

CREATE FUNCTION schemata.plan(
    dir text,
    target_schema name DEFAULT 'public',
    to_version text DEFAULT NULL,
    allow_out_of_order boolean DEFAULT false)
RETURNS TABLE (version text, name text, checksum text, statements integer,
               has_down boolean, up_sql text, non_transactional boolean,
               down_problem text)
AS 'MODULE_PATHNAME', 'schemata_plan'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.plan(text, name, text, boolean) IS
    'what apply would run, after the same checks; runs nothing';

CREATE FUNCTION schemata.status(
    dir text DEFAULT NULL,
    target_schema name DEFAULT 'public')
RETURNS TABLE (version text, name text, state text, batch integer,
               applied_at timestamptz, applied_by name, checksum text,
               duration_ms float8, non_transactional boolean,
               down_problem text)
AS 'MODULE_PATHNAME', 'schemata_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.status(text, name) IS
    'every migration known from history and directory, with its state';

-- VOLATILE, like status(): it reads the history with a snapshot of its own.
CREATE FUNCTION schemata.version(target_schema name DEFAULT 'public')
RETURNS text
AS 'MODULE_PATHNAME', 'schemata_version'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.version(name) IS
    'highest applied version of a target schema, or NULL';

CREATE FUNCTION schemata.bootstrap(
    models jsonb,
    target_schema name DEFAULT NULL,
    extensions text[] DEFAULT '{pgcrypto}')
RETURNS TABLE (object_type text, object_name text, action text)
AS 'MODULE_PATHNAME', 'schemata_bootstrap_models'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.bootstrap(jsonb, name, text[]) IS
    'create the tables of pg-schemata table models that do not exist yet';

CREATE FUNCTION schemata.teardown(
    models jsonb,
    target_schema name DEFAULT NULL,
    cascade boolean DEFAULT false,
    drop_schema boolean DEFAULT false)
RETURNS TABLE (object_type text, object_name text, action text)
AS 'MODULE_PATHNAME', 'schemata_teardown_models'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.teardown(jsonb, name, boolean, boolean) IS
    'drop the tables of pg-schemata table models, with cascade what depends on them, with drop_schema their schemas left empty';

CREATE FUNCTION schemata.diff(
    models jsonb,
    target_schema name DEFAULT NULL)
RETURNS TABLE (step integer, operation text, object_name text,
               destructive boolean, sql text)
AS 'MODULE_PATHNAME', 'schemata_diff_models'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.diff(jsonb, name) IS
    'the ordered steps that bring the live catalog to pg-schemata table models';

CREATE FUNCTION schemata.sync(
    models jsonb,
    target_schema name DEFAULT NULL,
    allow_destructive boolean DEFAULT false)
RETURNS TABLE (step integer, operation text, object_name text,
               destructive boolean, sql text)
AS 'MODULE_PATHNAME', 'schemata_sync_models'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.sync(jsonb, name, boolean) IS
    'run the steps of diff in the current transaction';

-- Reading server directories and changing schemas is not for everyone.
REVOKE ALL ON FUNCTION schemata.apply(text, name, text, boolean, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.plan(text, name, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.status(text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.version(name) FROM PUBLIC;

CREATE FUNCTION schemata.rollback(
    target_schema name DEFAULT 'public',
    steps integer DEFAULT NULL,
    to_version text DEFAULT NULL,
    dir text DEFAULT NULL)
RETURNS TABLE (version text, name text, duration_ms float8)
AS 'MODULE_PATHNAME', 'schemata_rollback'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.rollback(name, integer, text, text) IS
    'undo the last batch, the last steps migrations or every migration above to_version with their down scripts';

CREATE FUNCTION schemata.baseline(
    version text,
    target_schema name DEFAULT 'public',
    dir text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'schemata_baseline'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.baseline(text, name, text) IS
    'record migrations up to a version as applied without running them (batch 0)';

CREATE FUNCTION schemata.repair(
    dir text,
    target_schema name DEFAULT 'public')
RETURNS integer
AS 'MODULE_PATHNAME', 'schemata_repair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.repair(text, name) IS
    're-record the names, checksums and down scripts of applied migrations from their files';

REVOKE ALL ON FUNCTION schemata.rollback(name, integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.baseline(text, name, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.repair(text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.bootstrap(jsonb, name, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.teardown(jsonb, name, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.diff(jsonb, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION schemata.sync(jsonb, name, boolean) FROM PUBLIC;

-- apply, with a commit after each migration: CALL it outside a transaction block.
CREATE PROCEDURE schemata.migrate(
    dir text,
    target_schema name DEFAULT 'public',
    to_version text DEFAULT NULL,
    allow_out_of_order boolean DEFAULT false,
    lock_timeout text DEFAULT NULL,
    lock_retries integer DEFAULT 0)
AS 'MODULE_PATHNAME', 'schemata_migrate'
LANGUAGE C;
COMMENT ON PROCEDURE schemata.migrate(text, name, text, boolean, text, integer) IS
    'apply the pending migrations of a server directory, committing after each one';
REVOKE ALL ON PROCEDURE schemata.migrate(text, name, text, boolean, text, integer) FROM PUBLIC;

-- rollback, with a commit after each migration undone; down scripts that
-- cannot run in a transaction (DROP INDEX CONCURRENTLY, ...) run outside one.
CREATE PROCEDURE schemata.rollback_each(
    target_schema name DEFAULT 'public',
    steps integer DEFAULT NULL,
    to_version text DEFAULT NULL,
    dir text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'schemata_rollback_each'
LANGUAGE C;
COMMENT ON PROCEDURE schemata.rollback_each(name, integer, text, text) IS
    'rollback, committing after each migration undone; runs non-transactional down scripts outside a transaction';
REVOKE ALL ON PROCEDURE schemata.rollback_each(name, integer, text, text) FROM PUBLIC;

-- another tool's history recorded as baseline rows (batch 0); adopt.c
CREATE FUNCTION schemata.adopt(
    dir text,
    target_schema name DEFAULT 'public',
    from_tool text DEFAULT NULL)
RETURNS TABLE (version text, name text, checksum text)
AS 'MODULE_PATHNAME', 'schemata_adopt'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.adopt(text, name, text) IS
    'record the migrations another tool''s history table says were applied, without running them (batch 0)';
REVOKE ALL ON FUNCTION schemata.adopt(text, name, text) FROM PUBLIC;

-- what the pending migrations would do to the live tables they touch; lint.c
CREATE FUNCTION schemata.lint(
    dir text,
    target_schema name DEFAULT 'public',
    to_version text DEFAULT NULL)
RETURNS TABLE (version text, file text, line integer, statement text,
               rule text, severity text, table_name text, lock_mode text,
               table_size bigint, estimated_rows bigint, message text)
AS 'MODULE_PATHNAME', 'schemata_lint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.lint(text, name, text) IS
    'the locks, rewrites and scans the pending migrations would cause on live tables, with their sizes; runs nothing';
REVOKE ALL ON FUNCTION schemata.lint(text, name, text) FROM PUBLIC;

-- the pending migrations run for real, observed and rolled back; rehearse.c
CREATE FUNCTION schemata.rehearse(
    dir text,
    target_schema name DEFAULT 'public',
    to_version text DEFAULT NULL)
RETURNS TABLE (version text, name text, duration_ms float8, locks text[],
               rewritten text[], row_counts jsonb, created text[],
               altered text[], dropped text[])
AS 'MODULE_PATHNAME', 'schemata_rehearse'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION schemata.rehearse(text, name, text) IS
    'run the pending migrations in a subtransaction, report the locks, rewrites, rows and objects of each, and roll it all back';
REVOKE ALL ON FUNCTION schemata.rehearse(text, name, text) FROM PUBLIC;
