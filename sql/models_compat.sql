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
