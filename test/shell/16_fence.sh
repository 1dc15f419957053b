#!/usr/bin/env bash
# schemata.allowed_directories (the fence):
# - "/" allows every path; entries with a trailing slash or "//" work;
# - a path outside the fence gets one error whatever is there (nothing, an
#   unreadable directory, a file, a directory of migrations), and a folder
#   entry linked out of the fence one error whatever its target holds;
# - ".." after a symbolic link means the parent of the link's target, as
#   for the operating system (and is refused when that is outside);
# - a role that is not a superuser cannot widen the fence set in
#   postgresql.conf (ALTER SYSTEM), by PGOPTIONS, connection options, SET,
#   set_config() or SET LOCAL before the library loads, a function's SET
#   clause, or ALTER ROLE / ALTER DATABASE ... SET.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

T=$(mktemp -d /tmp/schemata-fence.XXXXXX)
altered=
cleanup() {
    if [ -n "$altered" ]; then
        q -d postgres -c "LOAD 'schemata'" -c "ALTER SYSTEM RESET schemata.allowed_directories" \
          -c "SELECT pg_reload_conf()" >/dev/null || true
    fi
    q -d postgres -c "DROP DATABASE IF EXISTS fence" >/dev/null 2>&1 || true
    q -d postgres -c "DROP ROLE IF EXISTS fence_user" >/dev/null 2>&1 || true
    chmod -R u+rwX "$T" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

A=$T/allowed
O=$T/outside
mkdir -p "$A/mig" "$A/top/deep/inner" "$A/flink_yes" "$A/flink_no" "$A/flink_none" \
         "$O/dir" "$O/sub" "$O/fdir" "$O/locked/inner"
echo 'CREATE TABLE t_in (id int);' >"$A/mig/0001_in.sql"
echo 'CREATE TABLE t_top (id int);' >"$A/top/0001_top.sql"
echo 'CREATE TABLE t_deep (id int);' >"$A/top/deep/0001_deep.sql"
ln -s deep/inner "$A/top/dirlink"          # top/dirlink/.. is top/deep
ln -s ../outside/sub "$A/outlink"          # outlink/.. is outside
ln -s allowed "$T/allowed_link"
ln -s ../allowed "$O/back"                 # from outside back in
echo 'CREATE TABLE t_secret (id int);' >"$O/dir/0001_secret.sql"
echo 'CREATE TABLE t_f (id int);' >"$O/fdir/up.sql"
echo 'not a directory' >"$O/file.txt"
ln -s ../../outside/fdir "$A/flink_yes/0001_f"      # holds up.sql
ln -s ../../outside/sub "$A/flink_no/0001_f"        # holds nothing
ln -s ../../outside/nothing "$A/flink_none/0001_f"  # does not exist
chmod -R a+rX "$T"
chmod 700 "$O/locked"                      # the server (user postgres) cannot enter it

fresh_db fence
q -d fence <<'SQL'
CREATE SCHEMA fence_target;
-- what plan() makes of a directory: the names it lists, or the error with
-- the directory shown as <dir>
CREATE FUNCTION public.outcome(dir text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    st text; msg text; det text; r text;
BEGIN
    SELECT 'ok: ' || coalesce(string_agg(p.name, ',' ORDER BY p.version), '')
      INTO r FROM schemata.plan(dir, 'fence_target') p;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || replace(msg, dir, '<dir>') || ' | ' || coalesce(det, '');
END $f$;
SQL

# outcome FENCE DIR: plan() of DIR as a superuser with the fence FENCE ("" for none)
outcome() {
    local opts="-c client_min_messages=error"
    [ -n "$1" ] && opts="$opts -c schemata.allowed_directories=$1"
    PGOPTIONS="$opts" q -d fence -c "SELECT public.outcome('$2')"
}

# -- "/" and odd spellings of an entry
expect_eq "$(outcome / "$A/mig")" "ok: 0001_in.sql" "'/' allows every directory"
expect_eq "$(outcome "$A/" "$A/mig")" "ok: 0001_in.sql" "an entry with a trailing slash"
expect_eq "$(outcome "/$A" "$A/mig")" "ok: 0001_in.sql" "an entry starting with //"
expect_eq "$(outcome "${A%/allowed}//allowed//" "$A/mig")" "ok: 0001_in.sql" "an entry with // inside"
expect_eq "$(outcome "$T/nothing,$A" "$A/mig")" "ok: 0001_in.sql" "an entry that does not exist allows nothing, the others still apply"
expect_eq "$(outcome "$T/allowed_link" "$T/allowed_link/mig")" "ok: 0001_in.sql" "an entry that is a symbolic link, as written"
expect_eq "$(outcome "$T/allowed_link" "$A/mig")" "ok: 0001_in.sql" "an entry that is a symbolic link, resolved"

# -- outside the fence: one answer whatever is there
outside="42501: \"<dir>\" is outside the directories allowed by \"schemata.allowed_directories\" | It resolves to a path outside \"$A\"."
for d in "$O/nothing" "$O/locked/inner" "$O/file.txt" "$O/dir" "$O/nothing/deeper" \
         "$A/../outside/nothing" "$A/../outside/dir"; do
    expect_eq "$(outcome "$A" "$d")" "$outside" "outside the fence: $d"
done
linked="42501: \"0001_f\" is outside the directories allowed by \"schemata.allowed_directories\" | It resolves to a path outside \"$A\"."
for d in flink_yes flink_no flink_none; do
    expect_eq "$(outcome "$A" "$A/$d")" "$linked" "a folder entry linked out of the fence: $d"
done
# without the fence, those differ (the test above would see it if they leaked)
expect_eq "$(outcome "" "$A/flink_yes")" "ok: 0001_f" "no fence: the linked folder is read"
expect_eq "$(outcome "" "$A/flink_no" | cut -d: -f1)" "58P01" "no fence: the linked folder without up.sql"

# -- ".." after a symbolic link
expect_eq "$(outcome "" "$A/top/dirlink/..")" "ok: 0001_deep.sql" "no fence: dirlink/.. is the parent of the link's target"
expect_eq "$(outcome "$A" "$A/top/dirlink/..")" "ok: 0001_deep.sql" "fence: dirlink/.. is the parent of the link's target"
expect_eq "$(outcome "$A" "$A/outlink/..")" "$outside" "fence: outlink/.. (the outside) is refused"
expect_eq "$(outcome "$A" "$A/top/dirlink/../../../mig")" "ok: 0001_in.sql" "fence: links and .. inside the fence"
expect_eq "$(outcome "$A" "$A/../allowed/mig")" "ok: 0001_in.sql" "fence: a path leaving and coming back in"
expect_eq "$(outcome "$A" "$O/back/mig")" "$outside" "fence: a path through a link outside is refused, even back in"

# -- a role that is not a superuser cannot widen a fence set in postgresql.conf
q -d postgres <<SQL
CREATE ROLE fence_user LOGIN;
GRANT pg_read_server_files TO fence_user;
SQL
q -d fence <<SQL
GRANT USAGE ON SCHEMA schemata, fence_target TO fence_user;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA schemata TO fence_user;
ALTER DATABASE fence OWNER TO fence_user;
-- a superuser's function with a SET clause, which the user may call
CREATE FUNCTION public.widen_su() RETURNS text LANGUAGE sql
    SET schemata.allowed_directories = '' AS \$\$ SELECT public.outcome('$O/dir') \$\$;
SQL
altered=1
q -d fence -c "LOAD 'schemata'" -c "ALTER SYSTEM SET schemata.allowed_directories = '$A'" \
  -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 300); do
    [ "$(q -d fence -c "SELECT current_setting('schemata.allowed_directories', true)")" = "$A" ] && break
    sleep 0.1
done
expect_eq "$(q -d fence -c "SELECT current_setting('schemata.allowed_directories', true)")" "$A" \
    "the fence is set in postgresql.auto.conf"

# as_user [PSQL ARGS...]: psql as fence_user in database fence, errors and
# warnings included in the output
as_user() {
    PGOPTIONS="${USER_OPTIONS:-}" "$PSQL" -X -q -A -t -U fence_user -d fence "$@" 2>&1 || true
}
expect_eq "$(as_user -c "SELECT public.outcome('$A/mig')")" "ok: 0001_in.sql" "user: inside the fence"
expect_eq "$(as_user -c "SELECT public.outcome('$O/dir')")" "$outside" "user: outside the fence"

lost="42501: migration directories cannot be read in this session | A value of \"schemata.allowed_directories\" set before the library was loaded was refused, so the setting may not be the one a superuser chose."
# refused WAY OUTPUT: the output shows the refusal and no file outside was read
refused() {
    case $2 in *0001_secret*) fail "$1: the directory outside the fence was read: $2" ;; esac
    case $2 in *"$lost"*|*"$outside"*|*"permission denied to set parameter"*) ;;
        *) fail "$1: no refusal in: $2" ;; esac
    echo "ok: $1 does not widen the fence"
}

