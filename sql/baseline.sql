--
-- baseline(): recording migrations as applied without running them
--

CREATE FUNCTION pg_temp.history(s name)
RETURNS TABLE (version text, name text, batch integer, checksum text, down_sql text,
               duration_ms float8)
LANGUAGE sql AS $$
    SELECT m.version, m.name, m.batch, m.checksum, m.down_sql, m.duration_ms
    FROM schemata.migrations m
    WHERE m.target_schema = s ORDER BY m.version
$$;
CREATE FUNCTION pg_temp.history_text(s name) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(h::text, ', '), '(no history)') FROM pg_temp.history(s) h
$$;

-- An existing database: its schema already holds what 0001 and 0002 create.
CREATE SCHEMA bl;
CREATE TABLE bl.bl_one (id integer);
CREATE TABLE bl.bl_two (id integer);

-- With dir: every migration up to the version, with names, checksums and
-- down scripts from the files, in batch 0.
SELECT schemata.baseline('0002', 'bl', dir => fixture('baseline_app'));
SELECT version, name, batch, checksum IS NOT NULL AS has_checksum, down_sql, duration_ms
FROM pg_temp.history('bl');
-- The recorded checksums are the files' checksums: nothing is modified.
SELECT version, state, batch FROM schemata.status(fixture('baseline_app'), 'bl');
SELECT schemata.version('bl');

-- apply runs only what comes after, as batch 1.
SELECT version FROM schemata.apply(fixture('baseline_app'), 'bl');
SELECT version, batch FROM pg_temp.history('bl');

-- rollback() undoes the last batch apply ran, never a baseline by default.
SELECT version FROM schemata.rollback('bl');
SELECT * FROM schemata.rollback('bl');
-- steps undo baseline migrations with the down scripts baseline recorded.
SELECT version FROM schemata.rollback('bl', steps => 1);
SELECT version, batch FROM pg_temp.history('bl');
SELECT to_regclass('bl.bl_two') AS bl_two, to_regclass('bl.bl_one') AS bl_one;

-- A version written differently from the file's is the same version; the
-- history records the file's spelling.
SELECT schemata.baseline('1', 'bl_spelling', dir => fixture('baseline_app'));
SELECT version, name FROM pg_temp.history('bl_spelling');

-- Rows below the version may exist already: only the missing ones are
-- recorded.
SELECT version FROM schemata.apply(fixture('baseline_app'), 'bl_partial', to_version => '0001');
SELECT schemata.baseline('0003', 'bl_partial', dir => fixture('baseline_app'));
SELECT version, batch FROM pg_temp.history('bl_partial');

-- Without dir: one row for the version itself, named after it, without
-- checksum or down script.
SELECT schemata.baseline('2024-01-15', 'bl_nodir');
SELECT version, name, batch, checksum, down_sql FROM pg_temp.history('bl_nodir');
SELECT version, state, batch, checksum FROM schemata.status(NULL, 'bl_nodir');
SELECT schemata.version('bl_nodir');
-- It cannot be rolled back: it has no down script.
SELECT * FROM schemata.rollback('bl_nodir', steps => 1);

-- The files at or below a baseline version count as applied: apply runs
-- only what comes after it, and status shows them applied (batch NULL: they
-- have no row of their own).
SELECT schemata.baseline('0002', 'bl_adopt');
SELECT version, state, batch FROM schemata.status(fixture('baseline_app'), 'bl_adopt');
SELECT version FROM schemata.plan(fixture('baseline_app'), 'bl_adopt');

--
-- Bad input: a clear error, and nothing changed.
--
SELECT pg_temp.history_text('bl') AS bl_before \gset
-- a version absent from dir
SELECT schemata.baseline('0005', 'bl', dir => fixture('baseline_app'));
SELECT schemata.baseline('0005', 'bl_absent', dir => fixture('baseline_app'));
SELECT pg_temp.history_text('bl_absent');
-- a down script that cannot run in a migration, after one that is fine: a
-- WARNING naming file and line, and both are recorded as written
SELECT schemata.baseline('0002', 'bl_bad', dir => fixture('repair_bad'));
SELECT pg_temp.history_text('bl_bad');
-- an up script apply would refuse is checked as apply checks it: ROLLBACK,
-- ALTER SYSTEM, a syntax error (in 0002, after a 0001 that is fine); nothing is
-- recorded
SELECT schemata.baseline('0001', 'bl_bad_up', dir => fixture('bad_rollback'));
SELECT schemata.baseline('0001', 'bl_bad_up', dir => fixture('bad_altersystem'));
SELECT schemata.baseline('0002', 'bl_bad_up', dir => fixture('bad_syntax'));
SELECT pg_temp.history_text('bl_bad_up');
-- history already holds the version, or one above it
SELECT schemata.baseline('0001', 'bl');
SELECT schemata.baseline('0001', 'bl', dir => fixture('baseline_app'));
SELECT schemata.baseline('0002', 'bl_partial', dir => fixture('baseline_app'));
-- not a version, or NULL
SELECT schemata.baseline('v2', 'bl');
SELECT schemata.baseline(NULL, 'bl');
SELECT schemata.baseline('0003', NULL);
-- reserved target schema
SELECT schemata.baseline('0003', 'schemata');
-- relative or missing dir
SELECT schemata.baseline('0003', 'bl', dir => 'baseline_app');
SELECT error_of(format('SELECT schemata.baseline(%L, %L, dir => %L)',
                       '0003', 'bl', fixture('no_such_dir')));
SELECT pg_temp.history_text('bl') = :'bl_before' AS bl_unchanged;
