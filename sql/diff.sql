--
-- diff() and sync(): from the live catalog to the models
--
\i test/models/helpers.sql
-- every model file of test/models
CREATE TEMP VIEW model_files AS
SELECT file FROM pg_ls_dir(current_setting('schemata_regress.fixtures') || '/../models') AS file
WHERE file LIKE '%.json';

-- Before bootstrap: everything to create, in an order that runs.
SELECT * FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
-- sync runs it; then there is nothing left to do
SELECT step, operation, object_name FROM schemata.sync(pg_temp.model('tutorial.json'), 'shop');
SELECT * FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
-- the same catalog as bootstrap makes
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop_fresh', '{}');
SELECT * FROM pg_temp.describe('shop') EXCEPT SELECT * FROM pg_temp.describe('shop_fresh') ORDER BY 1, 2, 3, 4;
SELECT * FROM pg_temp.describe('shop_fresh') EXCEPT SELECT * FROM pg_temp.describe('shop') ORDER BY 1, 2, 3, 4;
DROP SCHEMA shop, shop_fresh CASCADE;

-- Round trip: for every model file, bootstrap then diff is empty.
SELECT file, (SELECT count(*) FROM schemata.bootstrap(pg_temp.model(file), 'roundtrip_' || replace(file, '.json', ''), '{}')) > 0 AS bootstrapped
FROM model_files WHERE file <> 'foreign_keys.json' ORDER BY file;
SELECT file, (SELECT count(*) FROM schemata.diff(pg_temp.model(file), 'roundtrip_' || replace(file, '.json', ''))) AS steps
FROM model_files WHERE file <> 'foreign_keys.json' ORDER BY file;
-- the same with temp_tablespaces set: the scratch tables' indexes go there,
-- and index tablespaces are compared only where a model names one
SET allow_in_place_tablespaces = true;
CREATE TABLESPACE regress_scratch_space LOCATION '';
SET temp_tablespaces = regress_scratch_space;
SELECT file, (SELECT count(*) FROM schemata.diff(pg_temp.model(file), 'roundtrip_' || replace(file, '.json', ''))) AS steps
FROM model_files WHERE file <> 'foreign_keys.json' ORDER BY file;
RESET temp_tablespaces;
CREATE SCHEMA spaces;
CREATE TABLE spaces.t (a int);
CREATE INDEX t_a ON spaces.t (a) TABLESPACE regress_scratch_space;
CREATE FUNCTION pg_temp.spaces_model(tablespace text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_array(jsonb_build_object('dbSchema', 'spaces', 'table', 't',
        'columns', '[{"name": "a", "type": "int"}]'::jsonb,
        'constraints', jsonb_build_object('indexes', jsonb_build_array(
            jsonb_strip_nulls(jsonb_build_object('columns', '["a"]'::jsonb, 'name', 't_a', 'tablespace', tablespace))))))
$$;
SELECT * FROM schemata.diff(pg_temp.spaces_model(NULL));
SELECT * FROM schemata.diff(pg_temp.spaces_model('regress_scratch_space'));
SELECT step, operation, sql FROM schemata.diff(pg_temp.spaces_model('pg_default')) ORDER BY step;
DROP SCHEMA spaces CASCADE;
DROP TABLESPACE regress_scratch_space;
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
-- the catalog bootstrap makes for tutorial_v2, but for the order of columns:
-- added columns come after the existing ones
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial_v2.json'), 'shop_fresh', '{}');
SELECT tbl, kind, name, definition FROM pg_temp.describe('shop')
EXCEPT SELECT tbl, kind, name, definition FROM pg_temp.describe('shop_fresh') ORDER BY 1, 2, 3;
SELECT tbl, kind, name, definition FROM pg_temp.describe('shop_fresh')
EXCEPT SELECT tbl, kind, name, definition FROM pg_temp.describe('shop') ORDER BY 1, 2, 3;
SELECT s.tbl, s.name, s.pos AS synced, f.pos AS bootstrapped
FROM pg_temp.describe('shop') s JOIN pg_temp.describe('shop_fresh') f USING (tbl, kind, name)
WHERE s.kind = 'column' AND s.pos <> f.pos ORDER BY s.tbl, s.pos;
-- the steps as a migration file
SELECT string_agg(sql, E'\n' ORDER BY step) FROM schemata.diff(pg_temp.model('tutorial.json'), 'shop');
SET client_min_messages = warning;
DROP SCHEMA shop, shop_fresh CASCADE;
RESET client_min_messages;

-- Evolution covering every operation: renames (and of the names derived
-- from the renamed table), drops, type changes, NOT NULL set and dropped,
-- defaults, constraints, a foreign key whose only change is its action,
-- indexes, tables.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('evolve_v1.json'), extensions => '{}');
INSERT INTO evolve.countries VALUES ('fr', 'France');
INSERT INTO evolve.authors (name, bio, rating, code, legacy, country) VALUES ('Ann', 'b1', 4.5, 'A', 'x', 'fr'), ('Bob', 'b2', 9.5, 'B', 'y', NULL);
INSERT INTO evolve.posts (id, author_id, title) VALUES (1, 1, 'hello'), (2, 2, 'world');
INSERT INTO evolve.tags (post_id, label) VALUES (1, 'greeting');
SELECT * FROM schemata.diff(pg_temp.model('evolve_v2.json'));
-- destructive steps are refused without allow_destructive; nothing runs: an
-- event trigger reports every DDL command but those on the scratch tables
-- diff creates in pg_temp (and rolls back)
CREATE FUNCTION report_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
    command record;
