#!/usr/bin/env bash
# rollback() runs the down scripts stored at apply time: it works when the
# migration files are gone, reports each undone migration with a NOTICE
# 'rolled back migration "NAME"', newest first, and the next apply is a new batch.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir=$(mktemp -d /tmp/schemata-rollback.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp -R "$SCHEMATA_FIXTURES/rollback_basic/." "$dir/"
chmod -R a+rX "$dir"

fresh_db rollback_files
q -d rollback_files -c "SET client_min_messages = warning" \
  -c "SELECT count(*) FROM schemata.apply('$dir', to_version => '0001')" >/dev/null
q -d rollback_files -c "SET client_min_messages = warning" \
  -c "SELECT count(*) FROM schemata.apply('$dir')" >/dev/null

# the files are gone: only the stored down scripts remain
rm -rf "$dir"

notices=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -d rollback_files \
            -c "SELECT count(*) FROM schemata.rollback()" 2>&1 >/dev/null)
expect_eq "$notices" 'NOTICE:  ignoring "BEGIN" in migration file "0003_tags (stored down script)", line 1
DETAIL:  The migration already runs inside a transaction.
NOTICE:  ignoring "COMMIT" in migration file "0003_tags (stored down script)", line 3
DETAIL:  The migration already runs inside a transaction.
NOTICE:  rolled back migration "0004_item_index.sql"
NOTICE:  rolled back migration "0003_tags"
NOTICE:  rolled back migration "0002_items.up.sql"' "one NOTICE per undone migration, newest first, files gone"

expect_eq "$(q -d rollback_files -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
                                      WHERE relnamespace = 'public'::regnamespace")" \
          "accounts,accounts_pkey" "the tables of the undone migrations are dropped"
expect_eq "$(q -d rollback_files -c "SELECT schemata.version()")" "0001" "version() after the rollback"

# the files are back: the next apply is a new batch
mkdir "$dir"
cp -R "$SCHEMATA_FIXTURES/rollback_basic/." "$dir/"
chmod -R a+rX "$dir"
q -d rollback_files -c "SET client_min_messages = warning" \
  -c "SELECT count(*) FROM schemata.apply('$dir')" >/dev/null
expect_eq "$(q -d rollback_files -c "SELECT string_agg(version || ':' || batch, ',' ORDER BY version)
                                      FROM schemata.migrations")" \
          "0001:1,0002:2,0003:2,0004:2" "the next apply is a new batch"

"$SCHEMATA_PGBIN/dropdb" rollback_files
