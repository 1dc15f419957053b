--
-- diff() and sync(): from the live catalog to the models
--
\i test/models/helpers.sql
CREATE TEMP TABLE model_files (file text);
INSERT INTO model_files VALUES ('audit_fields.json'), ('checks.json'), ('cycle.json'),
    ('defaults.json'), ('foreign_keys.json'), ('generated.json'), ('indexes.json'),
    ('object_form.json'), ('quoting.json'), ('tutorial.json'), ('types.json'),
    ('uniques.json'), ('evolve_v1.json'), ('evolve_v2.json');

-- Before bootstrap: everything to create, in an order that runs.
SELECT * FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
-- sync runs it; then there is nothing left to do
SELECT step, operation, object_name FROM schemata.sync(pg_temp.model('tutorial.json'), 'shop');
SELECT * FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
-- the same catalog as bootstrap makes
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop_fresh', '{}');
SELECT * FROM pg_temp.describe('shop') EXCEPT SELECT * FROM pg_temp.describe('shop_fresh');
SELECT * FROM pg_temp.describe('shop_fresh') EXCEPT SELECT * FROM pg_temp.describe('shop');
DROP SCHEMA shop, shop_fresh CASCADE;

-- Round trip: for every model file, bootstrap then diff is empty.
SELECT file, (SELECT count(*) FROM schemata.bootstrap(pg_temp.model(file), 'roundtrip_' || replace(file, '.json', ''), '{}')) > 0 AS bootstrapped
FROM model_files WHERE file <> 'foreign_keys.json' ORDER BY file;
SELECT file, (SELECT count(*) FROM schemata.diff(pg_temp.model(file), 'roundtrip_' || replace(file, '.json', ''))) AS steps
FROM model_files WHERE file <> 'foreign_keys.json' ORDER BY file;
-- foreign_keys.json names its schemas in references: without target_schema
SELECT count(*) > 0 AS bootstrapped FROM schemata.bootstrap(pg_temp.model('foreign_keys.json'), extensions => '{}');
SELECT count(*) AS steps FROM schemata.diff(pg_temp.model('foreign_keys.json'));
SET client_min_messages = warning;
SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace
WHERE nspname LIKE 'roundtrip\_%' OR nspname IN ('fk_app', 'fk_admin') ORDER BY 1 \gexec
RESET client_min_messages;

-- The tutorial's maintenance change, declared instead of written.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop', '{}');
INSERT INTO shop.customers (email, full_name) VALUES ('a@example.com', 'A');
INSERT INTO shop.orders (customer_id, order_number) SELECT id, 'N1' FROM shop.customers;
SELECT * FROM schemata.diff(pg_temp.model('tutorial_v2.json'), 'shop');
SELECT step, operation FROM schemata.sync(pg_temp.model('tutorial_v2.json'), 'shop');
SELECT order_number, status, shipped_at FROM shop.orders;
SELECT * FROM schemata.diff(pg_temp.model('tutorial_v2.json'), 'shop');
-- the steps as a migration file
SELECT string_agg(sql, E'\n' ORDER BY step) FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
RESET client_min_messages;

-- Evolution covering every operation: renames, drops, type changes,
-- NOT NULL, defaults, constraints, foreign key actions, indexes, tables.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('evolve_v1.json'), extensions => '{}');
INSERT INTO evolve.authors (name, bio, rating, legacy) VALUES ('Ann', 'b1', 4.5, 'x'), ('Bob', 'b2', 9.5, 'y');
INSERT INTO evolve.posts (id, author_id, title) VALUES (1, 1, 'hello'), (2, 2, 'world');
SELECT * FROM schemata.diff(pg_temp.model('evolve_v2.json'));
-- destructive steps are refused without allow_destructive; nothing runs
SELECT * FROM schemata.sync(pg_temp.model('evolve_v2.json'));
SELECT count(*) FROM evolve.obsolete;
SELECT step, operation, object_name, destructive FROM schemata.sync(pg_temp.model('evolve_v2.json'), allow_destructive => true);
SELECT * FROM schemata.diff(pg_temp.model('evolve_v2.json'));
-- rows are kept
SELECT id, full_name, bio, rating, code, email FROM evolve.writers ORDER BY id;
SELECT id, author_id, title, words FROM evolve.posts ORDER BY id;
-- the catalog is the one bootstrap makes for the new models, except for the
-- names PostgreSQL gave the renamed table's key and sequence (authors_...)
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('evolve_v2.json'), 'evolve_fresh', '{}');
SELECT * FROM pg_temp.describe('evolve') EXCEPT SELECT * FROM pg_temp.describe('evolve_fresh');
SELECT * FROM pg_temp.describe('evolve_fresh') EXCEPT SELECT * FROM pg_temp.describe('evolve');
SET client_min_messages = warning;
DROP SCHEMA evolve_fresh CASCADE;
RESET client_min_messages;

