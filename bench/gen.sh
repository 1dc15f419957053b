#!/bin/bash
# bench/gen.sh N OUT — generate the benchmark corpus of N migrations into OUT:
#   OUT/migrations/NNNNN_<kind>_<k>.sql   one migration each, "-- migrate:up" /
#                                         "-- migrate:down" sections (schemata, dbmate)
#   OUT/npm/NNNNN_<kind>_<k>.sql          the same, "-- Up Migration" /
#                                         "-- Down Migration" markers (node-pg-migrate)
#   OUT/all.sql                           every up script concatenated (psql -1 -f)
#   OUT/floor.sql                         the same statements joined with psql's \;
#                                         so psql sends them as ONE message
# The mix cycles through five kinds of migration on table t_<k>, k = group of five:
# CREATE TABLE (4 columns, primary key), ALTER TABLE ADD COLUMN, CREATE INDEX,
# INSERT of three rows, CREATE FUNCTION (SQL, reads the table).
set -euo pipefail
N=$1
OUT=$2
mkdir -p "$OUT/migrations" "$OUT/npm"
awk -v n="$N" -v out="$OUT" '
function emit(v, kind, k, up, down,    f, g, name) {
    name = sprintf("%05d_%s_%d", v, kind, k)
    f = out "/migrations/" name ".sql"
    printf "-- migrate:up\n%s;\n\n-- migrate:down\n%s;\n", up, down > f
    close(f)
    g = out "/npm/" name ".sql"
    printf "-- Up Migration\n%s;\n\n-- Down Migration\n%s;\n", up, down > g
    close(g)
    printf "%s;\n", up > (out "/all.sql")
    printf "%s%s", (v > 1 ? "\\;\n" : ""), up > (out "/floor.sql")
}
BEGIN {
    for (v = 1; v <= n; v++) {
        k = int((v - 1) / 5) + 1
        t = "t_" k
        kind = (v - 1) % 5
        if (kind == 0)
            emit(v, "create_table", k,
                 "CREATE TABLE " t " (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n    price numeric(10,2) NOT NULL DEFAULT 0,\n    created_at timestamptz NOT NULL DEFAULT now()\n)",
                 "DROP TABLE " t)
        else if (kind == 1)
            emit(v, "add_column", k, "ALTER TABLE " t " ADD COLUMN note text",
                 "ALTER TABLE " t " DROP COLUMN note")
        else if (kind == 2)
            emit(v, "add_index", k, "CREATE INDEX " t "_name_idx ON " t " (name)",
                 "DROP INDEX " t "_name_idx")
        else if (kind == 3)
            emit(v, "seed", k,
                 "INSERT INTO " t " (id, name, price) VALUES (1, \x27one\x27, 1.50), (2, \x27two\x27, 2.50), (3, \x27three\x27, 3.50)",
                 "DELETE FROM " t " WHERE id IN (1, 2, 3)")
        else
            emit(v, "total_fn", k,
                 "CREATE FUNCTION " t "_total() RETURNS numeric LANGUAGE sql STABLE\n    AS $$ SELECT coalesce(sum(price), 0) FROM " t " $$",
                 "DROP FUNCTION " t "_total()")
    }
    printf ";\n" > (out "/floor.sql")
}'
