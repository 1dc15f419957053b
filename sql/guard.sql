--
-- guard: what a migration may not do to schemata itself, and the limits of
-- what it may do: change the history or the checksum cache (past the
-- triggers too), change standard_conforming_strings; the rows its
-- statements return are discarded; schemata.max_file_size is the
-- superusers'.
--

-- A role that is not a superuser cannot raise schemata.max_file_size, not
-- even by setting it before the library is loaded.
CREATE ROLE guard_user;
SET ROLE guard_user;
SET schemata.max_file_size = '200MB';
RESET ROLE;
LOAD 'schemata';
SHOW schemata.max_file_size;
SET ROLE guard_user;
SET schemata.max_file_size = '200MB';
SHOW schemata.max_file_size;
RESET ROLE;
SET schemata.max_file_size = '200MB';
SHOW schemata.max_file_size;
RESET schemata.max_file_size;
DROP ROLE guard_user;

-- Some history, and a copy of it to compare with.
SELECT count(*) FROM schemata.apply(fixture('basic'), 'guard_base');
CREATE TEMP TABLE history_before AS SELECT * FROM schemata.migrations;
CREATE FUNCTION history_unchanged() RETURNS boolean
LANGUAGE sql
AS $$
SELECT NOT EXISTS (TABLE schemata.migrations EXCEPT TABLE history_before)
   AND NOT EXISTS (TABLE history_before EXCEPT TABLE schemata.migrations)
$$;
CREATE FUNCTION guards() RETURNS TABLE (relname name, tgname name, tgenabled "char")
LANGUAGE sql
AS $$
SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'schemata'::regnamespace AND NOT t.tgisinternal
 ORDER BY 1, 2
$$;
-- Both guards fire whatever session_replication_role says ("A").
SELECT * FROM guards();

-- session_replication_role = replica does not silence the trigger.
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_replica'), 'guard_r')$$);
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_truncate'), 'guard_r')$$);
SELECT history_unchanged(), to_regnamespace('guard_r') IS NULL AS no_schema;

-- A superuser's migration that disables the trigger is caught after it ran:
-- by the rows it wrote, or by the lock ALTER TABLE took when track_counts
-- was off.  The whole call is rolled back.
SELECT * FROM schemata.apply(fixture('guard_disable'), 'guard_r');
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_disable'), 'guard_r')$$);
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_quiet'), 'guard_r')$$);
SELECT history_unchanged(), to_regnamespace('guard_r') IS NULL AS no_schema;
SELECT * FROM guards();

-- migrate() commits 0001, and stops at 0002, rolled back.
CALL schemata.migrate(fixture('guard_disable'), 'guard_m');
SELECT version, name FROM schemata.migrations WHERE target_schema = 'guard_m';
DELETE FROM schemata.migrations WHERE target_schema = 'guard_m';
SELECT history_unchanged();

-- A migration that releases migrate()'s lock stops the call: rolled back
-- when the lock is gone before its commit (test/specs/migrate_unlock.spec),
-- committed when it took the transaction-level form in its place, which the
-- commit released.  No lock is left either way.
CALL schemata.migrate(fixture('migrate_relock'), 'guard_l');
SELECT version, name FROM schemata.migrations WHERE target_schema = 'guard_l';
SELECT to_regclass('guard_l.relocked') IS NOT NULL AS committed,
       to_regclass('guard_l.after_relock') IS NULL AS stopped;
SELECT count(*) AS advisory_locks FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid();
DELETE FROM schemata.migrations WHERE target_schema = 'guard_l';
SELECT history_unchanged();

-- The checksum cache: its trigger, and past it.
SELECT count(*) > 0 AS cache_has_rows FROM schemata.file_checksums;
CREATE TEMP TABLE cache_before AS SELECT * FROM schemata.file_checksums;
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_cache'), 'guard_c')$$);
SELECT error_of($$SELECT * FROM schemata.apply(fixture('guard_cache_disable'), 'guard_c')$$);
SELECT NOT EXISTS (TABLE schemata.file_checksums EXCEPT TABLE cache_before)
   AND NOT EXISTS (TABLE cache_before EXCEPT TABLE schemata.file_checksums) AS cache_unchanged;
SELECT * FROM guards();

-- Outside migrations the tables take writes, as pg_restore makes them.
BEGIN;
DELETE FROM schemata.file_checksums;
ROLLBACK;

-- standard_conforming_strings: SET is refused before anything runs,
-- set_config() when it has run; the session keeps its value.
SELECT * FROM schemata.apply(fixture('scs_set'), 'guard_s');
SELECT error_of($$SELECT * FROM schemata.apply(fixture('scs_set_config'), 'guard_s')$$);
SHOW standard_conforming_strings;
SELECT to_regnamespace('guard_s') IS NULL AS no_schema;

-- Rows statements return are discarded; what the statements do stays.
SELECT version FROM schemata.apply(fixture('rows_returned'), 'guard_rows');
SELECT (SELECT array_agg(id ORDER BY id) FROM guard_rows.r) AS r,
       (SELECT array_agg(id ORDER BY id) FROM guard_rows.r2) AS r2,
       (SELECT array_agg(id ORDER BY id) FROM guard_rows.r3) AS r3;
