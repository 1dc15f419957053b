#!/usr/bin/env bash
# A deploy is one psql call: a failing migration makes psql exit non-zero and
# leaves nothing behind, not even the CREATE EXTENSION of the same script
# when it runs with -1.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

PGOPTIONS="-c client_min_messages=warning" "$SCHEMATA_PGBIN/dropdb" --if-exists deploy
"$SCHEMATA_PGBIN/createdb" deploy
script=$(mktemp /tmp/schemata-deploy.XXXXXX.sql)
trap 'rm -f "$script"' EXIT

deploy_script() {
    cat >"$script" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS schemata;
SELECT * FROM schemata.apply('$1');
SELECT * FROM schemata.status('$1');
SQL
}

deploy_script "$SCHEMATA_FIXTURES/bad_failing"
rc=0
"$PSQL" -X -q -1 -v ON_ERROR_STOP=1 -d deploy -f "$script" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" "3" "psql -1 -f exits 3 when a migration fails"
expect_eq "$(q -d deploy -c "SELECT count(*) FROM pg_extension WHERE extname = 'schemata'")" "0" \
    "the whole deploy rolled back, CREATE EXTENSION included"
expect_eq "$(q -d deploy -c "SELECT count(*) FROM pg_tables WHERE tablename = 'failing_ok'")" "0" \
    "no table of the failed call remains"

rc=0
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d deploy \
    -c "SELECT * FROM schemata.apply('$SCHEMATA_FIXTURES/bad_failing')" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" "1" "psql -c exits 1 when a migration fails"

deploy_script "$SCHEMATA_FIXTURES/basic"
rc=0
"$PSQL" -X -q -1 -v ON_ERROR_STOP=1 -d deploy -f "$script" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" "0" "a good deploy exits 0"
expect_eq "$(q -d deploy -c "SELECT schemata.version()")" "2024-01-15" "and applied everything"

"$SCHEMATA_PGBIN/dropdb" deploy
