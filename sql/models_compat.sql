--
-- Models as pg-schemata and Linkgress users write them (issue 22)
--
\i test/models/helpers.sql

-- pg-schemata's own migrationSchema (src/models/SchemaMigrations.js, the
-- PR of seed 000), as written: nullable (no DDL effect in pg-schemata, so
-- hash stays nullable), version, softDelete: false, an index of type "Index".
SELECT * FROM schemata.bootstrap(pg_temp.model('migration_schema.json'), 'pgs', '{}');
SELECT * FROM pg_temp.describe('pgs');
SELECT * FROM schemata.diff(pg_temp.model('migration_schema.json'), 'pgs');
SELECT * FROM schemata.teardown(pg_temp.model('migration_schema.json'), 'pgs');
DROP SCHEMA pgs;

-- pg-schemata before 2.0: schemaName when dbSchema is absent, and a top-level
-- indexes list.
SELECT * FROM schemata.bootstrap(pg_temp.model('legacy_keys.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('legacy');
SELECT * FROM schemata.diff(pg_temp.model('legacy_keys.json'));
-- dbSchema wins over schemaName, as in pg-schemata
SELECT object_type, object_name, action FROM schemata.bootstrap(
  '[{"dbSchema": "legacy", "schemaName": "elsewhere", "table": "notes",
     "columns": [{"name": "id", "type": "serial"}]}]', extensions => '{}')
WHERE object_type = 'table';
SELECT * FROM schemata.teardown(pg_temp.model('legacy_keys.json'));
DROP SCHEMA legacy;
-- an index type other than "Index", both lists of indexes, unknown keys stay errors
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}],
  "constraints": {"indexes": [{"type": "Unique", "columns": ["a"]}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int"}],
  "indexes": [{"columns": ["a"]}], "constraints": {"indexes": [{"columns": ["a"]}]}}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "columns": [{"name": "a", "type": "int", "nulable": true}]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"table": "t", "schema": "x", "columns": [{"name": "a", "type": "int"}]}]', extensions => '{}');

-- bootstrap on a table that exists creates the indexes the model names and
-- the table lacks, as pg-schemata's createTable() does (CREATE INDEX IF NOT
-- EXISTS): here the index pg-schemata added to schema_migrations later.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('migration_schema.json'), 'pgs', '{}');
DROP INDEX pgs.idx_schema_migrations_schema_name_version;
SELECT * FROM schemata.bootstrap(pg_temp.model('migration_schema.json'), 'pgs', '{}');
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'pgs.schema_migrations'::regclass ORDER BY 1;
DROP SCHEMA pgs CASCADE;
-- The tutorial's orders gain two columns (tutorial_v2) and two indexes: the
-- one on an existing column is created, the one on the new columns cannot
-- be; a NOTICE says what differs and that sync applies it.
CREATE TEMP TABLE v2_indexed AS
SELECT jsonb_set(pg_temp.model('tutorial_v2.json'), '{1,constraints,indexes}',
  '[{"columns": ["placed_at"]}, {"columns": ["status"], "where": "shipped_at IS NULL"}]') AS m;
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop', '{}');
SELECT * FROM schemata.bootstrap((SELECT m FROM v2_indexed), 'shop', '{}');
SELECT step, operation, object_name FROM schemata.sync((SELECT m FROM v2_indexed), 'shop');
-- in sync now: no NOTICE, everything exists
SELECT * FROM schemata.bootstrap((SELECT m FROM v2_indexed), 'shop', '{}') WHERE object_type = 'index';
-- columns that differ in type or NOT NULL, a column and a constraint the model does not have
ALTER TABLE shop.customers ALTER COLUMN phone TYPE text, ALTER COLUMN email DROP NOT NULL,
  ADD COLUMN note text, DROP CONSTRAINT uidx_customers_email_af8f39;
SELECT * FROM schemata.bootstrap((SELECT m FROM v2_indexed), 'shop', '{}') WHERE object_name LIKE 'shop.customers%';
DROP SCHEMA shop CASCADE;

