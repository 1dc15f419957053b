#!/usr/bin/env bash
# test/shell/41_nontransactional_worker.sh -- CALL schemata.migrate runs a
# non-transactional migration (CREATE INDEX CONCURRENTLY) in a background
# worker (issue 18):
#   1. a writer with an open transaction on the table: the build waits for
#      the writer, never for the calling session (a worker waiting on the
#      caller would be a deadlock: found from pg_blocking_pids, a failure,
#      never a hang), the writer is not blocked, and once it commits the
#      CALL finishes with a valid index;
#   2. pg_cancel_backend of the CALL mid-build: 57014, nothing recorded, the
#      advisory lock released, the worker gone; the next migrate drops the
#      INVALID index the cancelled build left (NOTICE) and succeeds;
#   3. pg_terminate_backend of the CALL: the worker is gone too;
#   4. no free background worker slot (a second cluster with
#      max_worker_processes = 0): SQLSTATE 53000 naming max_worker_processes.
# Waits are bounded polling loops on pg_stat_activity and pg_locks.
set -euo pipefail
# shellcheck source=test/lib/shell.sh
source "$SCHEMATA_SRC/test/lib/shell.sh"

DB=schemata_nontx_worker
work=$(mktemp -d "${SCHEMATA_WORK:-${TMPDIR:-/tmp}}/nontx_worker.XXXXXX")
writer_pid=
call_pid=
second=
cleanup() {
    exec 3>&- 2>/dev/null || true
    [[ -n $writer_pid ]] && kill "$writer_pid" 2>/dev/null || true
    [[ -n $call_pid ]] && kill "$call_pid" 2>/dev/null || true
    if [[ -n $second ]]; then
        runuser -u postgres -- "$SCHEMATA_PGBIN/pg_ctl" -D "$second/data" -m immediate -w -s stop \
            >/dev/null 2>&1 || true
    fi
    q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# poll SQL WHAT: wait until SQL returns t (at most 10 minutes of 0.2 s steps)
poll() {
    local i
    for ((i = 0; i < 3000; i++)); do
        [[ $(q -d "$DB" -c "$1") == t ]] && return 0
        sleep 0.2
    done
    fail "timed out waiting: $2"
}

WORKERS="SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'schemata migration'"
WORKER_PID="SELECT pid FROM pg_stat_activity WHERE backend_type = 'schemata migration'"
CALLER_PID="SELECT pid FROM pg_stat_activity WHERE application_name = 'nontx_call' AND backend_type = 'client backend'"

mkdir -p "$work/dir"
cat >"$work/dir/0001_accounts.sql" <<'EOF'
CREATE TABLE accounts (id int, status text);
INSERT INTO accounts SELECT g, 'active' FROM generate_series(1, 1000) g;
EOF
cat >"$work/dir/0002_accounts_status.sql" <<'EOF'
CREATE INDEX CONCURRENTLY accounts_status_idx ON accounts (status);
EOF
chown -R postgres "$work"
chmod -R a+rX "$work"

fresh_db "$DB"
q -d "$DB" -c "SET client_min_messages = warning" \
    -c "CALL schemata.migrate('$work/dir', 'app', to_version => '0001')"

# The writer: a psql session fed through a FIFO, so its transaction stays open.
start_writer() {
    rm -f "$work/writer.fifo"
    mkfifo "$work/writer.fifo"
    PGAPPNAME=nontx_writer "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" \
        <"$work/writer.fifo" >"$work/writer.out" 2>&1 &
    writer_pid=$!
    exec 3>"$work/writer.fifo"
    echo "BEGIN; INSERT INTO app.accounts VALUES (0, 'new');" >&3
    poll "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'nontx_writer'
                          AND state = 'idle in transaction' AND backend_xid IS NOT NULL)" \
        "the writer's open transaction"
}

finish_writer() {
    echo "$1" >&3
    exec 3>&-
    wait "$writer_pid" || fail "writer: $(cat "$work/writer.out")"
    writer_pid=
}

# The CALL, in the background; its output in $work/call.out.
start_call() {
    PGAPPNAME=nontx_call "$PSQL" -X -v ON_ERROR_STOP=1 -d "$DB" \
        -c "CALL schemata.migrate('$work/dir', 'app')" >"$work/call.out" 2>&1 &
    call_pid=$!
}

