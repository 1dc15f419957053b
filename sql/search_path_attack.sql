--
-- search_path_attack: every query and DDL statement schemata issues itself
-- resolves functions, operators and types in pg_catalog only, whatever the
-- caller's search_path (issue 17, item 1).  A tenant plants, in the schema
-- it owns and in a writable public, operators and functions for every
-- signature schemata's queries use (and those of the models' SQL); the
-- superuser session plants them in pg_temp too.  Each records its calls in
-- sp_calls.  A superuser then runs apply, migrate, status, rollback,
-- bootstrap, diff, sync and teardown on the tenant's schema, with the
-- planted schemas before pg_catalog and with the default search_path: no
-- planted object is ever called, and the results are right.
--
SELECT fixture('search_path_attack') AS attack_dir \gset
SELECT pg_read_file(:'attack_dir' || '/models.json') AS models,
       pg_read_file(:'attack_dir' || '/models_v2.json') AS models_v2 \gset
CREATE ROLE regress_sp_tenant;
CREATE SCHEMA sp_tenant AUTHORIZATION regress_sp_tenant;
GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE TABLE public.sp_calls (what text);
GRANT INSERT ON public.sp_calls TO PUBLIC;
CREATE TABLE public.sp_results (step text, steps bigint);

-- Plant in schema "target" operators and functions that record each call
-- and then do what pg_catalog's would.
CREATE FUNCTION pg_temp.plant(target text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $plant$
DECLARE
    op record;
    fn record;
    n int := 0;
BEGIN
    FOR op IN SELECT * FROM (VALUES
        ('=', 'oid', 'regclass', 'boolean'), ('=', 'regclass', 'oid', 'boolean'),
        ('=', 'oid', 'integer', 'boolean'), ('=', 'oid', 'oid', 'boolean'),
        ('=', 'name', 'name', 'boolean'), ('=', 'name', 'text', 'boolean'),
        ('=', 'text', 'name', 'boolean'), ('=', 'text', 'text', 'boolean'),
        ('=', '"char"', '"char"', 'boolean'), ('<>', '"char"', '"char"', 'boolean'),
        ('=', 'smallint', 'smallint', 'boolean'), ('=', 'integer', 'integer', 'boolean'),
        ('=', 'smallint', 'integer', 'boolean'), ('>', 'smallint', 'integer', 'boolean'),
        ('>', 'integer', 'integer', 'boolean'), ('<>', 'text', 'text', 'boolean'),
        ('~~', 'text', 'text', 'boolean'), ('||', 'text', 'text', 'text'))
        AS t(name, lefttype, righttype, result)
    LOOP
        n := n + 1;
        EXECUTE format($f$CREATE FUNCTION %I.planted_op_%s(a %s, b %s) RETURNS %s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                INSERT INTO public.sp_calls VALUES (%L);
                RETURN a OPERATOR(pg_catalog.%s) b;
            END $b$$f$, target, n, op.lefttype, op.righttype, op.result,
            format('%s.%s(%s, %s)', target, op.name, op.lefttype, op.righttype), op.name);
        EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.planted_op_%s)',
                       target, op.name, op.lefttype, op.righttype, target, n);
    END LOOP;
    FOR fn IN SELECT * FROM (VALUES
        ('format_type', 'a oid, b integer', 'text', 'a, b'),
        ('pg_get_expr', 'a pg_node_tree, b oid', 'text', 'a, b'),
        ('pg_get_constraintdef', 'a oid', 'text', 'a'),
        ('pg_get_indexdef', 'a oid', 'text', 'a'),
        ('quote_ident', 'a text', 'text', 'a'),
        ('strpos', 'a text, b text', 'integer', 'a, b'),
        ('current_database', '', 'name', ''),
        ('concat_ws', 'a text, VARIADIC b text[]', 'text', 'a, VARIADIC b'),
        ('md5', 'a text', 'text', 'a'),
        ('length', 'a text', 'integer', 'a'),
        ('upper', 'a text', 'text', 'a'),
        ('now', '', 'timestamp with time zone', ''))
        AS t(name, args, result, call)
    LOOP
        EXECUTE format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                INSERT INTO public.sp_calls VALUES (%L);
                RETURN pg_catalog.%I(%s);
            END $b$$f$, target, fn.name, fn.args, fn.result,
            format('%s.%s(%s)', target, fn.name, fn.args), fn.name, fn.call);
    END LOOP;
    EXECUTE format($f$CREATE FUNCTION %I.unnest(a smallint[]) RETURNS SETOF smallint
        LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
        BEGIN
            INSERT INTO public.sp_calls VALUES (%L);
            RETURN QUERY SELECT pg_catalog.unnest(a);
        END $b$$f$, target, target || '.unnest(smallint[])');
    EXECUTE format($f$CREATE FUNCTION %I.planted_agg_step(s text, a text, b text) RETURNS text
        LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
        BEGIN
            INSERT INTO public.sp_calls VALUES (%L);
            RETURN pg_catalog.concat_ws(b, s, a);
        END $b$$f$, target, target || '.string_agg(text, text)');
    EXECUTE format('CREATE AGGREGATE %I.string_agg(text, text) (SFUNC = %I.planted_agg_step, STYPE = text)',
                   target, target);