-- Type changes (Linkgress's alter_column): one that PostgreSQL cannot make
-- with an assignment cast gets USING col::type, as Linkgress writes it; the
-- others have none.
SELECT count(*) FROM schemata.bootstrap('[{"dbSchema": "lg", "table": "users", "columns": [
  {"name": "id", "type": "serial"}, {"name": "age", "type": "text"},
  {"name": "phone_number", "type": "varchar(20)"}, {"name": "visits", "type": "integer"},
  {"name": "score", "type": "integer"}],
  "constraints": {"primaryKey": ["id"]}}]', extensions => '{}');
INSERT INTO lg.users (age, phone_number, visits, score) VALUES ('42', '555-0100', 7, 3);
CREATE TEMP TABLE lg_v2 AS SELECT '[{"dbSchema": "lg", "table": "users", "columns": [
  {"name": "id", "type": "serial"}, {"name": "age", "type": "integer"},
  {"name": "phone_number", "type": "text"}, {"name": "visits", "type": "bigint"},
  {"name": "score", "type": "text"}],
  "constraints": {"primaryKey": ["id"]}}]'::jsonb AS m;
SELECT step, operation, object_name, destructive, sql FROM schemata.diff((SELECT m FROM lg_v2));
SELECT step, operation FROM schemata.sync((SELECT m FROM lg_v2), allow_destructive => true);
SELECT age, pg_typeof(age), phone_number, visits, pg_typeof(visits), score, pg_typeof(score) FROM lg.users;
DROP SCHEMA lg CASCADE;

-- teardown with cascade and drop_schema, as Linkgress's ensureDeleted()
-- (DROP TABLE ... CASCADE, then the schemas): what depends on the tables
-- goes too, and the rows say what.
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'lgdel', '{}');
CREATE VIEW lgdel.big_orders AS SELECT * FROM lgdel.orders WHERE order_total > 100;
CREATE VIEW lgdel.big_order_count AS SELECT count(*) FROM lgdel.big_orders;
CREATE FUNCTION lgdel.total(o lgdel.orders) RETURNS numeric LANGUAGE sql AS 'SELECT o.order_total';
CREATE TABLE public.order_notes (order_id uuid CONSTRAINT order_notes_order_fk REFERENCES lgdel.orders (id), note text);
-- without cascade: PostgreSQL's error names a dependent, nothing is dropped
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'lgdel');
SELECT count(*) FROM pg_class WHERE relnamespace = 'lgdel'::regnamespace AND relkind = 'r';
SET client_min_messages = warning;	-- DROP's own NOTICE lists them too
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'lgdel', cascade => true, drop_schema => true);
RESET client_min_messages;
SELECT nspname FROM pg_namespace WHERE nspname = 'lgdel';
SELECT conname FROM pg_constraint WHERE conrelid = 'public.order_notes'::regclass;
DROP TABLE public.order_notes;
-- a schema that holds something else is kept; public is never dropped
SELECT count(*) FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'lgdel', '{}');
CREATE TABLE lgdel.other (a int);
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'lgdel', drop_schema => true);
DROP SCHEMA lgdel CASCADE;
SELECT * FROM schemata.teardown('[{"table": "t", "columns": [{"name": "a", "type": "int"}]}]', 'public', drop_schema => true);
SELECT * FROM schemata.teardown('[]', cascade => NULL);

