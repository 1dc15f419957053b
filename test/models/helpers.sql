-- Helpers for the tests of bootstrap, teardown, diff and sync: read a model
-- file, and describe a schema's tables as the catalog has them.
CREATE FUNCTION pg_temp.model(file text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_read_file(current_setting('schemata_regress.fixtures') || '/../models/' || file)::jsonb
$$;

-- Columns (type, NOT NULL, default or generation expression), constraints
-- and indexes of every table of a schema, with the schema's name taken out of
-- the definitions so that two schemas can be compared.
CREATE FUNCTION pg_temp.describe(target name)
RETURNS TABLE (tbl name, kind text, name name, definition text)
LANGUAGE sql AS $$
    SELECT tbl, kind, name, replace(definition, quote_ident(target) || '.', '')
    FROM (
        SELECT c.relname, 'column', a.attnum, a.attname,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || CASE WHEN a.attgenerated = 's'
                       THEN ' GENERATED ALWAYS AS ' || pg_get_expr(d.adbin, d.adrelid) || ' STORED'
                       WHEN d.adbin IS NOT NULL
                       THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid)
                       ELSE '' END
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE n.nspname = target AND c.relkind = 'r'
        UNION ALL
        SELECT c.relname, 'constraint', 0, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = target
        UNION ALL
        SELECT c.relname, 'index', 0, i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = target
    ) AS d(tbl, kind, ord, name, definition)
    ORDER BY tbl, kind, ord, name
$$;
