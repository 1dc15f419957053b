--
-- execution: how migrations run — inside the caller's transaction, with
-- BEGIN/COMMIT dropped, in the target schema, each from the caller's settings.
--

-- BEGIN/START TRANSACTION and COMMIT/END are dropped with a NOTICE naming
-- file and line; plan() reports them without running anything.
SELECT version, statements FROM schemata.plan(fixture('txn_blocks'), 'blocks');
SELECT version FROM schemata.apply(fixture('txn_blocks'), 'blocks');
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'blocks';

-- The caller's transaction: a ROLLBACK undoes migrations and history alike.
BEGIN;
SELECT version FROM schemata.apply(fixture('basic'), 'in_txn');
SELECT schemata.version('in_txn');
ROLLBACK;
SELECT schemata.version('in_txn'), to_regnamespace('in_txn') AS schema;

-- Two calls in one transaction: the second finds nothing to do.
BEGIN;
SELECT version FROM schemata.apply(fixture('basic'), 'in_txn', to_version => '0001');
SELECT version FROM schemata.apply(fixture('basic'), 'in_txn');
SELECT version FROM schemata.apply(fixture('basic'), 'in_txn');
COMMIT;
SELECT version, batch FROM schemata.migrations WHERE target_schema = 'in_txn' ORDER BY version;

-- Settings: 0001 changes TimeZone (SET), work_mem (SET LOCAL),
-- statement_timeout (set_config) and search_path; 0002 starts from the
-- caller's settings with search_path = target schema, caller's path.
SET TimeZone = 'UTC';
SET search_path = public;
SELECT version FROM schemata.apply(fixture('settings'), 'settings');
SELECT path FROM settings.seen_by_first;
SELECT timezone, work_mem = current_setting('work_mem') AS caller_work_mem,
       statement_timeout, path
  FROM settings.seen_by_second;
-- and the caller's session is as it was
SELECT current_setting('TimeZone') AS timezone, current_setting('search_path') AS path,
       current_setting('statement_timeout') AS statement_timeout;

-- A target schema name that needs quoting.
SELECT version FROM schemata.apply(fixture('basic'), 'Tenant "A"', to_version => '0001');
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'Tenant "A"' AND c.relkind = 'r';

SET client_min_messages = warning;
DROP SCHEMA blocks CASCADE;
DROP SCHEMA in_txn CASCADE;
DROP SCHEMA settings CASCADE;
DROP SCHEMA "Tenant ""A""" CASCADE;
DELETE FROM schemata.migrations;