BEGIN
    FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE schema_name IS DISTINCT FROM 'pg_temp' LOOP
        RAISE NOTICE 'ran % %', command.command_tag, command.object_identity;
    END LOOP;
END
$$;
CREATE EVENT TRIGGER report_ddl ON ddl_command_end EXECUTE FUNCTION report_ddl();
SELECT * FROM schemata.sync(pg_temp.model('evolve_v2.json'));
SELECT count(*) FROM evolve.obsolete;
-- with allow_destructive every step runs, in order
SELECT step, operation, object_name, destructive FROM schemata.sync(pg_temp.model('evolve_v2.json'), allow_destructive => true);
DROP EVENT TRIGGER report_ddl;
DROP FUNCTION report_ddl();
SELECT * FROM schemata.diff(pg_temp.model('evolve_v2.json'));
-- rows are kept
SELECT id, full_name, bio, rating, code, country, email FROM evolve.writers ORDER BY id;
SELECT id, author_id, title, words FROM evolve.posts ORDER BY id;
SELECT id, post_id, label FROM evolve.tags ORDER BY id;
-- the catalog is the one bootstrap makes for the new models, column order and
-- the names of the renamed table's key, check, sequence, unique constraint,
-- foreign key and index included
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('evolve_v2.json'), 'evolve_fresh', '{}');
SELECT * FROM pg_temp.describe('evolve') EXCEPT SELECT * FROM pg_temp.describe('evolve_fresh') ORDER BY 1, 2, 3, 4;
SELECT * FROM pg_temp.describe('evolve_fresh') EXCEPT SELECT * FROM pg_temp.describe('evolve') ORDER BY 1, 2, 3, 4;

-- The steps joined in step order are a migration file: written with psql as
-- the README shows, applied by apply(), they bring the catalog to the models.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('evolve_v1.json'), 'evolve_file', '{}');
SELECT current_setting('schemata_regress.fixtures') || '/diff_migration/0001_evolve_v2.sql' AS migration_file \gset
SELECT string_agg(sql, E'\n' ORDER BY step) FROM schemata.diff(pg_temp.model('evolve_v2.json'), 'evolve_file')
\g (format=unaligned tuples_only=on) :migration_file
SELECT version, name FROM schemata.apply(fixture('diff_migration'), 'evolve_file');
SELECT * FROM schemata.diff(pg_temp.model('evolve_v2.json'), 'evolve_file');
SELECT * FROM pg_temp.describe('evolve_file') EXCEPT SELECT * FROM pg_temp.describe('evolve_fresh') ORDER BY 1, 2, 3, 4;
SELECT * FROM pg_temp.describe('evolve_fresh') EXCEPT SELECT * FROM pg_temp.describe('evolve_file') ORDER BY 1, 2, 3, 4;
DELETE FROM schemata.migrations WHERE target_schema = 'evolve_file';
SET client_min_messages = warning;
DROP SCHEMA evolve_fresh, evolve_file CASCADE;
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
CREATE TABLE failing.t (a int, b int, c varchar(10));
INSERT INTO failing.t VALUES (1, NULL, 'abcdef');
SELECT * FROM schemata.sync('[{"dbSchema": "failing", "table": "t", "columns": [{"name": "a", "type": "bigint"}, {"name": "b", "type": "int", "notNull": true}, {"name": "c", "type": "varchar(10)"}]}]');
SELECT pg_typeof(a) FROM failing.t;
-- narrowing fails on a value that does not fit rather than cut it
SELECT * FROM schemata.sync('[{"dbSchema": "failing", "table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}, {"name": "c", "type": "varchar(3)"}]}]', allow_destructive => true);
SELECT c, pg_typeof(c) FROM failing.t;
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
RESET client_min_messages;

