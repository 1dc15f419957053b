--
-- checks: what is refused before anything runs.  Every error names the file
-- (relative to the directory) and, for scripts, the line and statement.
--
CREATE SEQUENCE side_effects;

-- The directory itself.
SELECT * FROM schemata.apply('relative/migrations');
SELECT * FROM schemata.apply('');
-- (error_of shows the fixtures directory as <fixtures>)
SELECT error_of(format('SELECT * FROM schemata.apply(%L)', fixture('no_such_dir')));
SELECT error_of(format('SELECT * FROM schemata.apply(%L)', fixture('basic/0001_init.sql')));
SELECT * FROM schemata.apply(NULL);

-- Entries.
SELECT * FROM schemata.apply(fixture('bad_duplicate'));
SELECT * FROM schemata.apply(fixture('bad_folder_no_up'));
-- a down script without an up migration is ignored with a WARNING
SELECT version, name FROM schemata.plan(fixture('bad_down_only'));
SELECT * FROM schemata.apply(fixture('bad_two_down'));
SELECT * FROM schemata.apply(fixture('bad_sql_dir'));

-- File contents.
SELECT * FROM schemata.apply(fixture('bad_utf8'));
SELECT * FROM schemata.apply(fixture('bad_nul'));
SET schemata.max_file_size = '1kB';
SELECT * FROM schemata.apply(fixture('bad_large'));
RESET schemata.max_file_size;
SELECT * FROM schemata.apply(fixture('bad_unterminated'));
SELECT * FROM schemata.apply(fixture('bad_marker_text'));
SELECT * FROM schemata.apply(fixture('bad_before_marker'));

-- Statements.
SELECT * FROM schemata.apply(fixture('bad_meta'));
SELECT * FROM schemata.apply(fixture('bad_syntax'));
SELECT * FROM schemata.apply(fixture('bad_rollback'));
SELECT * FROM schemata.apply(fixture('bad_savepoint'));
SELECT * FROM schemata.apply(fixture('bad_release'));
SELECT * FROM schemata.apply(fixture('bad_prepare'));
SELECT * FROM schemata.apply(fixture('bad_commit_chain'));
SELECT * FROM schemata.apply(fixture('bad_cic'));
SELECT * FROM schemata.apply(fixture('bad_dic'));
SELECT * FROM schemata.apply(fixture('bad_vacuum'));
SELECT * FROM schemata.apply(fixture('bad_createdb'));
SELECT * FROM schemata.apply(fixture('bad_altersystem'));
SELECT * FROM schemata.apply(fixture('bad_alterdb_tablespace'));
SELECT * FROM schemata.apply(fixture('bad_create_subscription'));
SELECT * FROM schemata.apply(fixture('bad_alter_subscription'));
SELECT * FROM schemata.apply(fixture('bad_refresh_subscription'));
SELECT * FROM schemata.apply(fixture('bad_copy_stdin'));

-- plan() runs the same checks.
SELECT * FROM schemata.plan(fixture('bad_cic'));
-- (the forms of statements that 13 cannot parse are in checks_newer_syntax)

-- "Before anything runs": 0001 of bad_late would advance a sequence (which
-- no rollback undoes) if it ran before 0002 was found bad.
SELECT * FROM schemata.apply(fixture('bad_late'));
SELECT last_value, is_called FROM side_effects;

-- Nothing was recorded or created by any of the above.
SELECT count(*) AS history_rows FROM schemata.migrations;
SELECT fingerprint('public');

DROP SEQUENCE side_effects;
