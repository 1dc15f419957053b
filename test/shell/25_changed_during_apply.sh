#!/usr/bin/env bash
# apply() checks every pending file before the first migration runs, then
# reads each one again just before running it: a file edited in between --
# its up script, or the down script recorded with it -- stops the call with
# an error naming the file, and nothing is applied; an edit the checksum
# ignores is run as it is now.  Migration 0001 waits for a lock held by this
# test, which edits 0002 or 0003 while apply() waits.  With files older than
# two seconds, apply() keeps their scripts from the checks and runs them
# without reading them again unless stat() shows a write: the same edits are
# seen, one that keeps the size too.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir=$(mktemp -d /tmp/schemata-changed.XXXXXX)
marker=$dir.edited
errors=$dir.errors
gate_pid=
trap '[ -n "$gate_pid" ] && kill "$gate_pid" 2>/dev/null; rm -rf "$dir" "$marker" "$errors"' EXIT

fresh_db changed
q -d changed -c "CREATE TABLE public.gate (id int)"

write_migrations() {
    cat >"$dir/0001_wait.sql" <<'EOF'
-- waits while the test holds the gate
LOCK TABLE public.gate IN SHARE MODE;
CREATE TABLE first (id int);
EOF
    cat >"$dir/0002_second.sql" <<'EOF'
-- migrate:up
CREATE TABLE second (id int);
-- migrate:down
DROP TABLE second;
EOF
    echo 'CREATE TABLE third (id int);' >"$dir/0003_third.up.sql"
    echo "${third_down:-DROP TABLE third;}" >"$dir/0003_third.down.sql"
    chmod -R a+rX "$dir"
    if [ -n "$settle" ]; then sleep 2.5; fi
}
settle=

# wait_for SQL [PID]: poll until the query returns t, or process PID ended
wait_for() {
    until [ "$(q -d changed -c "$1")" = t ]; do
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then return; fi
        sleep 0.1
    done
}

# apply_while_editing SED_SCRIPT [FILE]: apply() with 0001 held at the gate
# while FILE (0002_second.sql) is edited with SED_SCRIPT; prints what apply()
# reported.
apply_while_editing() {
    local apply_pid
    write_migrations
    rm -f "$marker"
    # the gate: held until the edit is done
    q -d changed -c "BEGIN" -c "LOCK TABLE public.gate IN EXCLUSIVE MODE" \
      -c "DO \$\$ BEGIN
              WHILE (pg_stat_file('$marker', true)).size IS NULL LOOP
                  PERFORM pg_sleep(0.05);
              END LOOP;
          END \$\$" -c "COMMIT" &
    gate_pid=$!
    wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'public.gate'::regclass
                                AND mode = 'ExclusiveLock' AND granted)"
    PGOPTIONS="-c client_min_messages=warning" \
        "$PSQL" -X -q -d changed -c "SELECT count(*) FROM schemata.apply('$dir')" \
        >/dev/null 2>"$errors" &
    apply_pid=$!
    # apply() waits in 0001: every file has been checked
    wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'public.gate'::regclass
                                AND NOT granted)" "$apply_pid"
    sed -i "$1" "$dir/${2:-0002_second.sql}"
    touch "$marker"
    wait "$gate_pid"
    gate_pid=
    wait "$apply_pid" || true
    cat "$errors"
}

nothing_applied() {
    q -d changed -c "SELECT count(*) || ' rows, first: ' || coalesce(to_regclass('public.first')::text, 'none')
                       FROM schemata.migrations"
}

# expect_refused SED_SCRIPT FILE WHAT: the edit stops apply(), which names
# FILE, and nothing is applied
expect_refused() {
    expect_eq "$(apply_while_editing "$1" "$2")" \
"ERROR:  migration file \"$2\" changed while it was being applied
DETAIL:  It was checked before the first migration of the call ran." "$3 is refused"
    expect_eq "$(nothing_applied)" "0 rows, first: none" "nothing applied after $3"
}

expect_refused 's/DROP TABLE second;/DROP TABLE second CASCADE;/' 0002_second.sql \
               "a down script edited after the checks"
expect_refused 's/CREATE TABLE second (id int);/CREATE TABLE second (id bigint);/' 0002_second.sql \
               "an up script edited after the checks"

# a change the checksum ignores (a comment) is no change
expect_eq "$(apply_while_editing 's/^DROP TABLE second;/-- a comment\nDROP TABLE second;/')" "" \
          "a comment added to the down script is not a change"
expect_eq "$(q -d changed -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
          "0001,0002,0003" "all migrations applied"

# a comment added above an up statement moves it: the script is split into
# statements again, not by where the checks found them
fresh_db changed
q -d changed -c "CREATE TABLE public.gate (id int)"
expect_eq "$(apply_while_editing 's/^CREATE TABLE second (id int);/-- a comment that moves the statement below it\nCREATE TABLE second (id int);/')" "" \
          "a comment added to the up script is not a change"
