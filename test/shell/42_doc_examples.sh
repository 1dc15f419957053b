#!/usr/bin/env bash
# The documentation does not go stale: test/lib/doc_examples.py checks that
# every link of README.md and doc/*.md leads to a file and heading that
# exist, and that every message and result row an example of theirs shows
# is output a test checks (the expected outputs of pg_regress and isolation
# tests, the shell tests). The examples of doc/functions.md run on the
# fixtures that no other test runs them on are run here, as the doc shows
# them (psql, default target schema public), and their output is passed to
# the check.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

out=$SCHEMATA_TMP/doc_examples
rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"
example_output=$out/psql.out

# example DB SQL...: psql's own output of the statements, messages included.
example() {
    local db=$1
    shift
    "$PSQL" -X -v ON_ERROR_STOP=1 -d "$db" "${@/#/-c}" >>"$example_output" 2>&1
}

# failing_example DB SQL...: the same, for statements that end in an error.
failing_example() {
    example "$@" && fail "the example should have failed: ${*:2}"
    return 0
}

basic=$SCHEMATA_FIXTURES/basic

# apply, status and version (doc/functions.md): 0001 and 0002 in one batch.
fresh_db doc_apply
example doc_apply "SELECT * FROM schemata.apply('$basic', to_version => '0002')" \
    "SELECT version, name, state, batch FROM schemata.status('$basic')" \
    "SELECT schemata.version()"

# rollback(): the last batch, 0002 and 0003, undone newest first.
fresh_db doc_rollback
q -d doc_rollback -c "SET client_min_messages = warning" \
    -c "SELECT count(*) FROM schemata.apply('$basic', to_version => '0001')" \
    -c "SELECT count(*) FROM schemata.apply('$basic', to_version => '0003')" >/dev/null
example doc_rollback "SELECT * FROM schemata.rollback()"

# baseline: after baseline('0003', dir) recorded 0001 and 0003, a new
# 0002_x.sql and 0004_x.sql.
dir=$out/baseline
mkdir "$dir"
for v in 0001 0003; do
    echo "CREATE TABLE t$v (id int);" >"$dir/${v}_x.sql"
done
chmod 755 "$dir"
chmod 644 "$dir"/*.sql
fresh_db doc_baseline
q -d doc_baseline -c "SELECT schemata.baseline('0003', dir => '$dir')" >/dev/null
for v in 0002 0004; do
    echo "CREATE TABLE t$v (id int);" >"$dir/${v}_x.sql"
    chmod 644 "$dir/${v}_x.sql"
done
example doc_baseline "SELECT version, name, state, batch FROM schemata.status('$dir')"

# repair: the files of repair_v1 applied, then edited as repair_v2 holds them.
fresh_db doc_repair
q -d doc_repair -c "SET client_min_messages = warning" \
    -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/repair_v1')" >/dev/null
example doc_repair "SELECT schemata.repair('$SCHEMATA_FIXTURES/repair_v2')"

# migrate (doc/functions.md): one NOTICE per migration; and one that fails
# at its third migration, the first two committed.
fresh_db doc_migrate
example doc_migrate "CALL schemata.migrate('$basic')"
fresh_db doc_migrate_fail
failing_example doc_migrate_fail "CALL schemata.migrate('$SCHEMATA_FIXTURES/migrate_fail')"

# A migration that releases migrate's lock (doc/locking.md).
fresh_db doc_unlock
q -d doc_unlock -c "CREATE TABLE public.migrate_gate ()" >/dev/null   # the fixture locks it
failing_example doc_unlock "CALL schemata.migrate('$SCHEMATA_FIXTURES/migrate_unlock')"

# A failed CREATE UNIQUE INDEX CONCURRENTLY, the duplicates fixed, migrate
# again: the INVALID index is dropped first (doc/non-transactional.md).
fresh_db doc_nontx
q -d doc_nontx -c "CREATE SCHEMA app" >/dev/null
failing_example doc_nontx "CALL schemata.migrate('$SCHEMATA_FIXTURES/nontx_dups', 'app')"
q -d doc_nontx -c "DELETE FROM app.people WHERE id = 3" >/dev/null
example doc_nontx "CALL schemata.migrate('$SCHEMATA_FIXTURES/nontx_dups', 'app')"

# schemata.allowed_directories (doc/access.md): a dir outside it, whether or
# not it exists.
fresh_db doc_settings
failing_example doc_settings "SET schemata.allowed_directories = '/srv/migrations'" \
    "SELECT * FROM schemata.apply('/srv/other')"

for db in doc_apply doc_rollback doc_baseline doc_repair doc_migrate doc_migrate_fail \
          doc_unlock doc_nontx doc_settings; do
    "$SCHEMATA_PGBIN/dropdb" "$db"
done

cd "$SCHEMATA_SRC"
if ! python3 test/lib/doc_examples.py "$example_output"; then
    echo "--- output of the examples run here" >&2
    cat "$example_output" >&2
    fail "README.md or doc/*.md shows what no test checks (above)"
fi
echo "ok: every link resolves, every example's output is checked"
