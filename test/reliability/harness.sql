--
-- test/reliability/harness.sql -- server-side helpers of the randomized tests
-- (fuzz_dirs.py, fuzz_models.py), loaded into their scratch database.
--
-- reliability.try(case_id, fn, call) runs one call of a schemata function and
-- records in reliability.results:
--   sqlstate         '00000' on success, else the error's SQLSTATE
--   changed          the call failed, yet the catalog or history differ
--                    from before it (must never happen)
--   session_changed  the caller's settings differ after the call, or (for
--                    calls run as statements) the session still holds an
--                    advisory lock (must never happen, success or not)
-- The call runs in a plpgsql exception block, i.e. a subtransaction; an
-- error there still passes through all of schemata's own error paths.
-- reliability.record() records a call that the driver ran as a statement of
-- its own instead (fuzz_dirs.py does so for some applies).
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
    session_changed boolean NOT NULL
);

-- Schemas the fingerprint covers: all but the system's and this harness's.
CREATE FUNCTION reliability.user_schema(nsp name) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT nsp OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', 'pg_toast', 'reliability']::name[])
       AND nsp::text NOT LIKE 'pg\_temp\_%' AND nsp::text NOT LIKE 'pg\_toast\_temp\_%'
$$;

-- Everything a call could change: schemas, relations, columns, constraints,
-- functions, types, extensions and the history rows.
-- (lock_timeout off: some cases set it to 1ms for the call, not for this.)
CREATE FUNCTION reliability.fingerprint() RETURNS text
LANGUAGE sql STABLE SET lock_timeout = 0
AS $$
    SELECT pg_catalog.md5(pg_catalog.concat_ws(' | ',
        (SELECT pg_catalog.string_agg(n.nspname, ',' ORDER BY n.nspname)
           FROM pg_catalog.pg_namespace n WHERE reliability.user_schema(n.nspname)),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s:%s', n.nspname, c.relname, c.relkind), ','
                                      ORDER BY n.nspname, c.relname)
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s.%s:%s:%s:%s', n.nspname, c.relname, a.attname,
                                                        a.atttypid::pg_catalog.regtype, a.attnotnull, a.atthasdef), ','
                                      ORDER BY n.nspname, c.relname, a.attnum)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
           JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
          WHERE reliability.user_schema(n.nspname) AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s:%s', n.nspname, co.conname, pg_catalog.pg_get_constraintdef(co.oid)), ','
                                      ORDER BY n.nspname, co.conname)
           FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) co.connamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s(%s)', n.nspname, p.proname, p.proargtypes), ','
                                      ORDER BY n.nspname, p.proname, p.proargtypes::text)
           FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s', n.nspname, t.typname), ',' ORDER BY n.nspname, t.typname)
           FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace
          WHERE reliability.user_schema(n.nspname)),
        (SELECT pg_catalog.string_agg(e.extname, ',' ORDER BY e.extname) FROM pg_catalog.pg_extension e),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%s', m.*), ',' ORDER BY m.target_schema, m.version)
           FROM schemata.migrations m)))
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

CREATE FUNCTION reliability.try(case_id int, fn text, call text) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    catalog_before text := reliability.fingerprint();
    settings_before text := reliability.session_settings();
    state text := '00000';
    msg text;
BEGIN
    BEGIN
        EXECUTE call;
    EXCEPTION
        WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO reliability.results
    VALUES (case_id, fn, state, msg,
            state OPERATOR(pg_catalog.<>) '00000' AND reliability.fingerprint() OPERATOR(pg_catalog.<>) catalog_before,
            reliability.session_settings() OPERATOR(pg_catalog.<>) settings_before);
    RETURN state;
END
$$;

-- The same record for a call made as a statement of its own, outside any
-- exception block (psql gives its SQLSTATE): the error aborted the whole
-- transaction, and this runs in the next one, so the session may hold no
-- advisory lock any more.  catalog_before NULL: a call that commits as it
-- goes (migrate), whose catalog is not compared.
CREATE FUNCTION reliability.record(case_id int, fn text, state text, message text,
                                   catalog_before text, settings_before text) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO reliability.results
    VALUES (case_id, fn, state, CASE WHEN state OPERATOR(pg_catalog.<>) '00000' THEN message END,
            coalesce(state OPERATOR(pg_catalog.<>) '00000'
                     AND reliability.fingerprint() OPERATOR(pg_catalog.<>) catalog_before, false),
            reliability.session_settings() OPERATOR(pg_catalog.<>) settings_before
            OR EXISTS (SELECT FROM pg_catalog.pg_locks l
                        WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
                          AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()))
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
    DELETE FROM schemata.migrations;
END
$$;
