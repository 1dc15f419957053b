#!/usr/bin/env bash
# apply() and migrate() report each migration with a NOTICE "applied NAME
# (N ms)", and "nothing to apply" with the current version when up to date;
# migrate() reports each after its commit, the same way.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

fresh_db notices
# notices SQL: the messages of one statement, durations masked
notices() {
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d notices -c "$1" 2>&1 >/dev/null |
        sed -E 's/\([0-9]+\.[0-9] ms\)/(N ms)/'
}

IGNORED='NOTICE:  ignoring .sql files without a version: seed.sql
HINT:  A migration'"'"'s name starts with its version, such as 0001_init.sql.
NOTICE:  ignoring folders without a version: notes
HINT:  A migration folder'"'"'s name starts with its version, such as 0001_init/.'

for fn in apply migrate; do   # each into a schema of its name
    case $fn in
        apply)   call="SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic', 'apply')" ;;
        migrate) call="CALL schemata.migrate('$SCHEMATA_FIXTURES/basic', 'migrate')" ;;
    esac
    expect_eq "$(notices "$call")" "$IGNORED
NOTICE:  applied 0001_init.sql (N ms)
NOTICE:  applied 0002_users.sql (N ms)
NOTICE:  applied 0003_orders.up.sql (N ms)
NOTICE:  applied 2024-01-15-add-prefs (N ms)" "$fn: one NOTICE per applied migration"
    expect_eq "$(notices "$call")" "$IGNORED
NOTICE:  nothing to apply: schema \"$fn\" is at version 2024-01-15" "$fn: nothing to apply names the version"
done

"$SCHEMATA_PGBIN/dropdb" notices
