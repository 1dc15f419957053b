#!/usr/bin/env bash
# Crash mid-apply, mid-rollback and mid-migrate: a backend killed with
# SIGKILL in the middle of a long call makes the postmaster restart every
# backend; afterwards no migration of that apply or rollback is recorded or
# visible, and the next call finishes the job.  The timing is deterministic:
# migration 0150 of 300 waits on a table lock held by another session, and
# the call's backend is killed while it waits there.  migrate commits each
# migration: there the 149 before the gate stay, and the killed one leaves
# nothing.  Last, a migrate waiting at the gate is ended the way an operator
# would, with pg_terminate_backend (the server does not restart, so this is
# where a leaked advisory lock would show): the same must hold, and no lock
# of schemata's is left in pg_locks.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

COUNT=300 GATE=0150 DB=crash_mid_apply
BEFORE_GATE=$((10#$GATE - 1))
dir=$SCHEMATA_TMP/crash_mid_apply
figures=$SCHEMATA_TMP/reliability/crash_mid_apply.figures
rm -rf "$dir"
mkdir -p "$dir" "$SCHEMATA_TMP/reliability"
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

# Facts about a target schema: "HISTORY_ROWS TABLES".
state() {
    q -d "$DB" -c "SELECT (SELECT count(*) FROM schemata.migrations WHERE target_schema = '$1')
                   || ' ' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = '$1' AND c.relkind = 'r')"
}

# The figures, rewritten after each step so that 89_reliability_summary.sh
# sees what was measured even when a check below fails.
killed=0 terminated=0 left=0
save_figures() {
    printf 'backends_killed %d\nbackends_terminated %d\nmigrations_per_call %d\nleft_after_crash %d\n' \
        "$killed" "$terminated" "$COUNT" "$left" >"$figures"
}
save_figures

# left_over STATE EXPECTED: how many history rows and tables STATE ("ROWS
# TABLES") holds beyond or short of EXPECTED rows and tables each.
left_over() {
    local rows tables
    read -r rows tables <<<"$1"
    echo $(( (rows > $2 ? rows - $2 : $2 - rows) + (tables > $2 ? tables - $2 : $2 - tables) ))
}

# gate_call CALL [ONE_TRANSACTION]: run CALL in the background while another
# session holds the gate; returns once CALL's backend waits on the gate, with
# its pid in $pid, the holder's in $holder_pid, and the background jobs in
# $caller and $holder.  ONE_TRANSACTION (default yes): the call's transaction
# holds the locks of all migrations so far.
gate_call() {
    local call=$1 one_transaction=${2:-yes} i
    pid="" holder_pid=""
    "$PSQL" -X -q -d "$DB" -c "BEGIN" -c "LOCK gate.gate IN ACCESS EXCLUSIVE MODE" \
        -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
    holder=$!
    for ((i = 0; i < 600; i++)); do   # the holder has the lock
        holder_pid=$(q -d "$DB" -c "SELECT pid FROM pg_locks WHERE relation = 'gate.gate'::regclass AND granted")
        [[ -z $holder_pid ]] || break
        sleep 0.1
    done
    [[ -n $holder_pid ]] || fail "the gate was never locked"
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
        expect_eq "$(q -d "$DB" -c "SELECT count(DISTINCT relation) >= $BEFORE_GATE FROM pg_locks
                                     WHERE pid = $pid AND locktype = 'relation' AND granted")" t \
                  "the call had run the migrations before $GATE when killed"
    fi
}

# crash_while CALL [ONE_TRANSACTION]: gate_call, then SIGKILL the call's
# backend and wait for the restarted server.
crash_while() {
    local i
    gate_call "$@"
    echo "killing backend $pid with SIGKILL"
    kill -9 "$pid"
    killed=$((killed + 1))
    save_figures
    if wait "$caller"; then fail "the killed call reported success"; fi
    wait "$holder" || true   # the restart ended the holder too
    for ((i = 0; i < 1200; i++)); do
        q -d "$DB" -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "server did not come back after the crash"
}

# gone PID: wait until backend PID has exited.
gone() {
    local i
    for ((i = 0; i < 600; i++)); do
        [[ $(q -d "$DB" -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $1") == 0 ]] && return 0
        sleep 0.1
    done
    fail "backend $1 did not exit"
}

log_crashes() {
    grep -c "terminated by signal 9" "$SCHEMATA_WORK/server.log" || true
}

crashes_before=$(log_crashes)
crash_while "SELECT count(*) FROM schemata.apply('$dir', 'crash')"
expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9"
after=$(state crash)
left=$((left + $(left_over "$after" 0))); save_figures
expect_eq "$after" "0 0" "after the crash of apply: no history row, no table"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'crash'")" "0" \
          "after the crash of apply: the target schema it created is gone"
q -d "$DB" -c "SET client_min_messages = warning" -c "SELECT count(*) FROM schemata.apply('$dir', 'crash')" >/dev/null
expect_eq "$(state crash)" "$COUNT $COUNT" "a new apply finishes the job"
expect_eq "$(q -d "$DB" -c "SELECT count(DISTINCT batch) || ' ' || sum((SELECT count(*) FROM pg_class WHERE relname = 't' || version))
                            FROM schemata.migrations WHERE target_schema = 'crash'")" "1 $COUNT" \
          "one batch, each migration applied once"

crashes_before=$(log_crashes)
crash_while "SELECT count(*) FROM schemata.rollback('crash')"
expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9 (rollback)"
after=$(state crash)
left=$((left + $(left_over "$after" "$COUNT"))); save_figures
expect_eq "$after" "$COUNT $COUNT" "after the crash of rollback: every history row and table still there"
q -d "$DB" -c "SET client_min_messages = warning" -c "SELECT count(*) FROM schemata.rollback('crash')" >/dev/null
expect_eq "$(state crash)" "0 0" "a new rollback finishes the job"

crashes_before=$(log_crashes)
crash_while "CALL schemata.migrate('$dir', 'crash_m')" no
expect_eq "$(log_crashes)" "$((crashes_before + 1))" "the postmaster saw a backend killed by signal 9 (migrate)"
after=$(state crash_m)
left=$((left + $(left_over "$after" "$BEFORE_GATE"))); save_figures
expect_eq "$after" "$BEFORE_GATE $BEFORE_GATE" \
          "after the crash of migrate: the migrations before $GATE committed, the killed one left nothing"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 \
          "no advisory lock outlives the killed session"
q -d "$DB" -c "SET client_min_messages = warning" -c "CALL schemata.migrate('$dir', 'crash_m')" >/dev/null
expect_eq "$(state crash_m)" "$COUNT $COUNT" "a new migrate finishes the job"

# migrate ended by pg_terminate_backend: its backend exits cleanly, the
# postmaster and every other session go on
gate_call "CALL schemata.migrate('$dir', 'term_m')" no
echo "terminating backend $pid with pg_terminate_backend"
expect_eq "$(q -d "$DB" -c "SELECT pg_terminate_backend($pid)")" t "pg_terminate_backend signalled the migrate"
terminated=$((terminated + 1)); save_figures
if wait "$caller"; then fail "the terminated migrate reported success"; fi
gone "$pid"
expect_eq "$(q -d "$DB" -c "SELECT pg_terminate_backend($holder_pid)")" t "the gate's holder ended too"
wait "$holder" || true
gone "$holder_pid"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1396919617")" 0 \
          "no advisory lock of schemata's outlives the terminated migrate"
after=$(state term_m)
left=$((left + $(left_over "$after" "$BEFORE_GATE"))); save_figures
expect_eq "$after" "$BEFORE_GATE $BEFORE_GATE" \
          "after pg_terminate_backend: the migrations before $GATE committed and recorded"
expect_eq "$(q -d "$DB" -c "SELECT count(*) || ' ' || (to_regclass('term_m.t$GATE') IS NOT NULL)
                            FROM schemata.migrations WHERE target_schema = 'term_m' AND version = '$GATE'")" "0 false" \
          "the migration waiting at the gate left no history row and no table"
q -d "$DB" -c "SET client_min_messages = warning" -c "CALL schemata.migrate('$dir', 'term_m')" >/dev/null
expect_eq "$(state term_m)" "$COUNT $COUNT" "a new migrate finishes the job after pg_terminate_backend"