-- A table made by hand: identity columns are NOT NULL whatever the model
-- says (no drop_not_null, which PostgreSQL would refuse), a foreign key may
-- reference a table outside the models, and a table that belongs to an
-- extension is never dropped.
CREATE SCHEMA outside;
CREATE TABLE outside.accounts (id int PRIMARY KEY);
CREATE SCHEMA handmade;
CREATE TABLE handmade.events (id int GENERATED ALWAYS AS IDENTITY, seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                              account_id int);
CREATE TABLE handmade.extension_owned (a int);
ALTER EXTENSION plpgsql ADD TABLE handmade.extension_owned;
CREATE FUNCTION pg_temp.events_model() RETURNS jsonb LANGUAGE sql AS $$
    SELECT '[{"dbSchema": "handmade", "table": "events",
              "columns": [{"name": "id", "type": "int"}, {"name": "seq", "type": "bigint"}, {"name": "account_id", "type": "int"}],
              "constraints": {"primaryKey": ["seq"],
                              "foreignKeys": [{"columns": ["account_id"], "references": {"table": "outside.accounts", "columns": ["id"]}}]}}]'::jsonb
$$;
SELECT step, operation, object_name FROM schemata.sync(pg_temp.events_model());
SELECT * FROM schemata.diff(pg_temp.events_model());
SELECT * FROM pg_temp.describe('handmade') WHERE tbl = 'events' AND kind = 'column';
INSERT INTO handmade.events (account_id) VALUES (NULL) RETURNING id, seq;
-- once it no longer belongs to the extension, the table is dropped
ALTER EXTENSION plpgsql DROP TABLE handmade.extension_owned;
SELECT step, operation, object_name FROM schemata.diff(pg_temp.events_model());
SET client_min_messages = warning;
DROP SCHEMA handmade, outside CASCADE;

-- A renamed column keeps its primary key and unique constraint, even one a
-- table outside the models references (a drop would fail), and its serial
-- sequence follows the new name.
CREATE SCHEMA renames;
CREATE SCHEMA renames_out;
CREATE TABLE renames.t (id serial PRIMARY KEY, u text CONSTRAINT t_u_key UNIQUE);
CREATE TABLE renames_out.ref (t_id int REFERENCES renames.t (id));
CREATE FUNCTION pg_temp.renames_model() RETURNS jsonb LANGUAGE sql AS $$
    SELECT '[{"dbSchema": "renames", "table": "t",
              "columns": [{"name": "key", "type": "serial", "renamedFrom": "id"}, {"name": "v", "type": "text", "renamedFrom": "u"}],
              "constraints": {"primaryKey": ["key"], "unique": [{"columns": ["v"], "name": "t_u_key"}]}}]'::jsonb
$$;
SELECT step, operation, sql FROM schemata.sync(pg_temp.renames_model());
SELECT * FROM schemata.diff(pg_temp.renames_model());
SELECT pg_get_serial_sequence('renames.t', 'key');
DROP SCHEMA renames, renames_out CASCADE;

