#!/usr/bin/env bash
# apply() and migrate() with lock_timeout and lock_retries: a migration whose
# ALTER TABLE waits behind a long query times out after lock_timeout, is
# undone, and is tried again after a delay until it gets its lock; readers
# that queue behind the waiting ALTER get through when it times out, instead
# of waiting for the long query; with lock_retries => 0 the call fails at
# once with a hint.  No wall clock decides anything: the long query ends
# when a reader has got through (or the call has ended), and every wait
# below is a poll that also ends when the process it waits for ends.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir=$(mktemp -d /tmp/schemata-retries.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT

fresh_db retries
q -d retries -c "CREATE TABLE public.busy (id int);
                 INSERT INTO public.busy SELECT generate_series(1, 100);
                 CREATE TABLE public.readerlog (case_name text);
                 CREATE TABLE public.giveup (case_name text);
                 CREATE TABLE public.holderlog (case_name text, reader_first boolean)"
mkdir -p "$dir/a" "$dir/m" "$dir/z"
echo 'ALTER TABLE public.busy ADD COLUMN note text;' >"$dir/a/0001_note.sql"
echo 'ALTER TABLE public.busy ADD COLUMN tag text;' >"$dir/m/0001_tag.sql"
echo 'ALTER TABLE public.busy ADD COLUMN zed text;' >"$dir/z/0001_zed.sql"
chmod -R a+rX "$dir"

# wait_for SQL PID: poll until the query returns t, or process PID ended
wait_for() {
    until [ "$(q -d retries -c "$1")" = t ]; do
        kill -0 "$2" 2>/dev/null || return 0
        sleep 0.05
    done
}

# hold CASE: a long query's transaction on busy (AccessShareLock), open until
# a reader of CASE got through or the case gave up; records which came first
hold() {
    q -d retries -c "BEGIN" -c "SELECT count(*) FROM public.busy" >/dev/null \
      -c "DO \$\$ BEGIN
              WHILE NOT EXISTS (SELECT FROM public.readerlog WHERE case_name = '$1')
                AND NOT EXISTS (SELECT FROM public.giveup WHERE case_name = '$1') LOOP
                  PERFORM pg_sleep(0.02);
              END LOOP;
          END \$\$" \
      -c "INSERT INTO public.holderlog
          SELECT '$1', EXISTS (SELECT FROM public.readerlog WHERE case_name = '$1')" \
      -c "COMMIT" &
    holder=$!
    pids+=("$holder")
    wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'public.busy'::regclass
                               AND mode = 'AccessShareLock' AND granted)" "$holder"
}

# the caller's session waits for its AccessExclusiveLock on busy
caller_waits() {
    wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'public.busy'::regclass
                               AND mode = 'AccessExclusiveLock' AND NOT granted)" "$1"
}

# run_case NAME SQL COLUMN: SQL (apply or migrate with retries) while a long
# query holds busy; a reader arrives while the ALTER waits
run_case() {
    local name=$1 sql=$2 column=$3 caller reader out rc=0
    out=$dir/$name.out
    hold "$name"
    "$PSQL" -X -q -d retries -v ON_ERROR_STOP=1 -c "$sql" >"$out" 2>&1 &
    caller=$!
    pids+=("$caller")
    caller_waits "$caller"
    # a reader queued behind the waiting ALTER: through once it times out
    q -d retries -c "SELECT count(*) FROM public.busy" \
      -c "INSERT INTO public.readerlog VALUES ('$name')" >/dev/null &
    reader=$!
    pids+=("$reader")
    wait "$reader" || fail "$name: the reader failed"
    wait "$caller" || rc=$?
    q -d retries -c "INSERT INTO public.giveup VALUES ('$name')"
    wait "$holder"
    cat "$out"
    expect_eq "$rc" 0 "$name: the call succeeded after retries"
    grep -q 'timed out waiting for a lock; trying again in' "$out" ||
        fail "$name: no NOTICE of a retry"
    expect_eq "$(q -d retries -c "SELECT reader_first FROM public.holderlog WHERE case_name = '$name'")" t \
        "$name: the reader got through while the long query still ran"
    expect_eq "$(q -d retries -c "SELECT count(*) FROM pg_attribute
                                   WHERE attrelid = 'public.busy'::regclass AND attname = '$column'")" 1 \
        "$name: the migration ran once it got its lock"
}

run_case apply "SELECT version FROM schemata.apply('$dir/a', lock_timeout => '200ms', lock_retries => 50)" note
expect_eq "$(q -d retries -c "SELECT count(*) FROM schemata.migrations WHERE version = '0001' AND name = '0001_note.sql'")" 1 \
    "apply: recorded once"

run_case migrate "CALL schemata.migrate('$dir/m', 'mig', lock_timeout => '200ms', lock_retries => 50)" tag
expect_eq "$(q -d retries -c "SELECT count(*) FROM schemata.migrations WHERE target_schema = 'mig'")" 1 \
    "migrate: recorded once"

# lock_retries => 0: the first lock timeout fails the call, with the hint
hold zero
rc=0
PGOPTIONS="-c client_min_messages=warning" \
    "$PSQL" -X -q -d retries -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -c "SELECT version FROM schemata.apply('$dir/z', 'zero', lock_timeout => '100ms', lock_retries => 0)" \
    >"$dir/zero.out" 2>&1 || rc=$?
q -d retries -c "INSERT INTO public.giveup VALUES ('zero')"
wait "$holder"
cat "$dir/zero.out"
expect_eq "$rc" 1 "lock_retries => 0: the call fails"
grep -q '55P03' "$dir/zero.out" || fail "lock_retries => 0: not lock_not_available"
grep -q 'HINT:  Give lock_retries to try the migration again' "$dir/zero.out" ||
    fail "lock_retries => 0: no hint"
expect_eq "$(q -d retries -c "SELECT count(*) FROM schemata.migrations WHERE target_schema = 'zero'")" 0 \
    "lock_retries => 0: nothing recorded"

# the caller's own lock_timeout is back after the call
expect_eq "$(q -d retries -c "SET lock_timeout = '7s'" \
               -c "SELECT count(*) FROM schemata.apply('$dir/z', 'zero', lock_timeout => '100ms', lock_retries => 3)" \
               -c "SHOW lock_timeout" | tail -1)" 7s "the caller's lock_timeout is restored"

# bad arguments
for args in "lock_timeout => 'soon'" "lock_retries => -1" "lock_retries => 101" "lock_retries => NULL"; do
    err=$("$PSQL" -X -q -d retries -c "SELECT schemata.apply('$dir/z', 'bad', $args)" 2>&1 || true)
    case $err in
        *'invalid value for lock_timeout: "soon"'*|*'lock_retries must be between 0 and 100'*|*'lock_retries cannot be null'*)
            echo "ok: $args refused" ;;
        *) fail "$args: $err" ;;
    esac
done
