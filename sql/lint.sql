--
-- lint: what the pending migrations would do to the live tables they touch,
-- with the tables' sizes; runs nothing.
--
CREATE SCHEMA lintapp;
SET search_path = lintapp, public;
CREATE TABLE big (id int, v int, ref int, name varchar(100), note varchar(50),
                  old int, x int);
INSERT INTO big SELECT i, i, 1, 'n' || i, 'note', i, i FROM generate_series(1, 200000) i;
CREATE TABLE small (id int PRIMARY KEY, code text);
CREATE UNIQUE INDEX small_code_idx ON small (code);
INSERT INTO small VALUES (1, 'a');
CREATE TABLE legacy (id int);
ANALYZE big, small;
RESET search_path;
SET schemata.lint_large_table = '1MB';

-- one row per finding, in the order apply() would meet them: the 200,000-row
-- table's findings are warnings, the one-row table's notices; nothing is
-- said of the table the directory creates, of CREATE INDEX CONCURRENTLY's
-- kin, of stable defaults, of type changes that keep the values, of NOT
-- VALID constraints, of SET NOT NULL after a validated IS NOT NULL check, of
-- USING INDEX, or of statements under a lock_timeout.
SELECT version, file, line, rule, severity, table_name, lock_mode
  FROM schemata.lint(fixture('lint_app'), 'lintapp');

-- sizes and estimated rows come from the live table
SELECT DISTINCT table_name, table_size = pg_table_size('lintapp.big') AS size_is_live,
       estimated_rows BETWEEN 150000 AND 250000 AS rows_estimated
  FROM schemata.lint(fixture('lint_app'), 'lintapp') WHERE table_name = 'lintapp.big';

-- what the messages say
SELECT DISTINCT rule, message FROM schemata.lint(fixture('lint_app'), 'lintapp')
 WHERE table_name = 'lintapp.big' ORDER BY rule, message;

-- the threshold: from 1 GB on, the big table's sized findings are notices
SET schemata.lint_large_table = '1GB';
SELECT rule, severity, count(*) FROM schemata.lint(fixture('lint_app'), 'lintapp')
 GROUP BY 1, 2 ORDER BY 1, 2;
RESET schemata.lint_large_table;

-- the caller's lock_timeout counts
SET lock_timeout = '5s';
SELECT count(*) AS no_lock_timeout FROM schemata.lint(fixture('lint_app'), 'lintapp')
 WHERE rule = 'no_lock_timeout';
RESET lock_timeout;

-- to_version stops where apply would
SELECT DISTINCT version FROM schemata.lint(fixture('lint_app'), 'lintapp', '0002') ORDER BY 1;

-- nothing ran and nothing was recorded
SELECT count(*) AS history FROM schemata.migrations WHERE target_schema = 'lintapp';
SELECT to_regclass('lintapp.fresh') AS fresh, to_regclass('lintapp.big_v') AS big_v;
SELECT count(*) AS columns FROM pg_attribute
 WHERE attrelid = 'lintapp.big'::regclass AND attnum > 0 AND NOT attisdropped;

-- applied migrations are not pending: after apply, nothing is left to say
SELECT count(*) AS applied FROM schemata.apply(fixture('lint_app'), 'lintapp');
SELECT count(*) AS findings FROM schemata.lint(fixture('lint_app'), 'lintapp');

-- who may: reading the history's rights, as plan()
CREATE ROLE regress_lint_user;
GRANT USAGE ON SCHEMA schemata TO regress_lint_user;
GRANT EXECUTE ON FUNCTION schemata.lint(text, name, text) TO regress_lint_user;
SET ROLE regress_lint_user;
SELECT * FROM schemata.lint(fixture('lint_app'), 'lintapp');
RESET ROLE;
SELECT * FROM schemata.lint(NULL, 'lintapp');
REVOKE ALL ON FUNCTION schemata.lint(text, name, text) FROM regress_lint_user;
REVOKE ALL ON SCHEMA schemata FROM regress_lint_user;
DROP ROLE regress_lint_user;
DROP SCHEMA lintapp CASCADE;
