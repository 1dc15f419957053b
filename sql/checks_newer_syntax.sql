--
-- checks_newer_syntax: the checks of checks.sql on statements written in
-- syntax that came with PostgreSQL 14.  On 13 (checks_newer_syntax_1.out)
-- the parser refuses them before any check: the error names the file and
-- line, and nothing runs either way.
--

-- REINDEX with CONCURRENTLY in its option list, DETACH PARTITION ... CONCURRENTLY
SELECT * FROM schemata.apply(fixture('bad_reindex'));
SELECT * FROM schemata.apply(fixture('bad_detach'));
SELECT count(*) FROM pg_class WHERE relname LIKE 'measurements%';

-- Subscriptions without a replication slot or a refresh pass the checks
-- (the last statement is ALTER SUBSCRIPTION ... ADD PUBLICATION).
SELECT version, name FROM schemata.plan(fixture('subscription_no_slot'));
