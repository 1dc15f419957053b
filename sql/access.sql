--
-- access: who may call the functions, who may read directories, and
-- schemata.allowed_directories.
--

-- No EXECUTE for PUBLIC on any function.
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'schemata' ORDER BY p.proname;
-- The history table is the extension owner's alone.
SELECT has_table_privilege('public', 'schemata.migrations', 'SELECT') AS public_select;

DROP ROLE IF EXISTS regress_schemata_user;
CREATE ROLE regress_schemata_user;
GRANT USAGE ON SCHEMA schemata TO regress_schemata_user;
GRANT EXECUTE ON FUNCTION schemata.apply(text, name, text, boolean, text, integer),
                          schemata.status(text, name),
                          schemata.rollback(name, integer, text, text),
                          schemata.baseline(text, name, text),
                          schemata.repair(text, name) TO regress_schemata_user;
GRANT EXECUTE ON PROCEDURE schemata.migrate(text, name, text, boolean, text, integer) TO regress_schemata_user;
CREATE SCHEMA regress_owned AUTHORIZATION regress_schemata_user;

-- EXECUTE alone is not enough to read server directories: SQLSTATE 42501
-- from every function given a dir.
SET ROLE regress_schemata_user;
SELECT * FROM schemata.apply(fixture('basic'), 'regress_owned');
\echo :SQLSTATE
SELECT * FROM schemata.status(fixture('basic'), 'regress_owned');
\echo :SQLSTATE
SELECT * FROM schemata.rollback('regress_owned', dir => fixture('basic'));
\echo :SQLSTATE
SELECT schemata.baseline('0001', 'regress_owned', dir => fixture('basic'));
\echo :SQLSTATE
SELECT schemata.repair(fixture('basic'), 'regress_owned');
\echo :SQLSTATE
CALL schemata.migrate(fixture('basic'), 'regress_owned');
\echo :SQLSTATE
-- without a directory, status reads only history
SELECT count(*) FROM schemata.status(NULL, 'regress_owned');
-- and the history table cannot be written directly
INSERT INTO schemata.migrations (target_schema, version, name, batch) VALUES ('x', '1', 'x', 1);
RESET ROLE;

-- With pg_read_server_files it may; migrations run as that role and
-- applied_by names it.
GRANT pg_read_server_files TO regress_schemata_user;
SET ROLE regress_schemata_user;
SELECT version FROM schemata.apply(fixture('basic'), 'regress_owned', to_version => '0002');
RESET ROLE;
SELECT version, applied_by FROM schemata.migrations WHERE target_schema = 'regress_owned' ORDER BY version;
SELECT tableowner FROM pg_tables WHERE schemaname = 'regress_owned' AND tablename = 'users';

-- The history queries run as the extension owner with search_path set to
-- pg_catalog, pg_temp: a caller's search_path cannot slip its own types into
-- them.  Here a domain named "text" whose check reports who runs it would
-- catch the cast to text in the REPEATABLE READ history check (nothing is
-- pending, so no migration runs): no WARNING may appear.
SET ROLE regress_schemata_user;
CREATE FUNCTION regress_owned.report_user(v pg_catalog.text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RAISE WARNING 'domain check ran as superuser: %',
        (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
    RETURN true;
END $$;
CREATE DOMAIN regress_owned.text AS pg_catalog.text CHECK (regress_owned.report_user(VALUE));
SET search_path = regress_owned, pg_catalog;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM schemata.apply(public.fixture('basic'), 'regress_owned', to_version => '0002');
SELECT count(*) FROM schemata.status(public.fixture('basic'), 'regress_owned');
ROLLBACK;
RESET search_path;
DROP DOMAIN regress_owned.text;
DROP FUNCTION regress_owned.report_user(pg_catalog.text);
RESET ROLE;

-- schemata.allowed_directories: superusers only...
SET ROLE regress_schemata_user;
SET schemata.allowed_directories = '/';
RESET ROLE;
-- ...and it binds superusers too, after resolving ".." and symbolic links,
-- for the directory and for each file in it.
SELECT set_config('schemata.allowed_directories', fixture('allowed'), false) IS NOT NULL AS set;
SELECT version FROM schemata.plan(fixture('allowed/inner'), 'allowed');
SELECT error_of(format('SELECT * FROM schemata.plan(%L)', fixture('basic')));
SELECT error_of(format('SELECT * FROM schemata.plan(%L)', fixture('allowed/inner/../../basic')));
SELECT error_of(format('SELECT * FROM schemata.plan(%L)', fixture('allowed/link_to_basic')));
SELECT error_of(format('SELECT * FROM schemata.plan(%L)', fixture('allowed/inner_with_link')));
SELECT error_of(format('SELECT * FROM schemata.status(%L)', fixture('allowed/inner_with_link')));
-- a list of roots
SELECT set_config('schemata.allowed_directories',
                  fixture('allowed') || ',' || fixture('basic'), false) IS NOT NULL AS set;
SELECT count(*) FROM schemata.plan(fixture('allowed/inner_with_link'), 'allowed');
RESET schemata.allowed_directories;

SET client_min_messages = warning;
DROP SCHEMA regress_owned CASCADE;
DELETE FROM schemata.migrations;
DROP OWNED BY regress_schemata_user;
DROP ROLE regress_schemata_user;
