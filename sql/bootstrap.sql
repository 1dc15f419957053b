--
-- bootstrap() and teardown(): tables from pg-schemata models
--
\i test/models/helpers.sql

-- The tutorial (seed 001): the names pg-schemata gives, hashes included.
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop', '{}');
SELECT * FROM pg_temp.describe('shop');
-- again: everything exists (the constraints the models name too), nothing changes
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop', '{}');
-- the default extensions argument installs pgcrypto, as pg-schemata does
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'shop') WHERE object_type = 'extension';
-- teardown drops the tables and leaves extensions and schemas alone
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'shop');
SELECT extname FROM pg_extension WHERE extname = 'pgcrypto';
SELECT nspname FROM pg_namespace WHERE nspname = 'shop';
DROP EXTENSION pgcrypto;
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'shop');
-- without target_schema, dbSchema decides
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial.json'), extensions => '{}');
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'));
DROP SCHEMA shop;

-- The tutorial after its maintenance change.
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial_v2.json'), 'shop_v2', '{}');
SELECT * FROM pg_temp.describe('shop_v2');
SELECT * FROM schemata.teardown(pg_temp.model('tutorial_v2.json'), 'shop_v2');
DROP SCHEMA shop_v2;

-- The tutorial as migrations: 0001 bootstraps, 0002 adds the status columns.
SELECT version, name FROM schemata.apply(current_setting('schemata_regress.fixtures') || '/tutorial', 'tutorial');
SELECT * FROM pg_temp.describe('tutorial') WHERE tbl = 'orders';
SELECT target_schema, version, name, batch FROM schemata.migrations WHERE target_schema = 'tutorial';
DELETE FROM schemata.migrations WHERE target_schema = 'tutorial';
DROP SCHEMA tutorial CASCADE;

