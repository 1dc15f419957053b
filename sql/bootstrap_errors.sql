--
-- bootstrap(): bad models.  Each error names the JSON path, nothing is created.
--
\i test/models/helpers.sql

-- not an array or an object
SELECT * FROM schemata.bootstrap('42', extensions => '{}');
SELECT * FROM schemata.bootstrap('"orders"', extensions => '{}');
SELECT * FROM schemata.bootstrap(NULL, extensions => '{}');
SELECT * FROM schemata.bootstrap('[]', extensions => NULL);
SELECT * FROM schemata.bootstrap('[1]', extensions => '{}');
SELECT * FROM schemata.bootstrap('{"orders": []}', extensions => '{}');
-- a table without table or columns
SELECT * FROM schemata.bootstrap('[{"columns": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t"}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": {}}]', extensions => '{}');
-- a column without name or type, or with a value of the wrong type
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"type": "int"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "b"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "notNull": "yes"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "", "type": "int"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "a", "type": "text"}]}]', extensions => '{}');
-- unknown keys are errors (nullable is accepted, see models_compat)
SELECT * FROM schemata.bootstrap('[{"table": "t", "colums": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "notnull": true}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [], "constraints": {"primary": ["a"]}}]', extensions => '{}');
-- unknown type, bad type syntax
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "intgr"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int); DROP TABLE x; --"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "varchar(-1)"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "varchar(0)"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "  "}]}]', extensions => '{}');
-- a default that is not exactly one SQL expression
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "timestamptz", "default": "now()); DROP TABLE x; --"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": "max(a) FROM t"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": "f(1), f(2)"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": {"sql": "1"}}]}]', extensions => '{}');
-- a where, expression or check that is not one expression
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "where": "a > 0; DROP TABLE x"}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "int", "generated": "always", "expression": "a) STORED, c int GENERATED ALWAYS AS (1", "stored": true}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"checks": ["a > 0) NOT VALID, CHECK (true"]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"checks": [{"expression": "a AS b"}]}}]', extensions => '{}');
-- generated columns: always, stored, with an expression, without a default
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "generated": "by default", "expression": "1", "stored": true}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "generated": "always", "expression": "1"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "generated": "always", "stored": true}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "expression": "1"}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "generated": "always", "expression": "1", "stored": true, "default": 2}]}]', extensions => '{}');
-- foreign keys: unknown table or column, mismatched counts, bad action
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "nowhere", "columns": ["id"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "p", "columns": [{"name": "id", "type": "int"}]}, {"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "p", "columns": ["ident"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "pg_catalog.pg_class", "columns": ["nosuch"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["b"], "references": {"table": "t", "columns": ["a"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a", "b"], "references": {"table": "t", "columns": ["a"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "t", "columns": ["a"]}, "onDelete": "DROP TABLE x"}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "a.b.c", "columns": ["a"]}}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": "t"}]}}]', extensions => '{}');
-- a primary key, unique constraint or index naming an unknown column
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"primaryKey": ["id"]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"unique": [["a"], {"columns": ["b"]}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": [{"column": "b"}]}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": [{"column": "a", "order": "UP"}]}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "using": "nosuch"}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": [{"column": "a", "opclass": "text_ops; DROP TABLE x"}]}]}}]', extensions => '{}');
-- identifiers longer than 63 bytes, given or generated, are never truncated
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 64), 'columns', '[]'::jsonb)), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', 't', 'columns', jsonb_build_array(jsonb_build_object('name', repeat('é', 32), 'type', 'int')))), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 40), 'columns', '[{"name": "email_address", "type": "text"}]'::jsonb, 'constraints', '{"unique": [["email_address"]]}'::jsonb)), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 50), 'columns', '[{"name": "a", "type": "int"}, {"name": "bbbbbbbbbbbb", "type": "int"}]'::jsonb, 'constraints', '{"indexes": [{"columns": ["a", "bbbbbbbbbbbb"]}]}'::jsonb)), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 55), 'columns', '[{"name": "a", "type": "int"}]'::jsonb, 'constraints', jsonb_build_object('foreignKeys', jsonb_build_array(jsonb_build_object('columns', '["a"]'::jsonb, 'references', jsonb_build_object('table', repeat('t', 55), 'columns', '["a"]'::jsonb)))))), extensions => '{}');
-- names PostgreSQL derives from the table name (<table>_pkey, a serial's
-- <table>_<column>_seq, a check's <table>_<column>_check) would be truncated
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 60), 'columns', '[{"name": "a", "type": "int"}]'::jsonb, 'constraints', '{"primaryKey": ["a"]}'::jsonb)), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 60), 'columns', '[{"name": "id", "type": "serial"}]'::jsonb)), extensions => '{}');
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('table', repeat('t', 60), 'columns', '[{"name": "a", "type": "int"}]'::jsonb, 'constraints', '{"checks": ["a > 0"]}'::jsonb)), extensions => '{}');
-- a check on two columns is named <table>_check: 57 bytes of table name fit
SELECT * FROM schemata.bootstrap(jsonb_build_array(jsonb_build_object('dbSchema', 'longnames', 'table', repeat('t', 57), 'columns', '[{"name": "a", "type": "int"}, {"name": "b", "type": "int"}]'::jsonb, 'constraints', '{"checks": ["a > b"]}'::jsonb)), extensions => '{}');
DROP SCHEMA longnames CASCADE;
-- the same table twice
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": []}, {"dbSchema": "public", "table": "t", "columns": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"dbSchema": "a", "table": "t", "columns": []}, {"dbSchema": "b", "table": "t", "columns": []}]', 'c', '{}');
-- reserved schemas, bad extensions
SELECT * FROM schemata.bootstrap('[{"dbSchema": "pg_catalog", "table": "t", "columns": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[]', 'schemata', '{}');
\set VERBOSITY terse
SELECT * FROM schemata.bootstrap('[]', extensions => '{no_such_extension}');
\set VERBOSITY default
SELECT * FROM schemata.bootstrap('[]', extensions => '{NULL}');
-- teardown checks models the same way
SELECT * FROM schemata.teardown('[{"table": "t"}]');