-- A renamed column also keeps its checks, indexes (partial ones too) and
-- the generated columns that use it: PostgreSQL's rename carries them, and
-- they compare equal under the column's live name.  Names derived from the
-- column's name follow it: the check, pg-schemata's unique constraint,
-- foreign key and index; so do the names of foreign keys that reference a
-- renamed table or column.  Only renames; the catalog is then the one
-- bootstrap makes.
CREATE FUNCTION pg_temp.carried_model(renamed boolean) RETURNS jsonb LANGUAGE sql AS $$
    SELECT replace(replace(replace(replace(replace(replace(
        '[{"dbSchema": "carried", "table": "PTABLE" RENAMED_TABLE, "columns": [{"name": "id", "type": "int"}], "constraints": {"primaryKey": ["id"]}},
          {"dbSchema": "carried", "table": "t",
           "columns": [{"name": "id", "type": "serial"}, {"name": "PRICE", "type": "int" RENAMED_PRICE},
                       {"name": "twice", "type": "int", "generated": "always", "expression": "PRICE * 2", "stored": true},
                       {"name": "CODE", "type": "text" RENAMED_CODE}],
           "constraints": {"primaryKey": ["id"], "checks": ["PRICE > 0"], "unique": [["CODE"]],
                           "foreignKeys": [{"columns": ["PRICE"], "references": {"table": "PTABLE", "columns": ["id"]}}],
                           "indexes": [{"columns": ["PRICE"]}, {"columns": ["CODE"], "name": "t_cheap", "where": "PRICE < 5"}]}},
          {"dbSchema": "carried", "table": "r", "columns": [{"name": "t_code", "type": "text"}],
           "constraints": {"foreignKeys": [{"columns": ["t_code"], "references": {"table": "t", "columns": ["CODE"]}}]}}]',
        'RENAMED_TABLE', CASE WHEN renamed THEN ', "renamedFrom": "p"' ELSE '' END),
        'RENAMED_PRICE', CASE WHEN renamed THEN ', "renamedFrom": "price"' ELSE '' END),
        'RENAMED_CODE', CASE WHEN renamed THEN ', "renamedFrom": "code"' ELSE '' END),
        'PTABLE', CASE WHEN renamed THEN 'parents' ELSE 'p' END),
        'PRICE', CASE WHEN renamed THEN 'cost' ELSE 'price' END),
        'CODE', CASE WHEN renamed THEN 'sku' ELSE 'code' END)::jsonb
$$;
SELECT count(*) FROM schemata.bootstrap(pg_temp.carried_model(false), extensions => '{}');
INSERT INTO carried.p VALUES (1), (7);
INSERT INTO carried.t (price, code) VALUES (1, 'a'), (7, 'b');
INSERT INTO carried.r VALUES ('a');
-- Renames that cannot run are refused before anything runs: a column
-- renamed away while the model has another one of its name (added again,
-- or a chain of renames), two columns renamed from one, and the same for
-- tables.
SELECT error_of(format('SELECT * FROM schemata.diff(%L)', replace(pg_temp.carried_model(true)::text,
    '{"name": "id", "type": "serial"}', '{"name": "id", "type": "serial"}, {"name": "price", "type": "int"}')));
SELECT error_of(format('SELECT * FROM schemata.diff(%L)', replace(pg_temp.carried_model(true)::text,
    '"renamedFrom": "code"', '"renamedFrom": "price"')));
SELECT error_of($$SELECT * FROM schemata.diff('[{"dbSchema": "carried", "table": "q", "renamedFrom": "p", "columns": [{"name": "id", "type": "int"}]},
                                                {"dbSchema": "carried", "table": "p", "columns": [{"name": "id", "type": "int"}]}]')$$);
SELECT error_of($$SELECT * FROM schemata.diff('[{"dbSchema": "carried", "table": "q", "renamedFrom": "p", "columns": [{"name": "id", "type": "int"}]},
                                                {"dbSchema": "carried", "table": "q2", "renamedFrom": "p", "columns": [{"name": "id", "type": "int"}]}]')$$);
SELECT step, operation, sql FROM schemata.diff(pg_temp.carried_model(true));
SELECT step, operation FROM schemata.sync(pg_temp.carried_model(true));
SELECT * FROM schemata.diff(pg_temp.carried_model(true));
SELECT cost, twice, sku FROM carried.t ORDER BY id;
SELECT count(*) FROM schemata.bootstrap(pg_temp.carried_model(true), 'carried_fresh', '{}');
SELECT * FROM pg_temp.describe('carried') EXCEPT SELECT * FROM pg_temp.describe('carried_fresh') ORDER BY 1, 2, 3, 4;
SELECT * FROM pg_temp.describe('carried_fresh') EXCEPT SELECT * FROM pg_temp.describe('carried') ORDER BY 1, 2, 3, 4;
DROP SCHEMA carried, carried_fresh CASCADE;

-- Columns and keys are compared without a scratch table: defaults in
-- PostgreSQL's canonical form for the model's type, serial and primary key
-- columns NOT NULL, a null default not stored, keys by definition.
CREATE SCHEMA canon;
CREATE TABLE canon.t (id serial, code integer, status varchar(20) DEFAULT 'new',
                      n numeric(8,2) DEFAULT 0, note text DEFAULT NULL, u text,
                      PRIMARY KEY (id, code), CONSTRAINT t_u_key UNIQUE (u));
CREATE FUNCTION pg_temp.canon_model(status_default jsonb, note_default jsonb)
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
                                                           'nullsNotDistinct', false)))))