out=$(USER_OPTIONS="-c schemata.allowed_directories=" as_user -c "SELECT public.outcome('$O/dir')")
refused "PGOPTIONS" "$out"
case $out in *"WARNING:  permission denied to set parameter \"schemata.allowed_directories\""*) ;;
    *) fail "PGOPTIONS: no WARNING when the library loads: $out" ;; esac
expect_eq "$(printf '%s\n' "$out" | grep -c "$lost")" "1" "PGOPTIONS: the session reads no directory, inside or out"
out=$(USER_OPTIONS="-c schemata.allowed_directories=" as_user -c "SELECT public.outcome('$A/mig')")
case $out in *"$lost"*) echo "ok: PGOPTIONS: not even inside the fence" ;; *) fail "PGOPTIONS inside: $out" ;; esac

out=$("$PSQL" -X -q -A -t "dbname=fence user=fence_user options='-c schemata.allowed_directories='" \
      -c "SELECT public.outcome('$O/dir')" 2>&1 || true)
refused "options= in the connection string" "$out"

refused "SET before the library loads" \
    "$(as_user -c "SET schemata.allowed_directories = ''" -c "SELECT public.outcome('$O/dir')")"
refused "set_config() before the library loads" \
    "$(as_user -c "SELECT set_config('schemata.allowed_directories', '', false)" -c "SELECT public.outcome('$O/dir')")"