# The worker is waiting for a lock: check who blocks it.  The caller never
# may (a deadlock: fail at once); the writer must.
wait_for_blocked_worker() {
    local i blockers caller writer
    for ((i = 0; i < 3000; i++)); do
        blockers=$(q -d "$DB" -c "SELECT pg_blocking_pids(pid) FROM pg_stat_activity
                                   WHERE backend_type = 'schemata migration'")
        caller=$(q -d "$DB" -c "$CALLER_PID")
        writer=$(q -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'nontx_writer'")
        if [[ -n $caller && $blockers =~ (^|[{,])$caller([},]|$) ]]; then
            fail "deadlock: the worker waits for the calling session ($blockers)"
        fi
        if [[ -n $writer && $blockers =~ (^|[{,])$writer([},]|$) ]]; then
            echo "ok: the worker waits for the writer, not for the caller ($blockers)"
            return 0
        fi
        sleep 0.2
    done
    fail "timed out waiting for the worker to wait for the writer"
}

# 1. concurrent writer
start_writer
start_call
wait_for_blocked_worker
expect_eq "$(q -d "$DB" -c "SELECT backend_xmin IS NULL AND backend_xid IS NULL
                              FROM pg_stat_activity WHERE application_name = 'nontx_call' AND backend_type = 'client backend'")" \
    t "the caller holds no snapshot and no transaction ID while the worker runs"
# the writer is not blocked: another insert in its open transaction completes
echo "INSERT INTO app.accounts VALUES (-1, 'new'); SELECT pg_advisory_lock(41);" >&3
poll "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objid = 41 AND granted)" \
    "the writer's second statement"
expect_eq "$(q -d "$DB" -c "SELECT cardinality(pg_blocking_pids(pid)) FROM pg_stat_activity
                              WHERE application_name = 'nontx_writer'")" 0 "the writer is not blocked"
finish_writer "COMMIT;"
wait "$call_pid" || fail "CALL failed: $(cat "$work/call.out")"
call_pid=
expect_eq "$(q -d "$DB" -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.accounts_status_idx'::regclass")" \
    t "the index is valid"
expect_eq "$(q -d "$DB" -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
    0001,0002 "the migration is recorded"
expect_eq "$(q -d "$DB" -c "$WORKERS")" 0 "no worker left"

# 2. cancel mid-build
cat >"$work/dir/0003_accounts_id.sql" <<'EOF'
CREATE INDEX CONCURRENTLY accounts_id_idx ON accounts (id);
EOF
chown postgres "$work/dir/0003_accounts_id.sql"
start_writer
start_call
wait_for_blocked_worker
q -d "$DB" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'nontx_call' AND backend_type = 'client backend'" >/dev/null
if wait "$call_pid"; then fail "the cancelled CALL succeeded"; fi
call_pid=
grep -q "canceling statement due to user request" "$work/call.out" ||
    fail "no cancel error: $(cat "$work/call.out")"
echo "ok: the CALL was cancelled"
poll "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'schemata migration')" \
    "the worker to exit after the cancel"
echo "ok: the worker is gone"
expect_eq "$(q -d "$DB" -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
    0001,0002 "nothing recorded for the cancelled migration"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid <> 41")" \
    0 "the target's lock is released"
finish_writer "COMMIT;"
expect_eq "$(q -d "$DB" -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.accounts_id_idx'::regclass")" \
    f "the cancelled build left an INVALID index"
out=$("$PSQL" -X -v ON_ERROR_STOP=1 -d "$DB" -c "CALL schemata.migrate('$work/dir', 'app')" 2>&1) ||
    fail "migrate after the cancel: $out"
[[ $out == *'NOTICE:  dropping invalid index app.accounts_id_idx, left by an earlier failed build, before building it again'* ]] ||
    fail "no NOTICE about the invalid index: $out"
echo "ok: the rerun dropped the INVALID index with a NOTICE"
expect_eq "$(q -d "$DB" -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.accounts_id_idx'::regclass")" \
    t "the rerun built the index"

# 3. terminate mid-build
cat >"$work/dir/0004_accounts_both.sql" <<'EOF'
CREATE INDEX CONCURRENTLY accounts_both_idx ON accounts (id, status);
EOF
chown postgres "$work/dir/0004_accounts_both.sql"
start_writer
start_call
wait_for_blocked_worker
q -d "$DB" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nontx_call' AND backend_type = 'client backend'" >/dev/null
if wait "$call_pid"; then fail "the terminated CALL succeeded"; fi
call_pid=
poll "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'schemata migration')" \
    "the worker to exit after the caller was terminated"
echo "ok: the worker is gone after pg_terminate_backend of the caller"
expect_eq "$(q -d "$DB" -c "SELECT count(*) FROM schemata.migrations WHERE version = '0004'")" \
    0 "nothing recorded for the terminated migration"
finish_writer "COMMIT;"

# 4. no free worker slot: a cluster of its own with max_worker_processes = 0
second=$work/second
mkdir -p "$second/sock"
chown -R postgres "$second"
runuser -u postgres -- "$SCHEMATA_PGBIN/initdb" -D "$second/data" -U postgres -A trust \
    --no-sync >"$second/initdb.log" 2>&1 || fail "initdb: $(cat "$second/initdb.log")"
cat >>"$second/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$second/sock'
max_worker_processes = 0
fsync = off
lc_messages = 'C'
EOF
# in the environment of the suite's server (the sanitized pass preloads the
# ASan runtime, without which the instrumented extension cannot load)
# shellcheck source=test/lib/cluster.sh
source "$SCHEMATA_SRC/test/lib/cluster.sh"
mapfile -t server_env < <(schemata_server_env)
runuser -u postgres -- env "${server_env[@]}" "$SCHEMATA_PGBIN/pg_ctl" -D "$second/data" \
    -l "$second/server.log" -w -s start ||
    fail "second cluster did not start: $(tail -20 "$second/server.log")"
rm -f "$work/dir/0004_accounts_both.sql"
out=$(PGHOST=$second/sock "$PSQL" -X -d postgres -v VERBOSITY=verbose \
    -c "SET client_min_messages = warning" -c "CREATE EXTENSION schemata" \
    -c "CALL schemata.migrate('$work/dir', 'app')" 2>&1) && fail "migrate without a worker slot succeeded"
[[ $out == *'ERROR:  53000: could not start a background worker for migration file "0002_accounts_status.sql"'* ]] ||
    fail "no 53000 error: $out"
[[ $out == *'max_worker_processes'* ]] || fail "the error does not name max_worker_processes: $out"
[[ $out == *'DETAIL:  A migration that cannot run inside a transaction runs in a background worker, and every worker slot is taken.'* &&
   $out == *'HINT:  Try again when fewer background workers run, or raise "max_worker_processes".'* ]] ||
    fail "the error lacks doc/non-transactional.md's DETAIL and HINT: $out"
echo "ok: no free worker slot is 53000 naming max_worker_processes"
expect_eq "$(PGHOST=$second/sock q -d postgres -c "SELECT string_agg(version, ',' ORDER BY version) FROM schemata.migrations")" \
    0001 "the migrations before it are recorded, not the one without a worker"
