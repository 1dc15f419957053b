--
-- test/reliability/harness.sql -- server-side helpers of the randomized tests
-- (fuzz_dirs.py, fuzz_models.py), loaded into their scratch database.
--
-- reliability.try(case_id, fn, call, ...) runs one call of a schemata
-- function in a plpgsql exception block (a subtransaction; an error there
-- still passes through all of schemata's own error paths) and records in
-- reliability.results:
--   sqlstate         '00000' on success, else the error's SQLSTATE
--   changed          the call failed, yet the catalog or history differ
--                    from before it; for a call that commits as it goes
--                    (migrate): what it committed is not exactly what apply
--                    up to its last recorded version makes of the same start
--                    (must never happen)
--   half_applied     a successful apply or migrate that did not record
--                    exactly the pending migrations plan() listed just
--                    before it, each once, or whose history is not then the
--                    rows before plus those (must never happen)
--   history_edited   a successful apply or migrate during which history rows
--                    were deleted, updated or truncated: a migration that
--                    tries must fail (schemata's history_guard trigger), so
--                    this must never happen
--   session_changed  the caller's settings differ after the call, or (for
--                    calls run as statements) the session still holds an
--                    advisory lock (must never happen, success or not)
-- A call that the driver runs as a statement of its own (its error aborts
-- the whole transaction; migrate must, as CALL cannot run in an exception
-- block) is framed by reliability.before() and reliability.after() instead,
-- which try() also uses.
-- A crash of the backend leaves no row: the driver notices the lost
-- connection and the missing row.
--

CREATE SCHEMA reliability;

CREATE TABLE reliability.results (
    case_id int NOT NULL,
    fn text NOT NULL,
    sqlstate text NOT NULL,
    message text,
    changed boolean NOT NULL,
    half_applied boolean NOT NULL,
    history_edited boolean NOT NULL,
    session_changed boolean NOT NULL,
    compared_with_apply boolean NOT NULL   -- migrate's partial outcome was compared
);

-- What before() saw; one row, read by after().
CREATE TABLE reliability.before_call (
    fingerprint text NOT NULL,
    outcome text NOT NULL,
    settings text NOT NULL,
    target name,
    applied text[],
    pending text[],
    planned boolean NOT NULL
);

-- What plan() said for one set of arguments and the catalog and history it
-- saw; the case's settings and files do not change until cleanup(), so a
-- call on the same state (migrate after a failed apply) reuses it.
CREATE TABLE reliability.plan_memo (
    arguments text NOT NULL,
    fingerprint text NOT NULL,
    pending text[]
);

-- Every write to the history since before(): schemata only ever inserts
-- rows during apply and migrate, and deletes the row of a repeatable
-- migration (R__x) that it runs again.
CREATE TABLE reliability.history_writes (
    op text NOT NULL,
    target_schema name,
    version text
);

CREATE FUNCTION reliability.note_history_write() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_LEVEL OPERATOR(pg_catalog.=) 'ROW' AND TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        INSERT INTO reliability.history_writes VALUES (TG_OP, NEW.target_schema, NEW.version);
    ELSIF TG_LEVEL OPERATOR(pg_catalog.=) 'ROW' THEN
        INSERT INTO reliability.history_writes VALUES (TG_OP, OLD.target_schema, OLD.version);
    ELSE
        INSERT INTO reliability.history_writes VALUES (TG_OP, NULL, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reliability_inserts AFTER INSERT ON schemata.migrations
    FOR EACH ROW EXECUTE FUNCTION reliability.note_history_write();
CREATE TRIGGER reliability_deletes AFTER DELETE ON schemata.migrations
    FOR EACH ROW EXECUTE FUNCTION reliability.note_history_write();
CREATE TRIGGER reliability_edits AFTER UPDATE OR TRUNCATE ON schemata.migrations
    FOR EACH STATEMENT EXECUTE FUNCTION reliability.note_history_write();

-- Schemas the fingerprint covers: all but the system's and this harness's.
CREATE FUNCTION reliability.user_schema(nsp name) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT nsp OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', 'pg_toast', 'reliability']::name[])
       AND nsp::text NOT LIKE 'pg\_temp\_%' AND nsp::text NOT LIKE 'pg\_toast\_temp\_%'
$$;

-- Everything but the history that a call could change, by name (no OIDs, so
-- that two builds of the same objects compare equal): schemas, relations,
-- columns with their defaults, constraints, indexes, views' and functions'
-- bodies, types and enum labels, triggers, policies, sequences' parameters,
-- owners and grants, comments, default privileges, extensions and their
-- versions, databases, roles and what ALTER SYSTEM wrote.  Not sequences'
-- last_value: nextval() is never rolled back, so a failed migration that
-- drew a number leaves it advanced (PostgreSQL's rule, not schemata's doing).
-- (search_path pg_catalog: names come out schema-qualified; lock_timeout
-- off: some cases set it to 1ms for the call, not for this.)
CREATE FUNCTION reliability.catalog() RETURNS text
LANGUAGE plpgsql STABLE SET lock_timeout = 0 SET search_path = pg_catalog
AS $$
BEGIN
    RETURN concat_ws(' | ',
        (SELECT string_agg(format('%s:%s:%s', n.nspname, n.nspowner::regrole, n.nspacl), ',' ORDER BY n.nspname)
           FROM pg_namespace n WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s.%s:%s:%s:%s:%s%s:%s:%s', n.nspname, c.relname, c.relkind, c.relowner::regrole,
                                  c.relacl, c.relrowsecurity, c.relforcerowsecurity,
                                  CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid)
                                       WHEN c.relkind IN ('v', 'm') THEN md5(pg_get_viewdef(c.oid)) END,
                                  (SELECT format('%s/%s/%s/%s/%s/%s', s.seqtypid::regtype, s.seqstart, s.seqincrement,
                                                 s.seqmin, s.seqmax, s.seqcycle)
                                     FROM pg_sequence s WHERE s.seqrelid = c.oid)), ','
                                      ORDER BY n.nspname, c.relname)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s.%s.%s:%s:%s:%s:%s:%s:%s', n.nspname, c.relname, a.attname,
                                  format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
                                  pg_get_expr(d.adbin, d.adrelid), a.attacl), ','
                                      ORDER BY n.nspname, c.relname, a.attnum)
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE reliability.user_schema(n.nspname) AND a.attnum > 0 AND NOT a.attisdropped),
        (SELECT string_agg(format('%s.%s:%s:%s:%s', n.nspname, co.conname, co.conrelid::regclass, co.contypid::regtype,
                                  pg_get_constraintdef(co.oid)), ','
                                      ORDER BY n.nspname, co.conname, co.conrelid::regclass::text)
           FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s.%s(%s):%s:%s:%s:%s:%s:%s', n.nspname, p.proname,
                                  pg_get_function_identity_arguments(p.oid), p.prokind, p.prorettype::regtype,
                                  p.proowner::regrole, p.proacl, p.proconfig, md5(p.prosrc)), ','
                                      ORDER BY n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s.%s:%s:%s:%s', n.nspname, t.typname, t.typtype, t.typowner::regrole, t.typacl), ','
                                      ORDER BY n.nspname, t.typname)
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s=%s', e.enumtypid::regtype, e.enumlabel), ','
                                      ORDER BY e.enumtypid::regtype::text, e.enumsortorder)
           FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT string_agg(format('%s:%s', tg.tgenabled, pg_get_triggerdef(tg.oid)), ','
                                      ORDER BY tg.tgrelid::regclass::text, tg.tgname)
           FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE reliability.user_schema(n.nspname) AND NOT tg.tgisinternal),
        (SELECT string_agg(format('%s', po.*), ',' ORDER BY po.schemaname, po.tablename, po.policyname)
           FROM pg_policies po WHERE reliability.user_schema(po.schemaname)),
        (SELECT string_agg(format('%s=%s', pg_describe_object(de.classoid, de.objoid, de.objsubid), de.description), ','
                                      ORDER BY pg_describe_object(de.classoid, de.objoid, de.objsubid))
           FROM pg_description de WHERE de.objoid >= 16384),
        (SELECT string_agg(format('%s:%s:%s', da.defaclrole::regrole, da.defaclnamespace::regnamespace, da.defaclacl), ','
                                      ORDER BY da.defaclrole::regrole::text, da.defaclnamespace::regnamespace::text,
                                               da.defaclobjtype)
           FROM pg_default_acl da),
        (SELECT string_agg(format('%s:%s:%s', e.extname, e.extversion, e.extnamespace::regnamespace), ',' ORDER BY e.extname)
           FROM pg_extension e),
        (SELECT string_agg(format('%s:%s', d.datname, d.datacl), ',' ORDER BY d.datname) FROM pg_database d),
        (SELECT string_agg(format('%s:%s%s%s', r.rolname, r.rolsuper, r.rolcanlogin, r.rolconfig), ',' ORDER BY r.rolname)
           FROM pg_roles r),
        md5(pg_read_file('postgresql.auto.conf')));
