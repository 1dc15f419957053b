--
-- layout: entry forms, versions and their order, ignored entries, pairing of
-- up and down scripts, to_version, batches.
--

-- The four forms; README.md, 0004_notes.txt and .hidden.sql are ignored
-- without a word, seed.sql and the folder notes/ with a NOTICE.
SELECT version, name, statements, has_down FROM schemata.plan(fixture('basic'));

-- Up and down pair by version: 0003_orders.up.sql with 0003_drop_orders.down.sql.
SELECT version, name, has_down, up_sql FROM schemata.plan(fixture('basic'), to_version => '0003')
 WHERE version = '0003';

-- Order: numbers by value (001 < 9 < 10), then dates digit by digit
-- (20240115 < 2024-01-15-0000 < 2024-01-15-093000 < 2024-02-01), mixing
-- folders and files, styles with and without separators.
SELECT version, name FROM schemata.plan(fixture('ordering'), 'ordering');

-- Applying runs them in that order.
SELECT version FROM schemata.apply(fixture('ordering'), 'ordering');
SELECT n, name FROM ordering.applied_order ORDER BY n;
SELECT schemata.version('ordering');

-- Everything applied: no rows, a NOTICE naming the version.
SELECT * FROM schemata.apply(fixture('ordering'), 'ordering');

-- to_version applies up to and including it; versions match by value.
SET client_min_messages = warning;
SELECT version, name FROM schemata.apply(fixture('basic'), 'layout', to_version => '02');
SELECT version, name, state, batch FROM schemata.status(fixture('basic'), 'layout');
-- the next call is a new batch
SELECT version, name FROM schemata.apply(fixture('basic'), 'layout');
SELECT version, name, state, batch FROM schemata.status(fixture('basic'), 'layout');
SELECT version, name, state, batch FROM schemata.status(target_schema => 'layout');
SELECT schemata.version('layout'), schemata.version('no_such_schema');

-- The four forms ran: tables and rows are there.
SELECT count(*) AS users, min(prefs::text) AS prefs FROM layout.users;
SELECT to_regclass('layout.orders') IS NOT NULL AS orders_exists;

DROP SCHEMA ordering CASCADE;
DROP SCHEMA layout CASCADE;
DELETE FROM schemata.migrations;
