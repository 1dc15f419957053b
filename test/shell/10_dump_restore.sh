#!/usr/bin/env bash
# pg_dump and pg_restore keep the history: the restored database has the same
# rows, and applying the same directory there applies nothing.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

# pg_dump refuses a server of a newer major than its own: the clusters of
# the majors staged from npm have Debian 12's pg_dump (15) beside them.
server=$(q -c "SELECT current_setting('server_version_num')::int / 10000")
client=$("$SCHEMATA_PGBIN/pg_dump" --version | sed -E 's/^pg_dump \(PostgreSQL\) ([0-9]+).*/\1/')
if (( server > client )); then
    skip "pg_dump $client cannot dump a PostgreSQL $server server"
fi

dump=$(mktemp /tmp/schemata-dump.XXXXXX)
trap 'rm -f "$dump"' EXIT

fresh_db dump_src
q -d dump_src -c "SET client_min_messages = warning" \
  -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic')" >/dev/null
q -d dump_src -c "SET client_min_messages = warning" \
  -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic', 'tenant')" >/dev/null

"$SCHEMATA_PGBIN/pg_dump" -Fc -f "$dump" dump_src
PGOPTIONS="-c client_min_messages=warning" "$SCHEMATA_PGBIN/dropdb" --if-exists dump_dst
"$SCHEMATA_PGBIN/createdb" dump_dst
"$SCHEMATA_PGBIN/pg_restore" --exit-on-error -d dump_dst "$dump"

history="SELECT target_schema, version, name, checksum, batch, applied_at, down_sql
           FROM schemata.migrations ORDER BY 1, 2"
expect_eq "$(q -d dump_dst -c "$history")" "$(q -d dump_src -c "$history")" "history restored row for row"
expect_eq "$(q -d dump_dst -c "SELECT count(*) FROM schemata.migrations")" "8" "eight history rows"

applied=$(q -d dump_dst -c "SET client_min_messages = warning" \
            -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic')")
expect_eq "$applied" "0" "apply on the restored database applies nothing"
states=$(q -d dump_dst -c "SELECT string_agg(DISTINCT state, ',') FROM schemata.status('$SCHEMATA_FIXTURES/basic')" 2>/dev/null)
expect_eq "$states" "applied" "every migration applied after restore"

"$SCHEMATA_PGBIN/dropdb" dump_src
"$SCHEMATA_PGBIN/dropdb" dump_dst