refused "SET LOCAL before the library loads" \
    "$(as_user -c "BEGIN" -c "SET LOCAL schemata.allowed_directories = ''" -c "SELECT public.outcome('$O/dir')" -c "COMMIT")"
refused "a superuser's function with a SET clause" "$(as_user -c "SELECT public.widen_su()")"
refused "the user's function with a SET clause" \
    "$(as_user -c "CREATE FUNCTION public.widen() RETURNS text LANGUAGE sql
                      SET schemata.allowed_directories = '' AS \$\$ SELECT public.outcome('$O/dir') \$\$" \
               -c "SELECT public.widen()")"
refused "ALTER ROLE ... SET" \
    "$(as_user -c "ALTER ROLE fence_user SET schemata.allowed_directories = ''"; as_user -c "SELECT public.outcome('$O/dir')")"
refused "ALTER DATABASE ... SET by its owner" \
    "$(as_user -c "ALTER DATABASE fence SET schemata.allowed_directories = ''"; as_user -c "SELECT public.outcome('$O/dir')")"
refused "SET after the library loaded" \
    "$(as_user -c "SELECT public.outcome('$A/mig')" -c "SET schemata.allowed_directories = ''"; )"

# the fence removed from postgresql.auto.conf: no session is marked for it
q -d fence -c "LOAD 'schemata'" -c "ALTER SYSTEM RESET schemata.allowed_directories" \
  -c "SELECT pg_reload_conf()" >/dev/null
altered=
for _ in $(seq 1 300); do
    [ "$(q -d fence -c "SELECT coalesce(current_setting('schemata.allowed_directories', true), '')")" = "" ] && break
    sleep 0.1
done
expect_eq "$(as_user -c "SELECT public.outcome('$O/dir')")" "ok: 0001_secret.sql" "user: the fence removed"
expect_eq "$(q -d fence -c "SELECT public.outcome('$O/dir')")" "ok: 0001_secret.sql" "superuser: the fence removed"

# a superuser's session value is taken, whenever the library loads
expect_eq "$(PGOPTIONS="-c client_min_messages=error -c schemata.allowed_directories=" q -d fence -c "SELECT public.outcome('$O/dir')")" \
    "ok: 0001_secret.sql" "a superuser's PGOPTIONS value is taken"
expect_eq "$(q -d fence -c "SET schemata.allowed_directories = '/'" -c "SELECT public.outcome('$O/dir')")" \
    "ok: 0001_secret.sql" "a superuser's SET before the library loads is taken"
