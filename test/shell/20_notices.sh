#!/usr/bin/env bash
# apply() and migrate() report each migration with a NOTICE 'applied
# migration "NAME"' (no duration: that is in the result rows), and "nothing
# to apply" with the current version when up to date; migrate() reports each
# after its commit, the same way.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

fresh_db notices
# notices SQL: the messages of one statement
notices() {
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d notices -c "$1" 2>&1 >/dev/null
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
NOTICE:  applied migration \"0001_init.sql\"
NOTICE:  applied migration \"0002_users.sql\"
NOTICE:  applied migration \"0003_orders.up.sql\"
NOTICE:  applied migration \"2024-01-15-add-prefs\"" "$fn: one NOTICE per applied migration"
    expect_eq "$(notices "$call")" "$IGNORED
NOTICE:  nothing to apply: schema \"$fn\" is at version 2024-01-15" "$fn: nothing to apply names the version"
done

"$SCHEMATA_PGBIN/dropdb" notices