expect_eq "$(q -d changed -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
          "0001,0002,0003" "all migrations applied"
expect_eq "$(q -d changed -c "SELECT to_regclass('public.second') IS NOT NULL")" "t" \
          "the moved statement ran"

# files settled: the scripts kept from the checks are not run over an edit
settle=1
fresh_db changed
q -d changed -c "CREATE TABLE public.gate (id int)"
expect_refused 's/(id int)/(ab int)/' 0002_second.sql \
               "a settled up script edited to the same size after the checks"
expect_refused 's/DROP TABLE third;/DROP TABLE third CASCADE;/' 0003_third.down.sql \
               "a settled down file edited after the checks"

expect_eq "$(apply_while_editing 's/^CREATE TABLE second (id int);/-- a comment that moves the statement below it\nCREATE TABLE second (id int);/')" "" \
          "a comment added to a settled up script is not a change"
expect_eq "$(q -d changed -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
          "0001,0002,0003" "all migrations applied from settled files"
expect_eq "$(q -d changed -c "SELECT down_sql FROM schemata.migrations WHERE version = '0003'")" \
          "DROP TABLE third;" "the kept down script is recorded"
expect_eq "$(q -d changed -c "SELECT to_regclass('public.second') IS NOT NULL AND to_regclass('public.third') IS NOT NULL")" "t" \
          "the moved statement and the kept script ran"

# a failing statement of a kept script is named by file and line, as for a
# script read again
fresh_db changed
faildir=$dir/failing
mkdir "$faildir"
cat >"$faildir/0001_fail.sql" <<'EOF'
-- migrate:up
CREATE TABLE ok_table (id int);

INSERT INTO missing_table VALUES (1);
-- migrate:down
DROP TABLE ok_table;
EOF
mkdir "$faildir/0002_folder"
echo 'CREATE TABLE folder_table (id int);' >"$faildir/0002_folder/up.sql"
echo 'DROP TABLE folder_table;' >"$faildir/0002_folder/down.sql"
# larger than work_mem below: not kept, read again
{ echo 'CREATE TABLE big_table (id int);'; for i in $(seq 2000); do echo "-- padding line $i of a migration larger than 64 kB"; done; } \
    >"$faildir/0003_big.sql"
chmod -R a+rX "$faildir"
sleep 2.5
expect_eq "$("$PSQL" -X -q -d changed -c "SELECT count(*) FROM schemata.apply('$faildir')" 2>&1 | grep CONTEXT || true)" \
          'CONTEXT:  migration file "0001_fail.sql", line 4: INSERT INTO missing_table VALUES (1)' \
          "a kept script's failing statement is named by file and line"
rm "$faildir/0001_fail.sql"
expect_eq "$(PGOPTIONS="-c client_min_messages=warning" q -d changed -c "SET work_mem = '64kB'" \
               -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.apply('$faildir')")" \
          "0002,0003" "a kept folder migration runs, and one too large for work_mem is read again"
expect_eq "$(q -d changed -c "SELECT to_regclass('big_table') IS NOT NULL")" "t" "the migration read again ran"
expect_eq "$(q -d changed -c "SELECT down_sql FROM schemata.migrations WHERE version = '0002'")" \
          "DROP TABLE folder_table;" "the folder's kept down script is recorded"

# a down script that fails the checks gets a WARNING and is compared as
# written: edited after the checks, it is refused; else recorded as written
settle=
third_down='DROP INDEX IF NOT EXISTS third_i;'
bad_down_warning='WARNING:  down script in migration file "0003_third.down.sql", line 1, fails the checks: syntax error at or near "NOT"'
fresh_db changed
q -d changed -c "CREATE TABLE public.gate (id int)"
expect_eq "$(apply_while_editing 's/third_i;/third_j;/' 0003_third.down.sql | grep -v '^DETAIL')" \
"$bad_down_warning
ERROR:  migration file \"0003_third.down.sql\" changed while it was being applied" \
          "a down script that fails the checks, edited after them, is refused"
expect_eq "$(nothing_applied)" "0 rows, first: none" "nothing applied after the edited failing down script"
expect_eq "$(apply_while_editing 's/^x$//' 0003_third.down.sql | grep -v '^DETAIL')" "$bad_down_warning" \
          "a down script that fails the checks does not stop apply"
expect_eq "$(q -d changed -c "SELECT down_sql FROM schemata.migrations WHERE version = '0003'")" \
          "DROP INDEX IF NOT EXISTS third_i;" "the failing down script is recorded as written"

"$SCHEMATA_PGBIN/dropdb" changed