-- Linkgress enums (seed 002's create_enum: enumName, values): bootstrap
-- creates them before the tables; a column names one by its name alone.
SELECT * FROM schemata.bootstrap(pg_temp.model('linkgress_enums.json'), 'lgenum', '{}');
SELECT * FROM pg_temp.describe('lgenum');
SELECT enum_range(NULL::lgenum.order_status);
SELECT * FROM schemata.diff(pg_temp.model('linkgress_enums.json'), 'lgenum');
INSERT INTO lgenum.orders (previous_status) VALUES ('pending'), ('processing');
-- values added where the model places them: BEFORE the next one for the first, else AFTER the one before
CREATE TEMP TABLE enum_v2 AS SELECT jsonb_set(pg_temp.model('linkgress_enums.json'), '{0,values}',
  '["draft", "pending", "processing", "shipped", "completed"]') AS m;
SELECT * FROM schemata.diff((SELECT m FROM enum_v2), 'lgenum');
SELECT step, operation FROM schemata.sync((SELECT m FROM enum_v2), 'lgenum');
SELECT enum_range(NULL::lgenum.order_status);
-- bootstrap leaves an enum that exists alone, and says how it differs
SELECT * FROM schemata.bootstrap(pg_temp.model('linkgress_enums.json'), 'lgenum', '{}') WHERE object_type = 'enum';
-- a removed value (and a renamed one, which is a removed one and an added
-- one) cannot be dropped from an enum: the type is made again, its columns
-- converted through text, a destructive step
CREATE TEMP TABLE enum_v3 AS SELECT jsonb_set(pg_temp.model('linkgress_enums.json'), '{0,values}',
  '["pending", "processing", "shipped", "delivered"]') AS m;
SELECT step, operation, object_name, destructive, sql FROM schemata.diff((SELECT m FROM enum_v3), 'lgenum');
SELECT step, operation FROM schemata.sync((SELECT m FROM enum_v3), 'lgenum');
SELECT step, operation FROM schemata.sync((SELECT m FROM enum_v3), 'lgenum', allow_destructive => true);
SELECT enum_range(NULL::lgenum.order_status);
SELECT id, status, previous_status FROM lgenum.orders ORDER BY id;
SELECT * FROM schemata.diff((SELECT m FROM enum_v3), 'lgenum');
-- a row that holds a removed value fails the step, and nothing changes
INSERT INTO lgenum.orders (status) VALUES ('delivered');
SELECT step, operation FROM schemata.sync((SELECT m FROM enum_v2), 'lgenum', allow_destructive => true);
SELECT enum_range(NULL::lgenum.order_status);
-- a value added to an enum that exists cannot be used before the transaction
-- that adds it commits: diff cannot read a default of it yet (sync the value
-- first, then the default)
SELECT * FROM schemata.diff(jsonb_set(jsonb_set((SELECT m FROM enum_v3), '{0,values}',
  '["pending", "processing", "shipped", "delivered", "returned"]'),
  '{1,columns,1,default}', '"returned"'), 'lgenum');
-- teardown drops the enums after the tables; with cascade, a column of
-- another table of the enum goes too
CREATE TABLE public.shipments (id int, state lgenum.order_status);
SELECT * FROM schemata.teardown((SELECT m FROM enum_v3), 'lgenum');
SET client_min_messages = warning;
SELECT * FROM schemata.teardown((SELECT m FROM enum_v3), 'lgenum', cascade => true, drop_schema => true);
RESET client_min_messages;
SELECT attname FROM pg_attribute WHERE attrelid = 'public.shipments'::regclass AND attnum > 0 AND NOT attisdropped;
DROP TABLE public.shipments;
-- diff and sync create them on a database without them
SELECT step, operation, object_name, sql FROM schemata.sync(pg_temp.model('linkgress_enums.json'), 'lgenum');
SELECT * FROM schemata.diff(pg_temp.model('linkgress_enums.json'), 'lgenum');
SELECT * FROM schemata.teardown(pg_temp.model('linkgress_enums.json'), 'lgenum', drop_schema => true);
-- errors
SELECT * FROM schemata.bootstrap('[{"enumName": "e", "values": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"enumName": "e", "values": ["a", "b", "a"]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"type": "enum", "enumName": "e", "values": ["a"]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"enumName": "e", "values": ["a"]}, {"enumName": "e", "values": ["b"]}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"enumName": "e", "values": ["a"], "labels": []}]', extensions => '{}');
SELECT * FROM schemata.bootstrap('[{"enumName": "text", "values": ["a"]}]', 'pg_catalog', extensions => '{}');
