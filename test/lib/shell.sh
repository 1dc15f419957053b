# test/lib/shell.sh -- helpers sourced by the shell tests in test/shell/.
#
# run_all.sh exports PGHOST, PGPORT, PGUSER, SCHEMATA_PGBIN (the cluster's bin
# directory), SCHEMATA_FIXTURES (test/fixtures, readable by the server) and
# SCHEMATA_SRC (the copied source tree).

PSQL="$SCHEMATA_PGBIN/psql"

# psql for scripts: no psqlrc, unaligned tuples only, stop on error.
q() {
    "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# skip REASON: this test cannot run here; run_all.sh counts it as skipped.
SCHEMATA_SKIP_STATUS=77
skip() {
    echo "SKIP: $*"
    exit "$SCHEMATA_SKIP_STATUS"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    if [ "$1" != "$2" ]; then
        printf 'FAIL: %s\n--- expected\n%s\n--- actual\n%s\n' "$3" "$2" "$1" >&2
        exit 1
    fi
    echo "ok: $3"
}

# fresh_db NAME: a new database with the extension installed.
fresh_db() {
    PGOPTIONS="-c client_min_messages=warning" "$SCHEMATA_PGBIN/dropdb" --if-exists "$1"
    "$SCHEMATA_PGBIN/createdb" "$1"
    q -d "$1" -c "CREATE EXTENSION schemata"
}
