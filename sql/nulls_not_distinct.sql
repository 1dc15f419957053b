--
-- nulls_not_distinct: a unique constraint with "nullsNotDistinct": true is
-- UNIQUE NULLS NOT DISTINCT, which came with PostgreSQL 15.  Before 15
-- (nulls_not_distinct_1.out) every function that reads models refuses it
-- with 0A000, naming its JSON path, and changes nothing; false, the default,
-- is accepted on every major.
--
CREATE FUNCTION pg_temp.nnd_model(nnd boolean) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_array(jsonb_build_object('dbSchema', 'nnd', 'table', 'accounts',
        'columns', '[{"name": "id", "type": "int"}, {"name": "code", "type": "text"},
                     {"name": "handle", "type": "text"}]'::jsonb,
        'constraints', jsonb_build_object('primaryKey', '["id"]'::jsonb,
            'unique', jsonb_build_array(
                jsonb_build_object('columns', '["code"]'::jsonb, 'nullsNotDistinct', nnd),
                '{"columns": ["handle"], "nullsNotDistinct": false}'::jsonb))))
$$;
CREATE FUNCTION pg_temp.nnd_constraints() RETURNS TABLE (conname name, definition text)
LANGUAGE sql AS $$
    SELECT c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = r.relnamespace
    WHERE n.nspname = 'nnd' AND c.contype IN ('p', 'u') ORDER BY c.conname
$$;

-- bootstrap makes the constraint: a second null code is a duplicate, while
-- null handles are distinct
SELECT * FROM schemata.bootstrap(pg_temp.nnd_model(true), extensions => '{}');
SELECT * FROM pg_temp.nnd_constraints();
SELECT count(*) FROM pg_namespace WHERE nspname = 'nnd';
INSERT INTO nnd.accounts (id, code, handle) VALUES (1, 'a', NULL), (2, 'b', NULL), (3, NULL, NULL);
INSERT INTO nnd.accounts (id, code, handle) VALUES (4, NULL, 'd');

-- diff compares it: none in sync; a changed one is dropped and added
SELECT * FROM schemata.diff(pg_temp.nnd_model(true));
SELECT operation, object_name, sql FROM schemata.diff(pg_temp.nnd_model(false)) ORDER BY step;
SELECT step, operation FROM schemata.sync(pg_temp.nnd_model(false));
SELECT * FROM pg_temp.nnd_constraints();
SELECT operation, object_name, sql FROM schemata.diff(pg_temp.nnd_model(true)) ORDER BY step;

-- (the SQLSTATE where it is refused: 0A000, feature not supported)
SELECT error_of($$SELECT * FROM schemata.diff(pg_temp.nnd_model(true), 'nnd_other')$$);

-- teardown reads the models the same way
SELECT * FROM schemata.teardown(pg_temp.nnd_model(true));
SELECT * FROM schemata.teardown(pg_temp.nnd_model(false));
DROP SCHEMA IF EXISTS nnd CASCADE;
