#!/usr/bin/env bash
# What is read is what was checked, and reading never blocks:
# - a pending migration file replaced by a FIFO while apply() waits for the
#   target schema's lock: apply() fails with an error naming it, at once
#   (it used to block in open(), where neither cancel nor terminate reach),
#   with schemata.allowed_directories unset and set;
# - an apply() waiting for the lock can be cancelled;
# - symbolic links swapped between a file inside and one outside the fence
#   (a migration file, and a migration folder) while plan() runs a few
#   thousand times: the outside files, whose text would fail recognisably,
#   are never read.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

D=$(mktemp -d /tmp/schemata-files.XXXXXX)
holder_pid= applier_pid= swapper_pid=
cleanup() {
    touch "$D/release" "$D/stop" 2>/dev/null || true
    # a reader stuck on a FIFO gets its end of file
    for f in "$D"/mig/*.sql; do [ -p "$f" ] && { : >"$f" & } ; done 2>/dev/null || true
    for p in $holder_pid $applier_pid $swapper_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT

fresh_db files

# wait_for SQL WHAT: poll (at most 60 s) until the query returns t
wait_for() {
    for _ in $(seq 1 600); do
        [ "$(q -d files -c "$1")" = t ] && return 0
        sleep 0.1
    done
    fail "timed out waiting for $2"
}

# hold_lock: a session applies hold/ to schema fifo_s in a transaction and
# keeps it open (holding the schema's lock) until $D/release exists
hold_lock() {
    rm -f "$D/release"
    q -d files -c "SET client_min_messages = warning" -c "BEGIN" \
      -c "SELECT count(*) FROM schemata.apply('$D/hold', 'fifo_s')" \
      -c "DO \$\$ BEGIN
              FOR i IN 1..6000 LOOP
                  EXIT WHEN (pg_stat_file('$D/release', true)).size IS NOT NULL;
                  PERFORM pg_sleep(0.05);
              END LOOP;
          END \$\$" -c "ROLLBACK" >/dev/null &
    holder_pid=$!
    wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity
                              WHERE datname = 'files' AND query LIKE '%pg_stat_file%'
                                AND pid <> pg_backend_pid())" "the holder to take the lock"
}

# start_apply OPTIONS: apply mig/ to fifo_s in the background, output in
# $D/out; returns once it waits for the lock.  Sets applier_pid.
start_apply() {
    PGOPTIONS="-c client_min_messages=warning $1" \
        "$PSQL" -X -q -A -t -d files -c "SELECT count(*) FROM schemata.apply('$D/mig', 'fifo_s')" \
        >"$D/out" 2>&1 &
    applier_pid=$!
    wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity
                              WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
                                AND query LIKE '%schemata.apply(''$D/mig''%')" "apply to wait for the lock"
}

# wait_gone PID WHAT: the process ends within 60 s
wait_gone() {
    for _ in $(seq 1 600); do
        kill -0 "$1" 2>/dev/null || { wait "$1" || true; return 0; }
        sleep 0.1
    done
    fail "$2 did not end: $(cat "$D/out")"
}

mkdir -p "$D/hold" "$D/mig"
echo 'CREATE TABLE a (id int);' >"$D/hold/0001_a.sql"

for fence in "" "-c schemata.allowed_directories=$D"; do
    what=${fence:+ (fence set)}
    rm -f "$D/mig/"*
    echo 'CREATE TABLE a (id int);' >"$D/mig/0001_a.sql"
    echo 'CREATE TABLE b (id int);' >"$D/mig/0002_b.sql"
    chmod -R a+rX "$D"

    hold_lock
    start_apply "$fence"
    rm "$D/mig/0002_b.sql"
    mkfifo -m 644 "$D/mig/0002_b.sql"
    touch "$D/release"
    wait_gone "$holder_pid" "the holder"
    holder_pid=
    wait_gone "$applier_pid" "apply of a directory holding a FIFO$what"
    applier_pid=
    case $(cat "$D/out") in
        *'ERROR:  "0002_b.sql" in the migration directory is not a regular file'*)
            echo "ok: a FIFO put in place during the lock wait is refused$what" ;;
        *) fail "apply with a FIFO$what: $(cat "$D/out")" ;;
    esac
    expect_eq "$(q -d files -c "SELECT count(*) FROM schemata.migrations") $(q -d files -c "SELECT to_regclass('fifo_s.a') IS NULL")" \
        "0 t" "nothing applied$what"
done

# cancel an apply waiting for the lock
rm -f "$D/mig/0002_b.sql"
hold_lock
start_apply ""
q -d files -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%schemata.apply(''$D/mig''%'" >/dev/null
wait_gone "$applier_pid" "the cancelled apply"
applier_pid=
case $(cat "$D/out") in
    *"canceling statement due to user request"*) echo "ok: a waiting apply is cancelled" ;;
    *) fail "cancel: $(cat "$D/out")" ;;
esac
touch "$D/release"
wait_gone "$holder_pid" "the holder"
holder_pid=

# symbolic links swapped between inside and outside the fence
mkdir -p "$D/allowed/race" "$D/allowed/fin" "$D/outside/fout"
echo 'CREATE TABLE r (id int);' >"$D/allowed/in.sql"
echo 'OUTSIDE_FILE_WAS_READ;' >"$D/outside/out.sql"
echo 'CREATE TABLE f (id int);' >"$D/allowed/fin/up.sql"
echo 'OUTSIDE_FOLDER_WAS_READ;' >"$D/outside/fout/up.sql"
ln -s ../in.sql "$D/allowed/race/0001_r.sql"
ln -s ../fin "$D/allowed/race/0002_f"
chmod -R a+rX "$D"
rm -f "$D/stop"
python3 - "$D" <<'PY' &
import os, sys, time
d = sys.argv[1]
race = os.path.join(d, "allowed", "race")
links = [("0001_r.sql", "../in.sql", "../../outside/out.sql"),
         ("0002_f", "../fin", "../../outside/fout")]
deadline = time.monotonic() + 300
i = 0
while i < 5000000 and time.monotonic() < deadline and not os.path.exists(os.path.join(d, "stop")):
    name, inside, outside = links[i % 2]
    tmp = os.path.join(race, ".tmp")
    os.symlink(outside if (i // 2) % 2 else inside, tmp)
    os.rename(tmp, os.path.join(race, name))
    if i == 0:
        open(os.path.join(d, "started"), "w").close()
    i += 1
print(i, file=open(os.path.join(d, "swaps"), "w"))
PY
swapper_pid=$!
for _ in $(seq 1 600); do [ -e "$D/started" ] && break; sleep 0.1; done
[ -e "$D/started" ] || fail "the swapper did not start"

q -d files <<'SQL'
CREATE FUNCTION public.race_calls(dir text, n int) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    ok int := 0; refused int := 0; other int := 0; leaked int := 0; msg text;
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            PERFORM * FROM schemata.plan(dir, 'race_s');
            ok := ok + 1;
        EXCEPTION WHEN OTHERS THEN
            msg := SQLERRM;
            IF msg LIKE '%OUTSIDE_%_WAS_READ%' THEN
                leaked := leaked + 1;
            ELSIF SQLSTATE = '42501' THEN
                refused := refused + 1;
            ELSE
                other := other + 1;
            END IF;
        END;
    END LOOP;
    RETURN format('ok %s, refused %s, other %s, leaked %s', ok, refused, other, leaked);
END $f$;
SQL
result=$(PGOPTIONS="-c schemata.allowed_directories=$D/allowed" q -d files -c "SELECT public.race_calls('$D/allowed/race', 3000)")
touch "$D/stop"
wait "$swapper_pid" || fail "the swapper failed"
swapper_pid=
echo "plan() while links were swapped $(cat "$D/swaps") times: $result"
case $result in
    *"leaked 0") echo "ok: no outside file was read" ;;
    *) fail "a file outside the fence was read: $result" ;;
esac
case $result in
    "ok 0,"*|*"refused 0,"*) fail "the swaps did not show both ways (the test proves nothing): $result" ;;
esac
echo "ok: calls saw both the inside and the outside links"