-- Nothing in a model can run SQL other than the DDL it describes.  Every
-- field that reaches the DDL gets an attempt to drop this table: each is an
-- error, or ends up quoted, as data.
CREATE TABLE victim (id int);
SELECT * FROM schemata.bootstrap('[{"table": "x\"; DROP TABLE victim; --", "columns": [{"name": "a\"); DROP TABLE victim; --", "type": "int", "default": "1); DROP TABLE victim; --"}]}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "x\"; DROP TABLE victim; --", "columns": [{"name": "a\"); DROP TABLE victim; --", "type": "int", "default": "0 -- ); DROP TABLE victim; --"}]}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "text", "default": "''); DROP TABLE victim; --"}]}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t2", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "with": {"fillfactor = 70); DROP TABLE victim; --": 1}}]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t3", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "with": {"fillfactor": "70); DROP TABLE victim; --"}}]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t4", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "tablespace": "pg_default; DROP TABLE victim"}]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t5", "columns": [{"name": "a", "type": "int"}], "constraints": {"indexes": [{"columns": ["a"], "using": "btree (a); DROP TABLE victim; --"}]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t6", "columns": [{"name": "a", "type": "int"}], "constraints": {"foreignKeys": [{"columns": ["a"], "references": {"table": "t6", "columns": ["a"]}, "onUpdate": "CASCADE; DROP TABLE victim"}]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t7", "columns": [{"name": "a", "type": "int"}], "constraints": {"checks": ["(SELECT count(*) FROM victim) >= 0"]}}]', 'inj', '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t8", "columns": [{"name": "a", "type": "int", "generated": "always", "expression": "1) STORED); DROP TABLE victim; --", "stored": true}]}]', 'inj', '{}');
SELECT * FROM pg_temp.describe('inj');
SELECT count(*) AS victim_rows FROM victim;
DROP TABLE victim;
DROP SCHEMA inj CASCADE;
