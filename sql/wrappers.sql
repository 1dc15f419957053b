--
-- wrappers: real files wrap statements in BEGIN ... COMMIT, which apply
-- drops; a dropped COMMIT/END ends what SET LOCAL (or set_config(..., true))
-- set since its BEGIN, as under psql (issue 19, "Behaviour of real files").
--
CREATE SCHEMA wrap_other;
CREATE ROLE regress_wrap_role;
SET work_mem = '2MB';

SELECT version FROM schemata.apply(fixture('wrappers'), 'wrap_target');

-- 0001 x1, 0002 y1, 0004 r1 and r3, 0005 s1 to s4 and 0006 o2 in wrap_other;
-- every other table in the target schema; z1 is the role's
SELECT schemaname, tablename, tableowner = current_user AS callers
  FROM pg_tables WHERE schemaname IN ('wrap_target', 'wrap_other')
 ORDER BY tablename;

-- SET then SET LOCAL in a block: 5MB inside, the SET's 3MB after COMMIT;
-- the next migration starts from the caller's 2MB
SELECT 's3' AS t, work_mem FROM wrap_other.s3
UNION ALL SELECT 's4', work_mem FROM wrap_other.s4
UNION ALL SELECT 'o1', work_mem FROM wrap_target.o1;

-- the caller's settings and role are as they were
SELECT current_setting('search_path') AS search_path,
       current_setting('work_mem') AS work_mem, current_user = session_user AS own_role;
SELECT DISTINCT applied_by = current_user AS by_caller
  FROM schemata.migrations WHERE target_schema = 'wrap_target';

--
-- The enum hint when several migrations of one apply() add enum values that
-- later ones use: each call stops at the next of them, or migrate.  The
-- type is created in a call of its own (a value added to a type created in
-- the same transaction can be used at once on 17 and later).
--
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum',
                                   to_version => '0001');
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum');
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum',
                                   to_version => '0002');
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum');
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum',
                                   to_version => '0003');
SELECT version FROM schemata.apply(fixture('wrappers_enum'), 'wrap_enum');
SELECT * FROM wrap_enum.people ORDER BY name;

RESET work_mem;
DROP OWNED BY regress_wrap_role;
DROP ROLE regress_wrap_role;