-- Widening a column is not destructive; narrowing is.
SELECT operation, destructive, sql FROM schemata.diff(
  '[{"dbSchema": "evolve", "table": "comments", "columns": [{"name": "post_id", "type": "numeric"}, {"name": "body", "type": "varchar(10)"}]}]')
WHERE operation = 'alter_column_type';
SELECT operation, destructive, sql FROM schemata.diff(
  '[{"dbSchema": "evolve", "table": "writers", "columns": [{"name": "id", "type": "serial"}, {"name": "full_name", "type": "text", "notNull": true}, {"name": "bio", "type": "text", "notNull": true, "default": ""}, {"name": "rating", "type": "numeric(5,2)"}, {"name": "code", "type": "varchar(10)"}, {"name": "email", "type": "text"}]}]')
WHERE operation = 'alter_column_type';

-- A step that fails aborts everything, with the step in the CONTEXT.
CREATE SCHEMA failing;
CREATE TABLE failing.t (a int, b int);
INSERT INTO failing.t VALUES (1, NULL);
SELECT * FROM schemata.sync('[{"dbSchema": "failing", "table": "t", "columns": [{"name": "a", "type": "bigint"}, {"name": "b", "type": "int", "notNull": true}]}]');
SELECT pg_typeof(a) FROM failing.t;
DROP SCHEMA failing CASCADE;

-- renamedFrom naming something that does not exist
SELECT * FROM schemata.diff('[{"dbSchema": "evolve", "table": "people", "renamedFrom": "nobody", "columns": []}]');
SELECT * FROM schemata.diff('[{"dbSchema": "evolve", "table": "comments", "columns": [{"name": "text", "type": "text", "renamedFrom": "no_such_column"}]}]');
-- a rename that already happened is not repeated
SELECT count(*) FROM schemata.diff(pg_temp.model('evolve_v2.json'));
-- bad models are errors naming the JSON path, as for bootstrap
SELECT * FROM schemata.diff('[{"dbSchema": "evolve", "table": "comments", "columns": [{"name": "body", "type": "txet"}]}]');
SELECT * FROM schemata.sync('{"x": 1}');
SELECT * FROM schemata.sync('[]', allow_destructive => NULL);

SET client_min_messages = warning;
DROP SCHEMA evolve CASCADE;

-- Columns and keys are compared without a scratch table: defaults in
-- PostgreSQL's canonical form for the model's type, serial and primary key
-- columns NOT NULL, a null default not stored, keys by definition.
CREATE SCHEMA canon;
CREATE TABLE canon.t (id serial, code integer, status varchar(20) DEFAULT 'new',
                      n numeric(8,2) DEFAULT 0, note text DEFAULT NULL, u text,
                      PRIMARY KEY (id, code), CONSTRAINT t_u_key UNIQUE NULLS NOT DISTINCT (u));
CREATE FUNCTION pg_temp.canon_model(status_default jsonb, note_default jsonb, nnd boolean)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_array(jsonb_build_object('dbSchema', 'canon', 'table', 't',
        'columns', jsonb_build_array(
            '{"name": "id", "type": "serial"}'::jsonb, '{"name": "code", "type": "int4"}'::jsonb,
            jsonb_build_object('name', 'status', 'type', 'character varying(20)', 'default', status_default),
            '{"name": "n", "type": "decimal(8, 2)", "default": "0"}'::jsonb,
            jsonb_build_object('name', 'note', 'type', 'text', 'default', note_default),
            '{"name": "u", "type": "text"}'::jsonb),
        'constraints', jsonb_build_object('primaryKey', '["id", "code"]'::jsonb,
            'unique', jsonb_build_array(jsonb_build_object('name', 't_u_key', 'columns', '["u"]'::jsonb,
                                                           'nullsNotDistinct', nnd)))))
$$;
-- in sync: 'new' as a text value and as SQL; DEFAULT NULL, which is not stored
SELECT * FROM schemata.diff(pg_temp.canon_model('"new"', 'null', true));
SELECT * FROM schemata.diff(pg_temp.canon_model($$"'new'"$$, NULL, true));
-- each difference found
SELECT operation, object_name, sql FROM schemata.diff(pg_temp.canon_model('"old"', '"x"', false)) ORDER BY step;
DROP SCHEMA canon CASCADE;