END
$plant$;
SET ROLE regress_sp_tenant;
SELECT pg_temp.plant('sp_tenant');
SELECT pg_temp.plant('public');
RESET ROLE;
SELECT pg_temp.plant('pg_temp');
-- the planted objects work: here they are called
SET search_path = sp_tenant, public, pg_catalog;
SELECT 1::oid = 'pg_class'::regclass AS planted_eq, 'a' || 'b' AS planted_concat;
SET search_path = pg_catalog;
SELECT what FROM public.sp_calls ORDER BY what;
DELETE FROM public.sp_calls;
RESET search_path;

-- The planted schemas before pg_catalog.
SET search_path = sp_tenant, public, pg_catalog;
SELECT version, name FROM schemata.plan(:'attack_dir', 'sp_tenant');
-- apply: the migration calls bootstrap() and diff() (target schema first on its path)
SELECT version, name FROM schemata.apply(:'attack_dir', 'sp_tenant');
SELECT * FROM public.sp_results;
SELECT version, state FROM schemata.status(:'attack_dir', 'sp_tenant');
SELECT schemata.version('sp_tenant'), schemata.repair(:'attack_dir', 'sp_tenant');
SELECT * FROM schemata.diff(:'models', 'sp_tenant');
-- rollback runs the stored down script, which calls teardown()
SELECT version, name FROM schemata.rollback('sp_tenant');
SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname OPERATOR(pg_catalog.=) 'sp_tenant';
CALL schemata.migrate(:'attack_dir', 'sp_tenant');
SELECT version, state FROM schemata.status(:'attack_dir', 'sp_tenant');
SELECT version, name FROM schemata.rollback('sp_tenant');
-- bootstrap, then again: the constraints and indexes are reported as existing
SELECT * FROM schemata.bootstrap(:'models', 'sp_tenant', '{}');
SELECT * FROM schemata.bootstrap(:'models', 'sp_tenant', '{}');
SELECT * FROM schemata.diff(:'models', 'sp_tenant');
-- sync to other models, then nothing is left to do
SELECT step, operation, object_name, destructive FROM schemata.sync(:'models_v2', 'sp_tenant', true);
SELECT * FROM schemata.diff(:'models_v2', 'sp_tenant');
-- the models' SQL was resolved in pg_catalog too (shown with only pg_catalog
-- on the path, planted objects would be qualified)
SET search_path = pg_catalog;
SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'sp_tenant' ORDER BY 1, 2;
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'sp_tenant' AND k.contype = 'c' ORDER BY 1, 2;
SELECT i.relname, pg_get_indexdef(i.oid)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_namespace n ON n.oid = i.relnamespace
 WHERE n.nspname = 'sp_tenant' ORDER BY 1;
SET search_path = sp_tenant, public, pg_catalog;
SELECT * FROM schemata.teardown(:'models_v2', 'sp_tenant');
-- the caller's search_path is back
SHOW search_path;
SET search_path = pg_catalog;
SELECT what, count(*) FROM public.sp_calls GROUP BY what ORDER BY what;

-- The default search_path ("$user", public): pg_catalog comes first, but an
-- operator in public that fits better than pg_catalog's would be taken.
RESET search_path;
DELETE FROM public.sp_results;
SELECT version, name FROM schemata.apply(:'attack_dir', 'sp_tenant');
SELECT * FROM public.sp_results;
SELECT version, state FROM schemata.status(:'attack_dir', 'sp_tenant');
SELECT version, name FROM schemata.rollback('sp_tenant');
SELECT count(*) FROM schemata.bootstrap(:'models', 'sp_tenant', '{}');
SELECT * FROM schemata.diff(:'models', 'sp_tenant');
SELECT count(*) FROM schemata.sync(:'models_v2', 'sp_tenant', true);
SELECT * FROM schemata.diff(:'models_v2', 'sp_tenant');
SELECT * FROM schemata.teardown(:'models_v2', 'sp_tenant');
SET search_path = pg_catalog;
SELECT what, count(*) FROM public.sp_calls GROUP BY what ORDER BY what;
RESET search_path;

-- CREATE EXTENSION still installs in the caller's creation schema, the first
-- schema of its search_path, as it does outside schemata.
CREATE SCHEMA sp_ext;
SET search_path = sp_ext, pg_catalog;
SELECT * FROM schemata.bootstrap('[]', NULL, '{citext}');
SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'citext';
RESET search_path;
-- a model names a type outside pg_catalog with its schema
SELECT * FROM schemata.bootstrap('[{"table": "emails", "columns": [{"name": "address", "type": "sp_ext.citext"}]}]',
                                 'sp_tenant', '{}');
-- unqualified, it is not found, whatever the caller's search_path
SET search_path = sp_ext, pg_catalog;
SELECT public.error_of($$SELECT * FROM schemata.diff('[{"table": "emails", "columns": [{"name": "address", "type": "citext"}]}]', 'sp_tenant')$$);
-- and after that error too
SHOW search_path;
RESET search_path;
SELECT * FROM schemata.diff('[{"table": "emails", "columns": [{"name": "address", "type": "sp_ext.citext"}]}]', 'sp_tenant');

SET client_min_messages = warning;
DROP SCHEMA sp_tenant, sp_ext CASCADE;
DROP OWNED BY regress_sp_tenant;
DROP ROLE regress_sp_tenant;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DROP TABLE public.sp_calls, public.sp_results;
RESET client_min_messages;
