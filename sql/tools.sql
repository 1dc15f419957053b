--
-- tools: one directory per tool family, written in that tool's documented
-- layout (test/fixtures/adopt_<tool>), applied by apply() and by CALL
-- migrate() into two schemas: both build the same catalog and record the
-- same history.  (sql/adopt.sql adopts each from the tool's own table.)
--

-- A schema's catalog, its own name left out so two schemas compare.
CREATE FUNCTION pg_temp.describe(s text) RETURNS text
LANGUAGE sql AS $$
SELECT replace(string_agg(line, E'\n' ORDER BY line), s || '.', '') FROM (
    SELECT 'rel ' || c.relname || ' ' || c.relkind::text AS line
      FROM pg_class c WHERE c.relnamespace = s::regnamespace
    UNION ALL
    SELECT 'col ' || c.relname || '.' || a.attname || ' '
           || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'p')
    UNION ALL
    SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint
     WHERE connamespace = s::regnamespace AND contype <> 'n'  -- 18's NOT NULL rows: see the columns
    UNION ALL
    SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace = s::regnamespace
    UNION ALL
    SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE t.typnamespace = s::regnamespace GROUP BY t.typname
) lines
$$;

-- A schema's history: what each migration recorded, batches left out.
CREATE FUNCTION pg_temp.recorded(s text) RETURNS text
LANGUAGE sql AS $$
SELECT string_agg(version || ' ' || name || ' ' || checksum || ' ' || coalesce(md5(down_sql), '-'),
                  E'\n' ORDER BY version)
  FROM schemata.migrations WHERE target_schema = s
$$;

SELECT count(*) FROM schemata.apply(fixture('adopt_dbmate'), 'tl_dbmate_a');
CALL schemata.migrate(fixture('adopt_dbmate'), 'tl_dbmate_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_golang'), 'tl_golang_a');
CALL schemata.migrate(fixture('adopt_golang'), 'tl_golang_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_diesel'), 'tl_diesel_a');
CALL schemata.migrate(fixture('adopt_diesel'), 'tl_diesel_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_sqlx'), 'tl_sqlx_a');
CALL schemata.migrate(fixture('adopt_sqlx'), 'tl_sqlx_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_flyway'), 'tl_flyway_a');
CALL schemata.migrate(fixture('adopt_flyway'), 'tl_flyway_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_prisma'), 'tl_prisma_a');
CALL schemata.migrate(fixture('adopt_prisma'), 'tl_prisma_m');
SELECT count(*) FROM schemata.apply(fixture('adopt_drizzle'), 'tl_drizzle_a');
CALL schemata.migrate(fixture('adopt_drizzle'), 'tl_drizzle_m');

-- apply and migrate agree, tool by tool; every migration of the directory
-- recorded, and something built
SELECT tool,
       pg_temp.describe('tl_' || tool || '_a') = pg_temp.describe('tl_' || tool || '_m') AS same_catalog,
       pg_temp.recorded('tl_' || tool || '_a') = pg_temp.recorded('tl_' || tool || '_m') AS same_history,
       (SELECT count(*) FROM schemata.migrations WHERE target_schema = 'tl_' || tool || '_m') AS migrations,
       (SELECT count(*) FROM pg_class WHERE relnamespace = ('tl_' || tool || '_m')::regnamespace
                                       AND relkind = 'r') AS tables
  FROM unnest('{dbmate,golang,diesel,sqlx,flyway,prisma,drizzle}'::text[]) AS tool;

-- what was built, for the tools whose files do more than create a table
SELECT pg_temp.describe('tl_prisma_m');
SELECT pg_temp.describe('tl_drizzle_m');
SELECT pg_temp.describe('tl_flyway_m');
-- Flyway's order, by both: 1 < 1_1 (1.1) < 1.9 < 1.10 < 2 < 11
SELECT n, version FROM tl_flyway_a.fw_order ORDER BY n;
SELECT array_agg(version ORDER BY n) FROM tl_flyway_m.fw_order;
SELECT version, name, state FROM schemata.status(fixture('adopt_flyway'), 'tl_flyway_m');

SET client_min_messages = warning;
DROP SCHEMA tl_dbmate_a, tl_dbmate_m, tl_golang_a, tl_golang_m, tl_diesel_a, tl_diesel_m,
    tl_sqlx_a, tl_sqlx_m, tl_flyway_a, tl_flyway_m, tl_prisma_a, tl_prisma_m,
    tl_drizzle_a, tl_drizzle_m CASCADE;
RESET client_min_messages;
