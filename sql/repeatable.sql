--
-- repeatable: Flyway's repeatable migrations (R__<description>.sql), run
-- after the versioned migrations of a call, in name order, and again
-- whenever their checksum changes.
--
CREATE FUNCTION pg_temp.recorded(s name)
RETURNS TABLE (version text, name text, batch integer, has_down boolean)
LANGUAGE sql AS $$
    SELECT m.version, m.name, m.batch, m.down_sql IS NOT NULL
      FROM schemata.migrations m WHERE m.target_schema = s ORDER BY m.version
$$;

-- plan shows them after the versioned ones, in name order
SELECT version, name, statements, has_down FROM schemata.plan(fixture('repeatable_v1'), 'rpt');

-- apply runs them after the versioned ones, in the same transaction
SELECT version, name FROM schemata.apply(fixture('repeatable_v1'), 'rpt');
SELECT n, ran FROM rpt.repeat_log ORDER BY n;
SELECT * FROM pg_temp.recorded('rpt');
SELECT version, name, state, batch FROM schemata.status(fixture('repeatable_v1'), 'rpt');
-- a repeatable migration is not a version
SELECT schemata.version('rpt');
-- unchanged: nothing to run again
SELECT version FROM schemata.apply(fixture('repeatable_v1'), 'rpt');

-- A changed repeatable migration is not drift: it is pending again, and runs
-- after the new versioned one; one only reformatted (same checksum) is not.
SELECT version, name, state, batch FROM schemata.status(fixture('repeatable_v2'), 'rpt');
SELECT version, name FROM schemata.plan(fixture('repeatable_v2'), 'rpt');
SELECT version, name FROM schemata.apply(fixture('repeatable_v2'), 'rpt');
SELECT n, ran FROM rpt.repeat_log WHERE n > 4 ORDER BY n;
SELECT attname FROM pg_attribute WHERE attrelid = 'rpt.items_view'::regclass AND attnum > 0
 ORDER BY attnum;
-- its row is replaced: one row per repeatable migration, of the latest run
SELECT * FROM pg_temp.recorded('rpt');
SELECT version, name, state, batch FROM schemata.status(fixture('repeatable_v2'), 'rpt');
-- without dir, history alone: repeatable rows after the versioned ones
SELECT version, state FROM schemata.status(target_schema => 'rpt');

-- rollback undoes the last batch's versioned migrations; a repeatable one
-- has no down script and is never undone
SELECT version FROM schemata.rollback('rpt');
SELECT * FROM pg_temp.recorded('rpt');
-- a call with to_version stops at a version: repeatable migrations wait for
-- one without, even when to_version is the directory's last
SELECT version FROM schemata.plan(fixture('repeatable_v1'), 'rpt_to', to_version => '2');
SELECT version FROM schemata.plan(fixture('repeatable_v1'), 'rpt_to');
-- repair and baseline leave repeatable rows alone
SELECT schemata.repair(fixture('repeatable_v2'), 'rpt');
SELECT count(*) FROM schemata.migrations WHERE target_schema = 'rpt' AND version LIKE 'R\_\_%';

-- migrate runs them the same way, each committed
CALL schemata.migrate(fixture('repeatable_v1'), 'rpt_m');
CALL schemata.migrate(fixture('repeatable_v2'), 'rpt_m');
SELECT n, ran FROM rpt_m.repeat_log ORDER BY n;
SELECT version, name, state FROM schemata.status(fixture('repeatable_v2'), 'rpt_m');

-- baseline records the versioned migrations only: repeatable ones stay
-- pending and run at the next apply
SELECT schemata.baseline('2', 'rpt_b', dir => fixture('repeatable_v1'));
SELECT version, state FROM schemata.status(fixture('repeatable_v1'), 'rpt_b');

-- a directory of repeatable migrations only
SELECT version, name FROM schemata.apply(fixture('repeatable_only'), 'rpt_only');
SELECT version FROM schemata.apply(fixture('repeatable_only'), 'rpt_only');
SELECT schemata.version('rpt_only');

-- a failing repeatable migration fails the call: nothing of it stays
SELECT error_of($$SELECT * FROM schemata.apply(fixture('repeatable_bad'), 'rpt_bad')$$);
SELECT count(*) FROM pg_namespace WHERE nspname = 'rpt_bad';

-- adopt from Flyway: its repeatable rows (no version) are matched by script
-- and not recorded: the migration runs once more, as the file's checksum
-- cannot be compared with Flyway's
CREATE SCHEMA rpt_fly;
CREATE TABLE rpt_fly.flyway_schema_history (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL);
INSERT INTO rpt_fly.flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (1, '1', 'create items', 'SQL', 'V1__create_items.sql', 11, 'app', 1, true),
       (2, '2', 'add name', 'SQL', 'V2__add_name.sql', 12, 'app', 1, true),
       (3, NULL, 'items view', 'SQL', 'R__items_view.sql', 13, 'app', 1, true);
SELECT version, name FROM schemata.adopt(fixture('repeatable_v1'), 'rpt_fly', 'flyway');
SELECT version, state FROM schemata.status(fixture('repeatable_v1'), 'rpt_fly');
-- a schema whose history holds only repeatable rows is not empty for adopt
SELECT error_of($$SELECT * FROM schemata.adopt(fixture('repeatable_only'), 'rpt_only', 'flyway')$$);

SET client_min_messages = warning;
DROP SCHEMA rpt, rpt_m, rpt_only, rpt_fly CASCADE;
DELETE FROM schemata.migrations WHERE target_schema IN ('rpt', 'rpt_m', 'rpt_b', 'rpt_only', 'rpt_fly');
RESET client_min_messages;
