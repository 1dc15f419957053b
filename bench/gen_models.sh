#!/bin/bash
# bench/gen_models.sh TABLES COLUMNS OUT — pg-schemata table models for the
# bootstrap and diff cases, and the DDL they describe:
#   OUT/models.json   a JSON array of TABLES table schemas b_1 .. b_TABLES in public
#   OUT/ddl.sql       the same tables as CREATE TABLE statements (psql -1 -f)
# Each table: id bigint primary key, name varchar(100) not null unique, qty integer
# not null default 0, created_at timestamptz not null default now(), parent_id bigint
# referencing the previous table, then text columns c6 .. cCOLUMNS.
set -euo pipefail
TABLES=$1
COLUMNS=$2
OUT=$3
mkdir -p "$OUT"
awk -v n="$TABLES" -v cols="$COLUMNS" -v out="$OUT" '
BEGIN {
    json = out "/models.json"; ddl = out "/ddl.sql"
    printf "[\n" > json
    for (k = 1; k <= n; k++) {
        t = "b_" k
        printf "%s  {\"dbSchema\": \"public\", \"table\": \"%s\", \"columns\": [\n", (k > 1 ? ",\n" : ""), t > json
        printf "    {\"name\": \"id\", \"type\": \"bigint\", \"notNull\": true},\n" > json
        printf "    {\"name\": \"name\", \"type\": \"varchar(100)\", \"notNull\": true},\n" > json
        printf "    {\"name\": \"qty\", \"type\": \"integer\", \"notNull\": true, \"default\": \"0\"},\n" > json
        printf "    {\"name\": \"created_at\", \"type\": \"timestamptz\", \"notNull\": true, \"default\": \"now()\"},\n" > json
        printf "    {\"name\": \"parent_id\", \"type\": \"bigint\"}" > json
        printf "CREATE TABLE public.%s (\n    id bigint NOT NULL,\n    name varchar(100) NOT NULL,\n    qty integer NOT NULL DEFAULT 0,\n    created_at timestamptz NOT NULL DEFAULT now(),\n    parent_id bigint,\n", t > ddl
        for (c = 6; c <= cols; c++) {
            printf ",\n    {\"name\": \"c%d\", \"type\": \"text\"}", c > json
            printf "    c%d text,\n", c > ddl
        }
        printf "\n  ], \"constraints\": {\"primaryKey\": [\"id\"], \"unique\": [[\"name\"]]" > json
        printf "    PRIMARY KEY (id),\n    UNIQUE (name)" > ddl
        if (k > 1) {
            printf ", \"foreignKeys\": [{\"columns\": [\"parent_id\"], \"references\": {\"dbSchema\": \"public\", \"table\": \"b_%d\", \"columns\": [\"id\"]}}]", k - 1 > json
            printf ",\n    FOREIGN KEY (parent_id) REFERENCES public.b_%d (id)", k - 1 > ddl
        }
        printf "}}" > json
        printf "\n);\n" > ddl
    }
    printf "\n]\n" > json
}'
