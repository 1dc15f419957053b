--
-- layouts: the directory layouts of the popular tools (Prisma, Flyway,
-- Drizzle), down scripts without an up migration, folders without a version,
-- directories without a migration, and Flyway names mixed with numbered ones.
--

-- Prisma: <14 digits>_<name>/migration.sql, no down script;
-- migration_lock.toml is ignored without a word.
SELECT version, name, statements, has_down FROM schemata.plan(fixture('layouts_prisma'));
SELECT version, name FROM schemata.apply(fixture('layouts_prisma'), 'lay_prisma');
SELECT version, name, state FROM schemata.status(fixture('layouts_prisma'), 'lay_prisma');
SELECT count(*) FROM lay_prisma."User" JOIN lay_prisma."Post" ON "authorId" = "User".id;

-- Flyway: V<version>__<description>.sql, versions compared part by part as
-- numbers: 1_1 (1.1) < 1.9 < 1.10 < 2 < 11.  U2__c.sql is the down script of
-- V2__c.sql; V1.9__a.sql.conf is ignored without a word.
SELECT version, name, has_down FROM schemata.plan(fixture('layouts_flyway'));
SELECT version, name FROM schemata.apply(fixture('layouts_flyway'), 'lay_flyway');
SELECT n, version FROM lay_flyway.flyway_order ORDER BY n;
SELECT version, name, state FROM schemata.status(fixture('layouts_flyway'), 'lay_flyway');
SELECT schemata.version('lay_flyway');
-- versions given as arguments compare the same way
SELECT version FROM schemata.plan(fixture('layouts_flyway'), to_version => '1.10');
SELECT version, name FROM schemata.rollback('lay_flyway', to_version => '1.10',
                                            dir => fixture('layouts_flyway'));
SELECT n, version FROM lay_flyway.flyway_order ORDER BY n;
SELECT version, name, state FROM schemata.status(fixture('layouts_flyway'), 'lay_flyway');

-- 1.0 is the same version as 1; repeatable migrations come after the
-- versioned ones (see the test repeatable).
SELECT error_of($$SELECT * FROM schemata.plan(fixture('layouts_flyway_dup'))$$);
SELECT version, name FROM schemata.plan(fixture('layouts_flyway_repeatable'));

-- Flyway names beside numbered names: refused, naming one of each.
SELECT * FROM schemata.apply(fixture('layouts_mixed'), 'lay_x');

-- Drizzle: read through meta/_journal.json; 0001_abandoned_draft.sql, not in
-- the journal, is ignored with a NOTICE though it shares version 0001;
-- "--> statement-breakpoint" lines are comments.
SELECT version, name, statements FROM schemata.plan(fixture('layouts_drizzle'));
SELECT version, name FROM schemata.apply(fixture('layouts_drizzle'), 'lay_drizzle');
SELECT version, name, state FROM schemata.status(fixture('layouts_drizzle'), 'lay_drizzle');
SELECT attname FROM pg_attribute
 WHERE attrelid = 'lay_drizzle.accounts'::regclass AND attnum > 0 ORDER BY attnum;

-- A journal that is not JSON, an entry that is wrong, entries out of order,
-- an entry without its file: errors naming the journal (and the JSON path).
SELECT * FROM schemata.plan(fixture('layouts_drizzle_badjson'));
SELECT * FROM schemata.plan(fixture('layouts_drizzle_badentry'));
SELECT error_of($$SELECT * FROM schemata.plan(fixture('layouts_drizzle_badorder'))$$);
SELECT error_of($$SELECT * FROM schemata.plan(fixture('layouts_drizzle_missing'))$$);

-- A .down.sql whose up migration is a .go file, or missing: a WARNING each,
-- and the rest applies.
SELECT version, name, has_down FROM schemata.plan(fixture('layouts_down_no_up'));
SELECT version, name FROM schemata.apply(fixture('layouts_down_no_up'), 'lay_down');

-- A folder without a version is ignored with a NOTICE.
SELECT version, name FROM schemata.plan(fixture('layouts_unversioned_folder'));

-- .sql files of which none is a migration: an error naming them; nothing ran.
SELECT * FROM schemata.apply(fixture('layouts_no_migration'), 'lay_none');
SELECT count(*) FROM pg_namespace WHERE nspname = 'lay_none';

-- An empty directory is no error.
SELECT * FROM schemata.plan(fixture('layouts_empty'));
SELECT * FROM schemata.apply(fixture('layouts_empty'), 'lay_empty');

-- History read back orders Flyway versions the same way.
SELECT version FROM schemata.status(target_schema => 'lay_flyway');