END
$$;

-- The history rows, each whole (full) or only what two runs of the same
-- migrations share (not when they ran nor how long they took).
CREATE FUNCTION reliability.history(full_rows boolean) RETURNS text
LANGUAGE sql STABLE SET lock_timeout = 0 SET search_path = pg_catalog
AS $$
    SELECT string_agg(CASE WHEN full_rows THEN format('%s', m.*)
                           ELSE format('%s', (m.target_schema, m.version, m.name, m.checksum, m.down_sql,
                                              m.batch, m.applied_by)) END, ','
                      ORDER BY m.target_schema, m.version)
      FROM schemata.migrations m
$$;

-- What a failed call must leave alone: the catalog and every history row.
CREATE FUNCTION reliability.fingerprint(cat text DEFAULT reliability.catalog()) RETURNS text
LANGUAGE sql STABLE SET lock_timeout = 0
AS $$
    SELECT pg_catalog.md5(pg_catalog.concat_ws(' | ', cat, reliability.history(true)))
$$;

-- What two runs of the same migrations from the same start must agree on.
CREATE FUNCTION reliability.outcome(cat text DEFAULT reliability.catalog()) RETURNS text
LANGUAGE sql STABLE SET lock_timeout = 0
AS $$
    SELECT pg_catalog.md5(pg_catalog.concat_ws(' | ', cat, reliability.history(false)))