-- Audit fields in both forms, soft delete, serial types.
SELECT * FROM schemata.bootstrap(pg_temp.model('audit_fields.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('audit');

-- Defaults: pg-schemata's quoting rule, SQL value functions as expressions.
SELECT * FROM schemata.bootstrap(pg_temp.model('defaults.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('defaults');
INSERT INTO defaults.kinds DEFAULT VALUES;
SELECT text_value, apostrophe, quoted, quoted_cast, number_string, negative_string,
       json_number, json_true, string_true, json_null, operator_call, concatenated,
       sql_looking_text, user_function = current_user AS is_current_user
FROM defaults.kinds;

-- Generated columns and serials.  As in pg-schemata, notNull on a generated
-- column is ignored (label).
SELECT * FROM schemata.bootstrap(pg_temp.model('generated.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('generated');

-- Unique constraints: arrays, objects, explicit names (nullsNotDistinct: see
-- nulls_not_distinct.sql).
SELECT * FROM schemata.bootstrap(pg_temp.model('uniques.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('uniques');

-- Foreign keys: dotted, schema, dbSchema, composite, self-reference, actions.
SELECT * FROM schemata.bootstrap(pg_temp.model('foreign_keys.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('fk_admin');
SELECT * FROM pg_temp.describe('fk_app');

-- A cycle: its tables first, the foreign key that closes it last.
SELECT * FROM schemata.bootstrap(pg_temp.model('cycle.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('cycle');
SELECT * FROM schemata.teardown(pg_temp.model('cycle.json'));

-- Without a cycle, a referenced table listed after its referencing table is
-- still created first, and the foreign key is part of CREATE TABLE; a
-- foreign key may also reference a table outside the models.
CREATE SCHEMA outside;
CREATE TABLE outside.regions (code text PRIMARY KEY);
SELECT * FROM schemata.bootstrap('[
  {"dbSchema": "fk_order", "table": "child", "columns": [{"name": "parent_id", "type": "int"}, {"name": "region", "type": "text"}],
   "constraints": {"foreignKeys": [{"columns": ["parent_id"], "references": {"table": "parent", "columns": ["id"]}},
                                   {"columns": ["region"], "references": {"table": "outside.regions", "columns": ["code"]}}]}},
  {"dbSchema": "fk_order", "table": "parent", "columns": [{"name": "id", "type": "int"}], "constraints": {"primaryKey": ["id"]}}
]', extensions => '{}');
SELECT * FROM pg_temp.describe('fk_order') WHERE kind = 'constraint';
SELECT * FROM schemata.teardown('[
  {"dbSchema": "fk_order", "table": "child", "columns": [{"name": "parent_id", "type": "int"}],
   "constraints": {"foreignKeys": [{"columns": ["parent_id"], "references": {"table": "parent", "columns": ["id"]}}]}},
  {"dbSchema": "fk_order", "table": "parent", "columns": [{"name": "id", "type": "int"}], "constraints": {"primaryKey": ["id"]}}
]');
DROP SCHEMA fk_order, outside CASCADE;

-- Checks, object and string forms.
SELECT * FROM schemata.bootstrap(pg_temp.model('checks.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('checks');

-- Indexes with every key.
SELECT * FROM schemata.bootstrap(pg_temp.model('indexes.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('indexes');
-- again: the table, its key and its indexes exist
SELECT * FROM schemata.bootstrap(pg_temp.model('indexes.json'), extensions => '{}');

-- Identifiers with quotes, spaces and Unicode.
SELECT * FROM schemata.bootstrap(pg_temp.model('quoting.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('Odd "Schema"');

-- Models as an object; keys for application code are ignored.
SELECT * FROM schemata.bootstrap(pg_temp.model('object_form.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('objform');

-- Types, verbatim.
SELECT * FROM schemata.bootstrap(pg_temp.model('types.json'), extensions => '{}');
SELECT * FROM pg_temp.describe('types');

-- The evolution pair that diff.sql syncs from one to the other.
SELECT * FROM schemata.bootstrap(pg_temp.model('evolve_v1.json'), 'evolve_v1', '{}');
SELECT * FROM pg_temp.describe('evolve_v1');
SELECT * FROM schemata.bootstrap(pg_temp.model('evolve_v2.json'), 'evolve_v2', '{}');
SELECT * FROM pg_temp.describe('evolve_v2');

-- target_schema moves every table, and the foreign keys that name no schema.
SELECT * FROM schemata.bootstrap(pg_temp.model('object_form.json'), 'moved', '{}');
SELECT * FROM pg_temp.describe('moved') WHERE kind = 'constraint';
SELECT * FROM schemata.teardown(pg_temp.model('object_form.json'), 'moved');
DROP SCHEMA moved;

-- An existing table is left alone; the missing ones are created.
CREATE SCHEMA partial;
CREATE TABLE partial.customers (id uuid PRIMARY KEY, legacy text);
SELECT * FROM schemata.bootstrap(pg_temp.model('tutorial.json'), 'partial', '{}');
SELECT * FROM pg_temp.describe('partial') WHERE tbl = 'customers';

-- teardown: something outside the models depends on a table: nothing dropped.
CREATE VIEW partial.big_orders AS SELECT * FROM partial.orders WHERE order_total > 100;
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'partial');
SELECT relname FROM pg_class WHERE relnamespace = 'partial'::regnamespace AND relkind = 'r' ORDER BY 1;
DROP VIEW partial.big_orders;
SELECT * FROM schemata.teardown(pg_temp.model('tutorial.json'), 'partial');
DROP SCHEMA partial;

-- A role without CREATE on the database bootstraps into an existing schema.
CREATE ROLE regress_bootstrap_user;
CREATE SCHEMA owned AUTHORIZATION regress_bootstrap_user;
GRANT USAGE ON SCHEMA schemata TO regress_bootstrap_user;
GRANT EXECUTE ON FUNCTION schemata.bootstrap(jsonb, name, text[]) TO regress_bootstrap_user;
SELECT has_database_privilege('regress_bootstrap_user', current_database(), 'CREATE');
SELECT pg_temp.model('checks.json') AS checks_model \gset
SET ROLE regress_bootstrap_user;
SELECT * FROM schemata.bootstrap(:'checks_model', 'owned', '{}');
RESET ROLE;
DROP SCHEMA owned CASCADE;
REVOKE ALL ON SCHEMA schemata FROM regress_bootstrap_user;
REVOKE ALL ON FUNCTION schemata.bootstrap(jsonb, name, text[]) FROM regress_bootstrap_user;
DROP ROLE regress_bootstrap_user;

-- One transaction: a failing table leaves nothing behind.
SELECT * FROM schemata.bootstrap('[
  {"dbSchema": "atomic", "table": "first", "columns": [{"name": "id", "type": "int"}]},
  {"dbSchema": "atomic", "table": "second", "hasAuditFields": {"enabled": true, "userFields": {"type": "uuid", "nullable": false}},
   "columns": [{"name": "id", "type": "int"}]}
]', extensions => '{}');
SELECT count(*) FROM pg_namespace WHERE nspname = 'atomic';

SET client_min_messages = warning;
DROP SCHEMA audit, defaults, generated, uniques, fk_app, fk_admin, cycle, checks, indexes,
    "Odd ""Schema""", objform, types, evolve_v1, evolve_v2 CASCADE;
