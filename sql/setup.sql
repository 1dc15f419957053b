--
-- setup: the extension and the helpers every later test uses.
--
-- Fixture directories live under test/fixtures of the source tree: pg_regress
-- (15 and later) exports its absolute path as PG_ABS_SRCDIR; 13's does not,
-- and runs psql in the source tree. Later tests read it from the database
-- setting schemata_regress.fixtures made here; error texts are shown with
-- that path replaced.
--
\set fixtures `echo "${PG_ABS_SRCDIR:-$PWD}/test/fixtures"`
SELECT pg_catalog.current_database() AS regress_db \gset
ALTER DATABASE :"regress_db" SET schemata_regress.fixtures = :'fixtures';
SET schemata_regress.fixtures = :'fixtures';
CREATE EXTENSION schemata;

-- The absolute path of a fixture directory.
CREATE FUNCTION fixture(name text) RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.current_setting('schemata_regress.fixtures') || '/' || name $$;

-- Run a statement; return its error as "SQLSTATE: message", machine paths hidden.
CREATE FUNCTION error_of(statement text) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN replace(SQLSTATE || ': ' || SQLERRM,
                   pg_catalog.current_setting('schemata_regress.fixtures'), '<fixtures>');
END
$$;

-- Everything a test could have changed: tables of the given schema and history rows.
CREATE FUNCTION fingerprint(target name DEFAULT 'public') RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname), '')
           || ' | ' ||
           (SELECT coalesce(string_agg(m.version, ',' ORDER BY m.version), '')
              FROM schemata.migrations m WHERE m.target_schema = target)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = target
$$;

SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'schemata';
SELECT n.nspname, e.extname
  FROM pg_namespace n JOIN pg_depend d ON d.objid = n.oid AND d.classid = 'pg_namespace'::regclass
  JOIN pg_extension e ON e.oid = d.refobjid
 WHERE n.nspname = 'schemata';
SELECT has_function_privilege('public', 'schemata.apply(text,name,text,boolean,text,integer)', 'EXECUTE') AS public_can_apply;
SELECT pg_get_function_arguments('schemata.apply'::regproc);
SELECT pg_get_function_result('schemata.status'::regproc);