$$;

-- The caller's settings that a migration may change and must not leak.
CREATE FUNCTION reliability.session_settings() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.string_agg(s.name OPERATOR(pg_catalog.||) '=' OPERATOR(pg_catalog.||) s.setting, ',' ORDER BY s.name)
      FROM pg_catalog.pg_settings s
     WHERE s.name OPERATOR(pg_catalog.=) ANY (ARRAY['search_path', 'TimeZone', 'work_mem', 'statement_timeout',
                                                    'lock_timeout', 'client_min_messages', 'check_function_bodies',
                                                    'role', 'session_authorization', 'DateStyle',
                                                    'default_transaction_isolation', 'transaction_read_only'])
$$;

-- The versions recorded for a target schema.
CREATE FUNCTION reliability.applied(target text) RETURNS text[]
LANGUAGE sql STABLE
AS $$
    SELECT ARRAY(SELECT m.version FROM schemata.migrations m
                  WHERE m.target_schema OPERATOR(pg_catalog.=) target::name ORDER BY m.version)
$$;

-- The last of versions in schemata's order for a target schema's history.
CREATE FUNCTION reliability.last_of(target text, versions text[]) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT s.version FROM schemata.status(NULL, target::name) WITH ORDINALITY s
     WHERE s.version OPERATOR(pg_catalog.=) ANY (versions)
     ORDER BY s.ordinality DESC LIMIT 1
$$;

-- The versions plan() lists, in its order; NULL when plan() fails.
CREATE FUNCTION reliability.pending(dir text, target text, to_version text, out_of_order boolean) RETURNS text[]
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN ARRAY(SELECT p.version FROM schemata.plan(dir, target::name, to_version, out_of_order) p);
EXCEPTION
    WHEN OTHERS OR query_canceled THEN
        RETURN NULL;
END
$$;

