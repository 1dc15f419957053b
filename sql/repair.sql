--
-- repair(): re-recording names, checksums and down scripts from the files
--

CREATE FUNCTION pg_temp.history(s name)
RETURNS TABLE (version text, name text, batch integer, checksum text, down_sql text)
LANGUAGE sql AS $$
    SELECT m.version, m.name, m.batch, m.checksum, m.down_sql FROM schemata.migrations m
    WHERE m.target_schema = s ORDER BY m.version
$$;
CREATE FUNCTION pg_temp.history_text(s name) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(h::text, ', '), '(no history)') FROM pg_temp.history(s) h
$$;

-- Applied from repair_v1.  repair_v2 holds the same migrations, edited:
-- 0001 reformatted (a comment and line breaks: not drift), 0002's up script
-- changed, 0003 renamed with a changed down script, 0004 gone.
SELECT version FROM schemata.apply(fixture('repair_v1'), 'rp');
SELECT version, state FROM schemata.status(fixture('repair_v2'), 'rp');
\set VERBOSITY terse
SELECT * FROM schemata.apply(fixture('repair_v2'), 'rp');
\set VERBOSITY default

CREATE TEMP TABLE rp_v1 AS SELECT * FROM pg_temp.history('rp');

-- repair: 0002 (checksum) and 0003 (name, down script) change; 0001 does
-- not; 0004 is named in a NOTICE and left as recorded.
SELECT schemata.repair(fixture('repair_v2'), 'rp');
SELECT h.version, h.name, h.batch,
       h.checksum = o.checksum AS same_checksum, h.down_sql = o.down_sql AS same_down_sql
FROM pg_temp.history('rp') h JOIN rp_v1 o USING (version)
ORDER BY h.version;
SELECT down_sql FROM pg_temp.history('rp') WHERE version = '0003';
-- Now the files match the history: status shows no drift, apply has nothing
-- to do, and a second repair changes nothing.
SELECT version, state FROM schemata.status(fixture('repair_v2'), 'rp');
SELECT * FROM schemata.apply(fixture('repair_v2'), 'rp');
SELECT schemata.repair(fixture('repair_v2'), 'rp');
-- The repaired down script is the one rollback runs.
SELECT version FROM schemata.rollback('rp', to_version => '0002');
SELECT version FROM pg_temp.history('rp');
SELECT to_regclass('rp.rp_three') AS rp_three, to_regclass('rp.rp_three_old') AS rp_three_old,
       to_regclass('rp.rp_four') AS rp_four;

-- A baseline recorded without files gets its name, checksum and down
-- script from them.
SELECT schemata.baseline('0002', 'rp_baseline');
SELECT schemata.repair(fixture('repair_v1'), 'rp_baseline');
SELECT version, name, batch, checksum IS NOT NULL AS has_checksum, down_sql
FROM pg_temp.history('rp_baseline');

-- Nothing applied: nothing to repair.
SELECT schemata.repair(fixture('repair_v1'), 'rp_empty');

--
-- Bad input: a clear error, and nothing changed.
--
SELECT pg_temp.history_text('rp') AS rp_before \gset
-- relative or missing dir
SELECT schemata.repair('repair_v1', 'rp');
SELECT error_of(format('SELECT schemata.repair(%L, %L)', fixture('no_such_dir'), 'rp'));
-- NULL dir or target schema, reserved target schema
SELECT schemata.repair(NULL, 'rp');
SELECT schemata.repair(fixture('repair_v1'), NULL);
SELECT schemata.repair(fixture('repair_v1'), 'pg_toast');
-- 0002's down script cannot run in a migration: a WARNING naming file and
-- line, and it is recorded as written, as 0001's is (rolled back here, to
-- keep rp as it was)
BEGIN;
SELECT schemata.repair(fixture('repair_bad'), 'rp');
SELECT version, name, down_sql FROM pg_temp.history('rp') WHERE version IN ('0001', '0002');
ROLLBACK;
SELECT pg_temp.history_text('rp') = :'rp_before' AS rp_unchanged;
-- up scripts are checked as apply checks them: a file holding ROLLBACK,
-- VACUUM or a syntax error is refused, and nothing is recorded.  0001 is
-- applied, 0002 recorded by a baseline without files.
SELECT version FROM schemata.apply(fixture('bad_syntax'), 'rp_bad_up', to_version => '0001');
SELECT schemata.baseline('0002', 'rp_bad_up');
SELECT pg_temp.history_text('rp_bad_up') AS rp_bad_up_before \gset
SELECT schemata.repair(fixture('bad_rollback'), 'rp_bad_up');
SELECT schemata.repair(fixture('bad_altersystem'), 'rp_bad_up');
SELECT schemata.repair(fixture('bad_syntax'), 'rp_bad_up');
SELECT pg_temp.history_text('rp_bad_up') = :'rp_bad_up_before' AS rp_bad_up_unchanged;
