#!/usr/bin/env bash
# apply() and migrate() report each migration with a NOTICE "applied NAME
# (N ms)", and "nothing to apply" with the current version when up to date.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

fresh_db notices
run_apply() {
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d notices \
        -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic')" 2>&1 >/dev/null |
        sed -E 's/\([0-9]+\.[0-9] ms\)/(N ms)/'
}

expect_eq "$(run_apply)" 'NOTICE:  ignoring .sql files without a version: seed.sql
HINT:  A migration'"'"'s name starts with its version, such as 0001_init.sql.
NOTICE:  applied 0001_init.sql (N ms)
NOTICE:  applied 0002_users.sql (N ms)
NOTICE:  applied 0003_orders.up.sql (N ms)
NOTICE:  applied 2024-01-15-add-prefs (N ms)' "one NOTICE per applied migration"

expect_eq "$(run_apply)" 'NOTICE:  ignoring .sql files without a version: seed.sql
HINT:  A migration'"'"'s name starts with its version, such as 0001_init.sql.
NOTICE:  nothing to apply: schema "public" is at version 2024-01-15' "nothing to apply names the version"

# CALL schemata.migrate() reports each migration the same way, after its commit.
run_migrate() {
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d notices \
        -c "CALL schemata.migrate('$SCHEMATA_FIXTURES/basic', 'migrated')" 2>&1 >/dev/null |
        sed -E 's/\([0-9]+\.[0-9] ms\)/(N ms)/'
}

expect_eq "$(run_migrate)" 'NOTICE:  ignoring .sql files without a version: seed.sql
HINT:  A migration'"'"'s name starts with its version, such as 0001_init.sql.
NOTICE:  applied 0001_init.sql (N ms)
NOTICE:  applied 0002_users.sql (N ms)
NOTICE:  applied 0003_orders.up.sql (N ms)
NOTICE:  applied 2024-01-15-add-prefs (N ms)' "migrate: one NOTICE per applied migration"

expect_eq "$(run_migrate)" 'NOTICE:  ignoring .sql files without a version: seed.sql
HINT:  A migration'"'"'s name starts with its version, such as 0001_init.sql.
NOTICE:  nothing to apply: schema "migrated" is at version 2024-01-15' "migrate: nothing to apply names the version"

"$SCHEMATA_PGBIN/dropdb" notices