-- The same versions in one order, for comparing sets of them.
CREATE FUNCTION reliability.sorted(versions text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ARRAY(SELECT v FROM pg_catalog.unnest(versions) v ORDER BY v)
$$;

-- Before a call: note the catalog, the settings and, for a call that applies
-- migrations to target (dir, to_version and out_of_order given), what is
-- recorded and what plan() says is pending.
CREATE FUNCTION reliability.before(target text DEFAULT NULL, dir text DEFAULT NULL, to_version text DEFAULT NULL,
                                   out_of_order boolean DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET lock_timeout = 0
AS $$
DECLARE
    planned boolean := out_of_order IS NOT NULL;
    cat text := reliability.catalog();
    fp text := reliability.fingerprint(cat);
    memo_key text := pg_catalog.format('%L %L %L %L', dir, target, to_version, out_of_order);
    plan_pending text[];
BEGIN
    IF planned THEN
        SELECT p.pending INTO plan_pending FROM reliability.plan_memo p
         WHERE p.arguments OPERATOR(pg_catalog.=) memo_key AND p.fingerprint OPERATOR(pg_catalog.=) fp;
        IF NOT FOUND THEN
            plan_pending := reliability.pending(dir, target, to_version, out_of_order);
            INSERT INTO reliability.plan_memo VALUES (memo_key, fp, plan_pending);
        END IF;
    END IF;
    DELETE FROM reliability.before_call;
    DELETE FROM reliability.history_writes;
    INSERT INTO reliability.before_call
    VALUES (fp, reliability.outcome(cat), reliability.session_settings(), target,
            CASE WHEN planned THEN reliability.applied(target) END, plan_pending, planned);
END
$$;

-- After a migrate that failed having recorded some migrations: rebuild the
-- start state (cleanup, then setup, checked against what before() noted),
-- apply up to the last version migrate recorded and compare the outcomes.
-- Returns NULL when they agree, else what differs.  An apply that fails with
-- 55P04 (an enum value added and used in one transaction, which migrate
-- allows) or 25001 (a non-transactional migration, which migrate runs
-- outside a transaction) gives no reference: 'no reference'.
CREATE FUNCTION reliability.compare_with_apply(b reliability.before_call, dir text, to_version text,
                                               out_of_order boolean, setup text) RETURNS text
LANGUAGE plpgsql SET lock_timeout = 0
AS $$
DECLARE
    migrated text := reliability.outcome();
    state text;
    msg text;
BEGIN
    PERFORM reliability.cleanup();
    IF setup IS NOT NULL THEN
        BEGIN
            EXECUTE setup;
        EXCEPTION
            WHEN OTHERS OR query_canceled THEN
                NULL;   -- it failed at the start of the case too
        END;
    END IF;
    IF reliability.outcome() OPERATOR(pg_catalog.<>) b.outcome THEN
        RETURN 'the start state could not be rebuilt for the reference apply';
    END IF;
    BEGIN
        PERFORM FROM schemata.apply(dir, b.target::name, to_version, out_of_order);
    EXCEPTION
        WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            IF state OPERATOR(pg_catalog.=) ANY ('{55P04,25001}') THEN
                RETURN 'no reference';
            END IF;
            RETURN pg_catalog.format('the reference apply up to %s failed: %s: %s', to_version, state, msg);
    END;
    IF reliability.outcome() OPERATOR(pg_catalog.<>) migrated THEN
        RETURN pg_catalog.format('the migrations it committed differ from apply up to %s', to_version);
    END IF;
    RETURN NULL;
END
$$;

-- Whether the first migration still pending looks non-transactional (a
-- CONCURRENTLY, VACUUM or REINDEX SCHEMA statement, a dbmate
-- "transaction:false"): migrate runs it outside a transaction, so when it
-- fails the statements before the failing one stay committed and apply is no
-- reference.  A false positive only skips a comparison.
CREATE FUNCTION reliability.stopped_outside_transaction(dir text, target text, out_of_order boolean)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN COALESCE((SELECT p.up_sql OPERATOR(pg_catalog.~*)
                            '\m(concurrently|vacuum)\M|\mreindex\s+schema\M|transaction:\s*false'
                       FROM schemata.plan(dir, target::name, NULL, out_of_order) p LIMIT 1), false);
EXCEPTION
    WHEN OTHERS OR query_canceled THEN
        RETURN false;
END
$$;

-- After a call: record its outcome (see the top of this file).  statement:
-- the call ran as a statement of its own, so the session may hold no
-- advisory lock now.  For a migrate (commits), dir, to_version, out_of_order
-- and setup (the SQL that built the case's start state after a cleanup) let
-- a partial outcome be compared with apply.
CREATE FUNCTION reliability.after(case_id int, fn text, state text, message text, statement boolean,
                                  commits boolean DEFAULT false, dir text DEFAULT NULL,
                                  out_of_order boolean DEFAULT NULL, setup text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET lock_timeout = 0
AS $$
DECLARE
    b reliability.before_call;
    now_applied text[];
    added text[];
    last_added text;
    differs text;
    changed boolean := false;
    half_applied boolean := false;
    history_edited boolean := false;
    compared boolean := false;
    recorded text[];
    session_changed boolean;
BEGIN
    SELECT * INTO STRICT b FROM reliability.before_call;
    session_changed := reliability.session_settings() OPERATOR(pg_catalog.<>) b.settings
        OR (statement AND EXISTS (SELECT FROM pg_catalog.pg_locks l
                                   WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
                                     AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()));
    IF b.planned THEN
        now_applied := reliability.applied(b.target);
        added := ARRAY(SELECT v FROM pg_catalog.unnest(now_applied) v
                        WHERE v OPERATOR(pg_catalog.<>) ALL (b.applied));
    END IF;
    IF state OPERATOR(pg_catalog.=) '00000' THEN
        IF b.planned THEN
            recorded := ARRAY(SELECT w.version FROM reliability.history_writes w
                               WHERE w.op OPERATOR(pg_catalog.=) 'INSERT'
                                 AND w.target_schema OPERATOR(pg_catalog.=) b.target::name ORDER BY w.version);
            -- a repeatable migration run again has its old row replaced
            history_edited := EXISTS (SELECT FROM reliability.history_writes w
                                       WHERE w.op OPERATOR(pg_catalog.<>) 'INSERT'
                                         AND NOT (w.op OPERATOR(pg_catalog.=) 'DELETE'
                                                  AND pg_catalog.starts_with(w.version, 'R__')
                                                  AND w.version OPERATOR(pg_catalog.=) ANY (recorded)));
            half_applied := b.pending IS NULL
                OR recorded IS DISTINCT FROM reliability.sorted(b.pending)
                OR (NOT history_edited AND now_applied IS DISTINCT FROM
                    reliability.sorted(ARRAY(SELECT DISTINCT v FROM pg_catalog.unnest(
                        b.applied OPERATOR(pg_catalog.||) b.pending) v)));
        END IF;
    ELSIF commits AND reliability.stopped_outside_transaction(dir, b.target, out_of_order) THEN
        differs := 'no reference: it stopped in a migration run outside a transaction';
    ELSIF commits AND pg_catalog.cardinality(added) OPERATOR(pg_catalog.>) 0 THEN
        -- a repeatable migration (R__x, listed last by status) that migrate
        -- committed has no version an apply could stop at: no reference
        last_added := reliability.last_of(b.target, added);
        differs := CASE WHEN pg_catalog.starts_with(last_added, 'R__') THEN 'no reference'
                   ELSE reliability.compare_with_apply(b, dir, last_added, out_of_order, setup) END;
        compared := differs IS DISTINCT FROM 'no reference';
        changed := compared AND differs IS NOT NULL;
    ELSE
        changed := reliability.fingerprint() OPERATOR(pg_catalog.<>) b.fingerprint;
    END IF;
    INSERT INTO reliability.results
    VALUES (case_id, fn, state,
            CASE WHEN state OPERATOR(pg_catalog.<>) '00000' THEN concat_ws('; ', message, differs) END,
            changed, half_applied, history_edited, session_changed, compared);
END
$$;

-- One call in an exception block, framed by before() and after().
CREATE FUNCTION reliability.try(case_id int, fn text, call text, target text DEFAULT NULL, dir text DEFAULT NULL,
                                to_version text DEFAULT NULL, out_of_order boolean DEFAULT NULL) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    state text := '00000';
    msg text;
BEGIN
    PERFORM reliability.before(target, dir, to_version, out_of_order);
    BEGIN
        EXECUTE call;
    EXCEPTION
        WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    PERFORM reliability.after(case_id, fn, state, msg, false);
    RETURN state;
END
$$;

-- After each case: drop what its calls created, so every case starts alike.
CREATE FUNCTION reliability.cleanup() RETURNS void
LANGUAGE plpgsql SET lock_timeout = 0
AS $$
DECLARE
    nsp name;
BEGIN
    FOR nsp IN SELECT n.nspname FROM pg_catalog.pg_namespace n
                WHERE reliability.user_schema(n.nspname)
                  AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['public', 'schemata']::name[])
    LOOP
        EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', nsp);
    END LOOP;
    DROP SCHEMA public CASCADE;
    CREATE SCHEMA public;
    -- a migrate commits what its migrations made, temporary tables too,
    -- which outlive it in this session
    DISCARD TEMP;
    DELETE FROM schemata.migrations;
    DELETE FROM reliability.plan_memo;
END
$$;

-- Every case starts from a cleaned database, the first one too.
SELECT reliability.cleanup();