$$;
-- in sync: 'new' as a text value and as SQL; DEFAULT NULL, which is not stored
SELECT * FROM schemata.diff(pg_temp.canon_model('"new"', 'null'));
SELECT * FROM schemata.diff(pg_temp.canon_model($$"'new'"$$, NULL));
-- each difference found (a changed key: see nulls_not_distinct.sql)
SELECT operation, object_name, sql FROM schemata.diff(pg_temp.canon_model('"old"', '"x"')) ORDER BY step;
DROP SCHEMA canon CASCADE;

-- Without the TEMP privilege on the database, a model whose forms need a
-- scratch table (here a check) cannot be diffed: PostgreSQL's error, 42501,
-- and nothing changes.  A model of columns and keys alone needs none.  A new
-- session: PostgreSQL checks TEMP when a session makes its first temporary
-- object, and this one has made some.
\c
CREATE SCHEMA notemp;
CREATE TABLE notemp.t (id int PRIMARY KEY, n int CONSTRAINT t_n_check CHECK (n > 0));
CREATE ROLE regress_diff_user;
GRANT USAGE ON SCHEMA schemata TO regress_diff_user;
GRANT EXECUTE ON FUNCTION schemata.diff(jsonb, name) TO regress_diff_user;
SELECT format('REVOKE TEMP ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SET ROLE regress_diff_user;
SELECT has_database_privilege(current_database(), 'TEMP') AS may_create_temp;
SELECT operation, object_name FROM schemata.diff(
    '[{"dbSchema": "notemp", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "n", "type": "int"}],
       "constraints": {"primaryKey": ["id"]}}]');
SELECT replace(error_of($$SELECT * FROM schemata.diff(
    '[{"dbSchema": "notemp", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "n", "type": "int"}],
       "constraints": {"primaryKey": ["id"], "checks": ["n > 0"]}}]')$$),
    current_database(), '<db>') AS error;
RESET ROLE;
SELECT format('GRANT TEMP ON DATABASE %I TO PUBLIC', current_database()) \gexec
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'notemp';
-- with TEMP again (a new session), the same model is in sync
\c
SET ROLE regress_diff_user;
SELECT count(*) AS steps FROM schemata.diff(
    '[{"dbSchema": "notemp", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "n", "type": "int"}],
       "constraints": {"primaryKey": ["id"], "checks": ["n > 0"]}}]');
RESET ROLE;
DROP SCHEMA notemp CASCADE;
REVOKE ALL ON FUNCTION schemata.diff(jsonb, name) FROM regress_diff_user;
REVOKE ALL ON SCHEMA schemata FROM regress_diff_user;
DROP ROLE regress_diff_user;
-- A changed generation expression drops and adds the column: the indexes,
-- keys and checks that use it go with DROP COLUMN, so they are added again
-- in the same diff, and one sync leaves nothing to do.
SELECT count(*) FROM schemata.bootstrap(
    '[{"dbSchema": "gen", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "a", "type": "int"},
                   {"name": "g", "type": "int", "generated": "always", "expression": "a * 2", "stored": true}],
       "constraints": {"primaryKey": ["id"], "checks": ["g < 1000"], "unique": [["id", "g"]],
                       "indexes": [{"columns": ["g"]}, {"columns": ["a"], "name": "t_a_where_g", "where": "g > 10"}]}}]');
SELECT step, operation, object_name, sql FROM schemata.sync(
    '[{"dbSchema": "gen", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "a", "type": "int"},
                   {"name": "g", "type": "int", "generated": "always", "expression": "a * 3", "stored": true}],
       "constraints": {"primaryKey": ["id"], "checks": ["g < 1000"], "unique": [["id", "g"]],
                       "indexes": [{"columns": ["g"]}, {"columns": ["a"], "name": "t_a_where_g", "where": "g > 10"}]}}]',
    allow_destructive => true);
SELECT count(*) AS steps FROM schemata.diff(
    '[{"dbSchema": "gen", "table": "t",
       "columns": [{"name": "id", "type": "int"}, {"name": "a", "type": "int"},
                   {"name": "g", "type": "int", "generated": "always", "expression": "a * 3", "stored": true}],
       "constraints": {"primaryKey": ["id"], "checks": ["g < 1000"], "unique": [["id", "g"]],
                       "indexes": [{"columns": ["g"]}, {"columns": ["a"], "name": "t_a_where_g", "where": "g > 10"}]}}]');
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'gen.t'::regclass AND contype <> 'n' ORDER BY 1;
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'gen.t'::regclass ORDER BY 1;
DROP SCHEMA gen CASCADE;
