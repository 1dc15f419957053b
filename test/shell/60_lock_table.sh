#!/usr/bin/env bash
# test/shell/60_lock_table.sh -- 5,000 generated migrations that each create a
# table and take 20 advisory locks, with the default
# max_locks_per_transaction: 105,000 locks, far more than the shared lock
# table holds on any major (it grows into spare shared memory, which 17 and
# 18 have more of: 8,000 tables fit there).  apply() runs them in one
# transaction, which runs out of room in the shared lock table: PostgreSQL's
# error and SQLSTATE, with a hint naming max_locks_per_transaction,
# to_version and CALL schemata.migrate, and nothing applied.
# CALL schemata.migrate() commits after each migration and applies them all.
set -euo pipefail

N=5000
DB=schemata_lock_table
PSQL=("${SCHEMATA_PGBIN:+$SCHEMATA_PGBIN/}psql" -X -q -v ON_ERROR_STOP=1 -d "$DB")

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# the server reads the migrations as user postgres
work=$(mktemp -d "${SCHEMATA_WORK:-${TMPDIR:-/tmp}}/lock_table.XXXXXX")
cleanup() {
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

dir=$work/migrations
mkdir "$dir"
for ((i = 1; i <= N; i++)); do
    printf -v name '%05d_table_%05d.sql' "$i" "$i"
    printf 'CREATE TABLE t%05d (id int);\nSELECT pg_advisory_xact_lock(%d, k) FROM generate_series(1, 20) k;\n' \
        "$i" "$i" >"$dir/$name"
done
chown -R postgres "$work"
chmod -R a+rX "$work"

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"${PSQL[@]}" -c "CREATE EXTENSION schemata"

max_locks=$("${PSQL[@]}" -At -c "SHOW max_locks_per_transaction")
[[ $max_locks == 64 ]] || fail "max_locks_per_transaction is $max_locks, not the default 64"

# apply(): one transaction, fails
rc=0
out=$("${PSQL[@]}" -v VERBOSITY=verbose \
      -c "SET client_min_messages = warning" \
      -c "SELECT count(*) FROM schemata.apply('$dir', 'lots')" 2>&1) || rc=$?
(( rc != 0 )) || fail "apply() of $N table-creating migrations succeeded: $out"
echo "$out" | grep -q '^ERROR:  53200: out of shared memory$' ||
    fail "apply() did not fail with PostgreSQL's lock table error: $out"
# 17 and later quote the setting's name
echo "$out" | grep -Eq '^HINT:  You might need to increase "?max_locks_per_transaction"?\. .*apply in steps with to_version, or use CALL schemata\.migrate\(\.\.\.\), which commits each migration\.$' ||
    fail "apply()'s error lacks the hint: $out"
echo "$out" | grep -q '^CONTEXT:  .*' ||
    fail "apply()'s error lacks the CONTEXT: $out"
echo "$out" | grep -q 'migration file "[0-9]*_table_[0-9]*\.sql", line [12]' ||
    fail "apply()'s error does not name the migration file: $out"
applied=$("${PSQL[@]}" -At -c "SELECT count(*) FROM schemata.migrations")
[[ $applied == 0 ]] || fail "apply() failed but left $applied history rows"
[[ $("${PSQL[@]}" -At -c "SELECT to_regnamespace('lots') IS NULL") == t ]] ||
    fail "apply() failed but left schema lots"

# migrate(): one transaction per migration, succeeds
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "SET synchronous_commit = off" \
    -c "CALL schemata.migrate('$dir', 'lots')"
result=$("${PSQL[@]}" -At -F ' ' -c "
    SELECT count(*), count(DISTINCT batch), count(DISTINCT xmin::text), max(version)
      FROM schemata.migrations WHERE target_schema = 'lots'")
[[ $result == "$N 1 $N 0$N" ]] ||
    fail "migrate(): expected $N rows in one batch and $N transactions up to 0$N, got: $result"
tables=$("${PSQL[@]}" -At -c "
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'lots' AND c.relkind = 'r'")
[[ $tables == "$N" ]] || fail "migrate(): expected $N tables in schema lots, found $tables"
echo "$out"
echo "apply() failed with the hint; migrate() applied $N migrations"
