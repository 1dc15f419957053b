#!/usr/bin/env bash
# Crash mid-apply (and mid-rollback and mid-migrate, when those exist): a backend killed
# with SIGKILL in the middle of a long apply makes the postmaster restart
# every backend; afterwards no migration of that call is recorded or visible,
# and the next apply finishes the job.  The timing is deterministic: migration
# 0150 of 300 waits on a table lock held by another session, and the apply's
# backend is killed while it waits there.  migrate commits each migration:
# there the 149 before the gate stay, and the killed one leaves nothing.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

COUNT=300 GATE=0150 DB=crash_mid_apply
dir=$SCHEMATA_TMP/crash_mid_apply
rm -rf "$dir"
mkdir -p "$dir"
for i in $(seq 1 $COUNT); do
    v=$(printf '%04d' "$i")
    wait_here=""
    [[ $v == "$GATE" ]] && wait_here="SELECT count(*) FROM gate.gate;"
    printf -- '-- migrate:up\nCREATE TABLE t%s (id int PRIMARY KEY, note text);\nINSERT INTO t%s SELECT g, md5(g::text) FROM generate_series(1, 50) g;\n%s\n-- migrate:down\n%s\nDROP TABLE t%s;\n' \
        "$v" "$v" "$wait_here" "$wait_here" "$v" >"$dir/${v}_m.sql"
done
chmod -R a+rX "$dir"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

fresh_db "$DB"
q -d "$DB" -c "CREATE SCHEMA gate; CREATE TABLE gate.gate (x int)"
has() {
    q -d "$DB" -c "SELECT count(*) > 0 FROM pg_proc WHERE proname = '$1'
                      AND pronamespace = 'schemata'::regnamespace"
}
has_rollback=$(has rollback)
has_migrate=$(has migrate)

# Facts about a target schema (default crash): "HISTORY_ROWS TABLES".
state() {
    q -d "$DB" -c "SELECT (SELECT count(*) FROM schemata.migrations WHERE target_schema = '${1:-crash}')
                   || ' ' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = '${1:-crash}' AND c.relkind = 'r')"
}

# crash_while CALL [ONE_TRANSACTION]: run CALL in the background while
# another session holds the gate; once CALL's backend waits on the gate,
# SIGKILL it, then wait for the restarted server.  ONE_TRANSACTION (default
# yes): the call's transaction holds the locks of all migrations so far.
crash_while() {
    local call=$1 one_transaction=${2:-yes} pid="" i holder caller
    "$PSQL" -X -q -d "$DB" -c "BEGIN" -c "LOCK gate.gate IN ACCESS EXCLUSIVE MODE" \
        -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
    holder=$!
    for ((i = 0; i < 600; i++)); do   # the holder has the lock
        [[ $(q -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE relation = 'gate.gate'::regclass AND granted") == 1 ]] && break
        sleep 0.1
    done
    PGOPTIONS="-c client_min_messages=warning" "$PSQL" -X -q -d "$DB" -c "$call" >/dev/null 2>&1 &
    caller=$!
    for ((i = 0; i < 1200; i++)); do   # the call reached the gate
        pid=$(q -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                              AND query LIKE '%schemata.%' AND query NOT LIKE '%pg_stat_activity%'")
        [[ -z $pid ]] || break
        sleep 0.1
    done
    [[ -n $pid ]] || fail "the call never reached migration $GATE"
    if [[ $one_transaction == yes ]]; then
        # its transaction holds the locks of the tables the earlier migrations touched
        expect_eq "$(q -d "$DB" -c "SELECT count(DISTINCT relation) >= ${GATE#0} - 1 FROM pg_locks
                                     WHERE pid = $pid AND locktype = 'relation' AND granted")" t \
                  "the call had run the migrations before $GATE when killed"
    fi
    echo "killing backend $pid with SIGKILL"
    kill -9 "$pid"
    wait "$caller" && fail "the killed call reported success" || true
    wait "$holder" || true   # the restart ended the holder too
    for ((i = 0; i < 1200; i++)); do
        q -d "$DB" -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "server did not come back after the crash"
}

log_crashes() {
    grep -c "terminated by signal 9" "$SCHEMATA_WORK/server.log" || true
}

crashes_before=$(log_crashes)
crash_while "SELECT count(*) FROM schemata.apply('$dir', 'crash')"
expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9"
expect_eq "$(state)" "0 0" "after the crash of apply: no history row, no table"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'crash'")" "0" \
          "after the crash of apply: the target schema it created is gone"
q -d "$DB" -c "SET client_min_messages = warning" -c "SELECT count(*) FROM schemata.apply('$dir', 'crash')" >/dev/null
expect_eq "$(state)" "$COUNT $COUNT" "a new apply finishes the job"
expect_eq "$(q -d "$DB" -c "SELECT count(DISTINCT batch) || ' ' || sum((SELECT count(*) FROM pg_class WHERE relname = 't' || version))
                            FROM schemata.migrations WHERE target_schema = 'crash'")" "1 $COUNT" \
          "one batch, each migration applied once"

if [[ $has_rollback == t ]]; then
    crashes_before=$(log_crashes)
    crash_while "SELECT count(*) FROM schemata.rollback('crash')"
    expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9 (rollback)"
    expect_eq "$(state)" "$COUNT $COUNT" "after the crash of rollback: every history row and table still there"
    q -d "$DB" -c "SET client_min_messages = warning" -c "SELECT count(*) FROM schemata.rollback('crash')" >/dev/null
    expect_eq "$(state)" "0 0" "a new rollback finishes the job"
else
    echo "skipped: rollback (not in the installed extension)"
fi

if [[ $has_migrate == t ]]; then
    crashes_before=$(log_crashes)
    crash_while "CALL schemata.migrate('$dir', 'crash_m')" no
    expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9 (migrate)"
    expect_eq "$(state crash_m)" "$((10#$GATE - 1)) $((10#$GATE - 1))" \
              "after the crash of migrate: the migrations before $GATE committed, the killed one left nothing"
    expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 \
              "no advisory lock outlives the killed session"
    q -d "$DB" -c "SET client_min_messages = warning" -c "CALL schemata.migrate('$dir', 'crash_m')" >/dev/null
    expect_eq "$(state crash_m)" "$COUNT $COUNT" "a new migrate finishes the job"
else
    echo "skipped: migrate (not in the installed extension)"
fi

mkdir -p "$SCHEMATA_TMP/reliability"
killed=1
[[ $has_rollback == t ]] && killed=$((killed + 1))
[[ $has_migrate == t ]] && killed=$((killed + 1))
printf 'backends_killed %d\nmigrations_per_call %d\nleft_after_crash 0\n' "$killed" "$COUNT" \
    >"$SCHEMATA_TMP/reliability/crash_mid_apply.figures"
