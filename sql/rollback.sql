--
-- rollback(): undoing applied migrations with their down scripts
--

-- A schema's history (fingerprint(), from setup, gives its tables and versions).
CREATE FUNCTION pg_temp.history(s name)
RETURNS TABLE (version text, name text, batch integer, down_sql text)
LANGUAGE sql AS $$
    SELECT m.version, m.name, m.batch, m.down_sql FROM schemata.migrations m
    WHERE m.target_schema = s ORDER BY m.version
$$;

-- Three batches in schema rb, and the same migrations in schema rb_other.
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb', to_version => '0001');
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb', to_version => '0003');
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb');
SELECT count(*) FROM schemata.apply(fixture('rollback_basic'), 'rb_other');
SELECT version, name, batch FROM pg_temp.history('rb');
SELECT fingerprint('rb_other') AS rb_other_before \gset

-- Without arguments: the last batch.  Rows and NOTICEs come newest first.
SELECT version, name FROM schemata.rollback('rb');
SELECT fingerprint('rb');
-- The batch of 0002 and 0003: 0003 (tags, which references items) goes first.
SELECT version, name FROM schemata.rollback(target_schema => 'rb');
SELECT version, name, batch FROM pg_temp.history('rb');
SELECT fingerprint('rb');
SELECT schemata.version('rb');
SELECT version, state, batch FROM schemata.status(fixture('rollback_basic'), 'rb');
-- The down scripts ran with the target schema first on search_path; the
-- caller's search_path is as it was.
SHOW search_path;

-- The next apply is a new batch.  Batches 2 and 3 are gone, so it is
-- numbered from what is left, the highest remaining batch plus one: 2 again
-- (as in knex and the Bun migrator).
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb');
SELECT version, name, batch FROM pg_temp.history('rb');

-- steps: the last n migrations, whatever their batch.
SELECT version, name FROM schemata.rollback('rb', steps => 2);
SELECT version, batch FROM pg_temp.history('rb');

-- to_version: every migration above it.
SELECT version, name FROM schemata.rollback('rb', to_version => '1');
SELECT version, batch FROM pg_temp.history('rb');
SELECT fingerprint('rb');

-- Order is by version, never by the order of applying: 0001 and 0003 are
-- applied, then 0002 out of order in a later batch.  The last two
-- migrations are 0003 and 0002, undone in that order.
SELECT version FROM schemata.apply(fixture('rollback_gap'), 'rb_order');
SELECT version FROM schemata.apply(fixture('rollback_gap_filled'), 'rb_order',
                                   allow_out_of_order => true);
SELECT version, batch FROM pg_temp.history('rb_order');
SELECT version, name FROM schemata.rollback('rb_order', steps => 2);
SELECT fingerprint('rb_order');

-- to_version need not be applied: every applied migration above it is
-- undone (0001 and 0003 applied, to_version 0002 undoes 0003); one above
-- every applied version undoes nothing.
SELECT version FROM schemata.apply(fixture('rollback_gap'), 'rb_to');
SELECT version, name FROM schemata.rollback('rb_to', to_version => '0002');
SELECT version FROM pg_temp.history('rb_to');
SELECT version, name FROM schemata.rollback('rb_to', to_version => '0099');
SELECT version, name FROM schemata.rollback('rb_to', to_version => '0000');
SELECT count(*) AS history FROM pg_temp.history('rb_to');

-- duration_ms is the time the down script took, in milliseconds: the down
-- script of "timed" sleeps 10 ms.
SELECT count(*) FROM schemata.apply(fixture('timed'), 'rb_timed');
SELECT version, duration_ms >= 10 AS slept_10_ms FROM schemata.rollback('rb_timed');

-- to_version at the latest applied version: nothing to do.
SELECT version, name FROM schemata.rollback('rb', to_version => '0001');

-- Other schemas are untouched.
SELECT fingerprint('rb_other') = :'rb_other_before' AS rb_other_unchanged;

-- With dir, the files' current down scripts are used: rollback_fixed holds a
-- down script for 0002 that renames the table instead of dropping it.
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb_dir', to_version => '0001');
SELECT version FROM schemata.apply(fixture('rollback_basic'), 'rb_dir', to_version => '0002');
SELECT fingerprint('rb_dir') AS rb_dir_before \gset

--
-- Bad input: a clear error, and nothing changed.
--
-- steps <= 0
SELECT * FROM schemata.rollback('rb_dir', steps => 0);
SELECT * FROM schemata.rollback('rb_dir', steps => -1);
-- steps and to_version both given
SELECT * FROM schemata.rollback('rb_dir', steps => 1, to_version => '0001');
-- to_version not a version
SELECT * FROM schemata.rollback('rb_dir', to_version => 'latest');
-- more steps than applied migrations
SELECT * FROM schemata.rollback('rb_dir', steps => 3);
-- no history at all
SELECT * FROM schemata.rollback('rb_never_applied');
-- NULL and reserved target schemas
SELECT * FROM schemata.rollback(NULL);
SELECT * FROM schemata.rollback('pg_catalog');
-- dir: relative, missing, or without a file for a migration in range
SELECT * FROM schemata.rollback('rb_dir', dir => 'fixtures/rollback_fixed');
SELECT error_of(format('SELECT * FROM schemata.rollback(%L, dir => %L)',
                       'rb_dir', fixture('no_such_dir')));
SELECT * FROM schemata.rollback('rb_dir', steps => 2, dir => fixture('rollback_fixed'));
-- a down script with a syntax error: CONTEXT names the file and line
SELECT * FROM schemata.rollback('rb_dir', dir => fixture('rollback_syntax'));
-- a down script with a statement that cannot run in a transaction block
SELECT * FROM schemata.rollback('rb_dir', dir => fixture('rollback_forbidden'));
SELECT fingerprint('rb_dir') = :'rb_dir_before' AS rb_dir_unchanged;

-- A down script fixed after apply, used through dir.
SELECT version, name FROM schemata.rollback('rb_dir', dir => fixture('rollback_fixed'));
SELECT fingerprint('rb_dir');
SELECT version FROM pg_temp.history('rb_dir');

-- Migrations without a down script: each is named, nothing is undone.
SELECT count(*) FROM schemata.apply(fixture('rollback_nodown'), 'rb_nodown');
SELECT fingerprint('rb_nodown') AS rb_nodown_before \gset
SELECT * FROM schemata.rollback('rb_nodown');
SELECT * FROM schemata.rollback('rb_nodown', steps => 2);
SELECT fingerprint('rb_nodown') = :'rb_nodown_before' AS rb_nodown_unchanged;
-- The newest one has a down script: it can be undone alone.
SELECT version, name FROM schemata.rollback('rb_nodown', steps => 1);
SELECT version FROM pg_temp.history('rb_nodown');

-- A down script with a failing statement: 0002 is undone first, then 0001's
-- down script fails on its line 3; the error aborts the call and all of it
-- is rolled back.
SELECT count(*) FROM schemata.apply(fixture('rollback_failing'), 'rb_failing');
SELECT fingerprint('rb_failing') AS rb_failing_before \gset
SELECT * FROM schemata.rollback('rb_failing');
SELECT fingerprint('rb_failing') = :'rb_failing_before' AS rb_failing_unchanged;

-- The caller's transaction: a rollback inside it is undone with it.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT version FROM schemata.rollback('rb_failing', steps => 1);
SELECT version FROM pg_temp.history('rb_failing');
ROLLBACK;
SELECT version FROM pg_temp.history('rb_failing');
