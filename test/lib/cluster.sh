# test/lib/cluster.sh -- sourced by test/run_all.sh and examples/demo.sh.
#
# Owns the throwaway PostgreSQL cluster that schemata is tested and demoed
# against (Debian 12's 15, or a major that test/lib/majors.sh stages):
#   schemata_install_deps   apt-get what a fresh Debian 12 lacks (root only)
#   schemata_setup [DIR]    copy the working tree and a private copy of the
#                           PostgreSQL install into a work dir, build and
#                           install schemata there, initdb, start the server,
#                           export PG* and SCHEMATA_* variables, and set a
#                           trap that stops the server and removes the dir
#   schemata_teardown       what the trap runs (SCHEMATA_KEEP=1 keeps the dir)
#   schemata_run CMD...     run CMD so that INT/TERM stop it and the cluster
#                           at once
#
# SCHEMATA_SANITIZE=1 builds schemata with AddressSanitizer,
# UndefinedBehaviorSanitizer and assertions (USE_ASSERT_CHECKING) and starts
# the server with the ASan runtime preloaded (see
# schemata_check_asan_preload; a machine where that fails fails the setup);
# reports go to the server log:
#   schemata_sanitizer_canary        makes both sanitizers report once, and
#                                    checks that the report is found
#   schemata_sanitizer_reports [FROM [TO]]  the reports in the server log
#
# Exported by schemata_setup: PGHOST PGPORT PGUSER=postgres PGDATABASE=postgres,
# PG_CONFIG (the copy's), PATH (copy's bin first), SCHEMATA_WORK (work dir),
# SCHEMATA_SRC (copied tree, where the build ran), SCHEMATA_FIXTURES
# ($SCHEMATA_SRC/test/fixtures; the pg_regress and isolation suites find it
# themselves, see the Makefile), SCHEMATA_TMP (scratch dir the server can read),
# SCHEMATA_PGBIN (the copy's bin dir: psql, pg_dump, ...).
#
# The system install (/usr/lib/postgresql/15) is only ever read: schemata is
# installed into the copy, so runs never touch it and several checkouts can
# test at once. The server runs as OS user postgres (initdb refuses root),
# so everything it reads lives in the work dir, which that user owns.
#
# Safe under `set -euo pipefail`. Functions report failures on stderr and
# return non-zero.

# Debian 12's own major; SCHEMATA_PG_MAJOR chooses another one of the
# matrix (test/lib/majors.sh), staged from npm and Debian's archive.
SCHEMATA_DEBIAN_MAJOR=15
SCHEMATA_PG_MAJOR=${SCHEMATA_PG_MAJOR:-$SCHEMATA_DEBIAN_MAJOR}
SCHEMATA_SYS_PGLIB=/usr/lib/postgresql/$SCHEMATA_DEBIAN_MAJOR
SCHEMATA_SYS_PGSHARE=/usr/share/postgresql/$SCHEMATA_DEBIAN_MAJOR
SCHEMATA_SYS_PGINCLUDE=/usr/include/postgresql
SCHEMATA_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/majors.sh
source "$SCHEMATA_REPO/test/lib/majors.sh"

schemata_log() {
    printf '[schemata] %s\n' "$*" >&2
}

schemata_die() {
    schemata_log "ERROR: $*"
    return 1
}

schemata_require_root() {
    [[ $(id -u) -eq 0 ]] ||
        schemata_die "must run as root (e.g. sudo $0): it installs packages and runs the server as user postgres"
}

# ---------------------------------------------------------------- packages

# Prints each missing prerequisite; prints nothing when all are present.
schemata_missing_deps() {
    local f
    for f in "$SCHEMATA_SYS_PGLIB/bin/postgres" \
             "$SCHEMATA_SYS_PGLIB/bin/pg_config" \
             "$SCHEMATA_SYS_PGLIB/bin/initdb" \
             "$SCHEMATA_SYS_PGLIB/bin/psql" \
             "$SCHEMATA_SYS_PGLIB/lib/pgxs/src/makefiles/pgxs.mk" \
             "$SCHEMATA_SYS_PGLIB/lib/pgxs/src/test/regress/pg_regress" \
             "$SCHEMATA_SYS_PGLIB/lib/pgxs/src/test/isolation/pg_isolation_regress" \
             "$SCHEMATA_SYS_PGINCLUDE/$SCHEMATA_DEBIAN_MAJOR/server/postgres.h" \
             "$SCHEMATA_SYS_PGLIB/lib/pgxs/src/test/perl/PostgreSQL/Test/Cluster.pm" \
             /usr/share/perl5/IPC/Run.pm \
             /usr/include/stdio.h; do
        [[ -e $f ]] || echo "$f"
    done
    for f in gcc make runuser python3 npm pg_bsd_indent; do
        command -v "$f" >/dev/null 2>&1 || echo "$f"
    done
}

# postgresql-server-dev-15 brings clang-14 and llvm-14-dev (Debian's PGXS
# also builds LLVM bitcode) and libpq-dev; postgresql-client-15 the TAP
# tests' PostgreSQL::Test modules, libipc-run-perl the IPC::Run they use.
# If the postinst creates and starts the default 15/main cluster, that is
# left alone: it is never used.
schemata_install_deps() {
    local missing
    missing=$(schemata_missing_deps)
    [[ -z $missing ]] && return 0
    schemata_require_root || return 1
    schemata_log "installing PostgreSQL 15 and build tools; missing: ${missing//$'\n'/ }"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null || return 1
    apt-get install -y -q --no-install-recommends \
        postgresql-15 postgresql-server-dev-15 gcc make libc6-dev python3 npm \
        pg-bsd-indent libipc-run-perl </dev/null || return 1
    missing=$(schemata_missing_deps)
    [[ -z $missing ]] || schemata_die "still missing after apt-get install: ${missing//$'\n'/ }"
    id postgres >/dev/null 2>&1 || schemata_die "OS user postgres does not exist"
}

# ---------------------------------------------------------------- work dir

schemata_make_workdir() {
    local dir=${1:-}
    if [[ -n $dir ]]; then
        mkdir "$dir" || return 1   # must not exist yet: it is removed afterwards
    else
        dir=$(mktemp -d /tmp/schemata.XXXXXX) || return 1
    fi
    chmod 755 "$dir" || return 1
    (cd "$dir" && pwd)
}

# The working tree as it is (uncommitted files included), minus git data and
# build/test output.
schemata_copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    tar -C "$SCHEMATA_REPO" -cf - \
        --anchored --exclude=./.git --exclude=./results --exclude=./output_iso \
        --exclude='./regression.*' --exclude=./tmp_check --exclude=./tmp_check_iso \
        --exclude=./log \
        --no-anchored --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        . | tar -C "$dest" -xf -
}

# A copy of Debian's install is relocatable: its pg_config, postgres and
# initdb find share/, lib/ and include/ relative to their own location, so
# the copy keeps the /usr/... layout under $stage.
schemata_stage_pg() {
    local stage=$1
    mkdir -p "$stage/usr/lib/postgresql" "$stage/usr/share/postgresql" "$stage/usr/include" &&
    cp -a "$SCHEMATA_SYS_PGLIB" "$stage/usr/lib/postgresql/" &&
    cp -a "$SCHEMATA_SYS_PGSHARE" "$stage/usr/share/postgresql/" &&
    cp -a "$SCHEMATA_SYS_PGINCLUDE" "$stage/usr/include/"
}

schemata_build() {
    local src=$1 pg_config=$2 copt=-Werror
    if [[ ${SCHEMATA_SANITIZE:-0} == 1 ]]; then
        # no -Werror: gcc warns falsely (-Warray-bounds) under the sanitizers;
        # the plain build already holds the code to zero warnings
        schemata_check_asan_preload || return 1
        copt=$SCHEMATA_SANITIZER_COPT
        schemata_log "building schemata with $copt"
    else
        schemata_log "building schemata (-Werror)"
    fi
    make -C "$src" -s -j2 PG_CONFIG="$pg_config" COPT="$copt" &&
    make -C "$src" -s install PG_CONFIG="$pg_config" COPT="$copt" >/dev/null
}

# ---------------------------------------------------------------- sanitizers

# What schemata (and the canary) are compiled with under SCHEMATA_SANITIZE=1:
# the sanitizers, and USE_ASSERT_CHECKING, so that our Asserts are checked
# (a failed one calls ExceptionalCondition, which every server build has: the
# backend aborts, and the crash fails the run).
SCHEMATA_SANITIZER_COPT="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DUSE_ASSERT_CHECKING"

# A line of the server log that starts a sanitizer report.
SCHEMATA_SANITIZER_REPORT='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer'

# Sets and exports SCHEMATA_ASAN_PRELOAD (the ASan runtime, then
# test/lib/asan_swift_shim.c built into the work dir, without which postgres
# hangs at start: see that file; exported for shell tests that start a
# cluster of their own, see schemata_server_env) and checks that postgres starts with it
# preloaded. The sanitized pass needs both sanitizers: a machine where the
# runtime cannot be preloaded fails it.
schemata_check_asan_preload() {
    local runtime shim=$SCHEMATA_WORK/asan_swift_shim.so
    runtime=$(gcc -print-file-name=libasan.so)
    export SCHEMATA_ASAN_PRELOAD="$runtime $shim"
    [[ -f $runtime ]] ||
        schemata_die "gcc's ASan runtime ($runtime) is missing: the sanitized pass needs AddressSanitizer" || return 1
    gcc -shared -fPIC -o "$shim" "$SCHEMATA_SRC/test/lib/asan_swift_shim.c" || return 1
    env LD_PRELOAD="$SCHEMATA_ASAN_PRELOAD" ASAN_OPTIONS=detect_leaks=0 \
        "$SCHEMATA_SYS_PGLIB/bin/postgres" -V >/dev/null 2>&1 ||
        schemata_die "postgres does not start with the ASan runtime preloaded: the sanitized pass needs AddressSanitizer"
}

# The environment the server runs in: empty unless SCHEMATA_SANITIZE=1.  A
# shell test that starts a cluster of its own sources this file for it.
schemata_server_env() {
    [[ ${SCHEMATA_SANITIZE:-0} == 1 ]] || return 0
    echo "LD_PRELOAD=$SCHEMATA_ASAN_PRELOAD"
    echo "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:print_stacktrace=1"
    echo "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1"
}

schemata_log_size() {
    stat -c %s "$SCHEMATA_WORK/server.log"
}

# schemata_sanitizer_reports [FROM [TO]]: the sanitizer reports in bytes
# FROM (default 0) to TO (default: the end) of the server log; prints them,
# returns 1 if any.
schemata_sanitizer_reports() {
    local from=${1:-0} to=${2:-} log=$SCHEMATA_WORK/server.log
    [[ -n $to ]] || to=$(schemata_log_size)
    ! head -c "$to" "$log" | tail -c +"$((from + 1))" | grep -E -A 30 "$SCHEMATA_SANITIZER_REPORT"
}

# schemata_canary_reports FUNCTION ARGS KIND: call the canary's FUNCTION,
# which must end its backend with a report of KIND (a regular expression)
# naming FUNCTION, found by schemata_sanitizer_reports, and nothing else;
# then wait for the restarted server.
schemata_canary_reports() {
    local fn=$1 args=$2 kind=$3 from to report i
    from=$(schemata_log_size)
    if "$SCHEMATA_PGBIN/psql" -X -q -d sanitizer_canary -c "SELECT $fn($args)" >/dev/null 2>&1; then
        schemata_die "canary $fn returned: its backend should have died of the sanitizer's report" || return 1
    fi
    for ((i = 0; i < 600; i++)); do
        "$SCHEMATA_PGBIN/psql" -X -q -d sanitizer_canary -c "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.1
    done
    to=$(schemata_log_size)
    if report=$(schemata_sanitizer_reports "$from" "$to"); then
        schemata_die "canary $fn: no sanitizer report found in the server log" || return 1
    fi
    grep -Eq "$kind" <<<"$report" && grep -q "$fn" <<<"$report" ||
        schemata_die "canary $fn: the report is not the one expected: $report" || return 1
    [[ $(grep -cE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' <<<"$report") == 1 ]] ||
        schemata_die "canary $fn: more than one report: $report" || return 1
    schemata_log "canary $fn: reported and found ($kind)"
}

# Proves that a sanitizer report in the server would be found: builds
# test/lib/sanitizer_canary.c with schemata's sanitizer flags and calls its
# functions in a database of their own. Sets SCHEMATA_CANARY_FROM and
# SCHEMATA_CANARY_TO, the bytes of the server log that hold its reports
# (equal unless it succeeded), for the final check to leave out.
schemata_sanitizer_canary() {
    local so=$SCHEMATA_WORK/sanitizer_canary.so
    SCHEMATA_CANARY_FROM=$(schemata_log_size)
    SCHEMATA_CANARY_TO=$SCHEMATA_CANARY_FROM
    # shellcheck disable=SC2046,SC2086  # pg_config's flags are words
    gcc $("$PG_CONFIG" --cflags) $("$PG_CONFIG" --cflags_sl) $SCHEMATA_SANITIZER_COPT \
        -I"$("$PG_CONFIG" --includedir-server)" -shared -o "$so" "$SCHEMATA_SRC/test/lib/sanitizer_canary.c" ||
        return 1
    chmod a+r "$so" &&
    "$SCHEMATA_PGBIN/createdb" sanitizer_canary &&
    "$SCHEMATA_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d sanitizer_canary \
        -c "CREATE FUNCTION sanitizer_canary_heap_overflow(int) RETURNS int LANGUAGE c STRICT AS '$so'" \
        -c "CREATE FUNCTION sanitizer_canary_shift_exponent(int) RETURNS int LANGUAGE c STRICT AS '$so'" || return 1
    schemata_canary_reports sanitizer_canary_heap_overflow 8 'AddressSanitizer: heap-buffer-overflow' || return 1
    schemata_canary_reports sanitizer_canary_shift_exponent 40 'runtime error: shift exponent 40' || return 1
    "$SCHEMATA_PGBIN/dropdb" sanitizer_canary || return 1
    # shellcheck disable=SC2034  # read by test/run_all.sh
    SCHEMATA_CANARY_TO=$(schemata_log_size)
}

# ---------------------------------------------------------------- cluster

schemata_as_postgres() {
    # cd first: the caller's directory may be unreadable for postgres.
    (cd "$SCHEMATA_WORK" && runuser -u postgres -- "$@")
}

schemata_port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    grep -Eqs "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6
}

# The server listens on a private Unix socket only, so the port just names
# the socket; still, avoid ports that are in use on TCP.
schemata_free_port() {
    local port i
    for ((i = 0; i < 50; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
        schemata_port_in_use "$port" || { echo "$port"; return 0; }
    done
    schemata_die "no free port found in 20000-40000"
}

schemata_initdb() {
    local data=$1 locale=C
    # no grep -q: with pipefail, an early grep exit would fail the pipe
    if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then
        locale=C.UTF-8
    fi
    if ! schemata_as_postgres "$SCHEMATA_PGBIN/initdb" -D "$data" -U postgres \
            -A trust -E UTF8 --locale="$locale" --no-sync \
            >"$SCHEMATA_WORK/initdb.log" 2>&1; then
        cat "$SCHEMATA_WORK/initdb.log" >&2
        schemata_die "initdb failed"
    fi
}

schemata_configure() {
    local data=$1 port=$2
    cat >>"$data/postgresql.conf" <<EOF

# ---- added by test/lib/cluster.sh ----
port = $port
listen_addresses = ''
unix_socket_directories = '$SCHEMATA_WORK/sock'
fsync = off
max_prepared_transactions = 2
# the same on every machine (pg_regress sessions still use PGTZ=PST8PDT)
timezone = 'UTC'
lc_messages = 'C'
# SCHEMATA_EXTRA_CONF, for callers such as bench/run.sh (later lines win)
${SCHEMATA_EXTRA_CONF:-}
EOF
}

schemata_start() {
    local -a server_env
    mapfile -t server_env < <(schemata_server_env)
    if ! schemata_as_postgres env "${server_env[@]}" "$SCHEMATA_PGBIN/pg_ctl" -D "$SCHEMATA_WORK/data" \
            -l "$SCHEMATA_WORK/server.log" -w -t 120 -s start; then
        tail -n 50 "$SCHEMATA_WORK/server.log" >&2 || true
        schemata_die "server did not start"
    fi
}

schemata_server_running() {
    [[ -n ${SCHEMATA_WORK:-} && -f $SCHEMATA_WORK/data/postmaster.pid ]]
}

schemata_stop() {
    schemata_server_running || return 0
    schemata_as_postgres "$SCHEMATA_PGBIN/pg_ctl" -D "$SCHEMATA_WORK/data" \
        -m fast -w -t 60 -s stop ||
        schemata_as_postgres "$SCHEMATA_PGBIN/pg_ctl" -D "$SCHEMATA_WORK/data" \
            -m immediate -w -t 30 -s stop
}

# EXIT trap: stop the server, then remove the work dir unless SCHEMATA_KEEP=1.
# Leaves the script's exit status alone.
schemata_teardown() {
    local rc=$?
    set +e
    trap '' INT TERM HUP
    [[ -n ${SCHEMATA_WORK:-} && -d $SCHEMATA_WORK ]] || return "$rc"
    schemata_stop
    if [[ ${SCHEMATA_KEEP:-0} == 1 ]]; then
        schemata_log "kept $SCHEMATA_WORK (server stopped; log: $SCHEMATA_WORK/server.log)"
        schemata_log "restart: runuser -u postgres -- $SCHEMATA_PGBIN/pg_ctl -D $SCHEMATA_WORK/data -l $SCHEMATA_WORK/server.log start"
    else
        rm -rf "$SCHEMATA_WORK"
    fi
    return "$rc"
}

schemata_export_env() {
    local port=$1
    unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGDATA PGPASSWORD PGSSLMODE
    export PGHOST=$SCHEMATA_WORK/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
    export SCHEMATA_WORK SCHEMATA_SRC SCHEMATA_FIXTURES SCHEMATA_TMP SCHEMATA_PGBIN PG_CONFIG
    export PATH=$SCHEMATA_PGBIN:$PATH
}

# ---------------------------------------------------------------- signals

# schemata_run CMD...: run CMD in the background and wait for it. Bash defers
# a trap while a foreground command runs, but `wait` returns at once, so an
# INT/TERM then kills CMD's whole process tree (schemata_on_signal: CMD runs
# in a process group of its own) and the EXIT trap stops the server. CMD's
# stdin is /dev/null. No wall-clock limit: CMD runs until it ends.
schemata_run() {
    local rc=0
    setsid "$@" &
    SCHEMATA_CHILD=$!
    wait "$SCHEMATA_CHILD" || rc=$?
    SCHEMATA_CHILD=
    return "$rc"
}

schemata_on_signal() {
    trap '' INT TERM HUP   # a second signal must not cut the teardown short
    if [[ -n ${SCHEMATA_CHILD:-} ]]; then
        kill -TERM -- "-$SCHEMATA_CHILD" 2>/dev/null || kill -TERM "$SCHEMATA_CHILD" 2>/dev/null || true
    fi
    exit "$1"
}

# schemata_setup [WORKDIR]: WORKDIR must not exist; default mktemp -d /tmp/schemata.XXXXXX.
# shellcheck disable=SC2120  # WORKDIR is optional
schemata_setup() {
    local port
    schemata_require_root || return 1
    id postgres >/dev/null 2>&1 || schemata_die "OS user postgres does not exist (run schemata_install_deps)" || return 1

    SCHEMATA_WORK=$(schemata_make_workdir "${1:-}") || return 1
    trap schemata_teardown EXIT
    trap 'schemata_on_signal 129' HUP
    trap 'schemata_on_signal 130' INT
    trap 'schemata_on_signal 143' TERM
    schemata_log "work dir $SCHEMATA_WORK"

    SCHEMATA_SRC=$SCHEMATA_WORK/src
    SCHEMATA_FIXTURES=$SCHEMATA_SRC/test/fixtures
    SCHEMATA_TMP=$SCHEMATA_WORK/tmp   # scratch space the server can read
    if [[ $SCHEMATA_PG_MAJOR == "$SCHEMATA_DEBIAN_MAJOR" ]]; then
        SCHEMATA_PGBIN=$SCHEMATA_WORK/pg/usr/lib/postgresql/$SCHEMATA_PG_MAJOR/bin
    else
        SCHEMATA_PGBIN=$SCHEMATA_WORK/pg/bin
    fi
    PG_CONFIG=$SCHEMATA_PGBIN/pg_config

    schemata_copy_tree "$SCHEMATA_SRC" || return 1
    mkdir -p "$SCHEMATA_FIXTURES" "$SCHEMATA_WORK/sock" "$SCHEMATA_TMP" || return 1
    if [[ $SCHEMATA_PG_MAJOR == "$SCHEMATA_DEBIAN_MAJOR" ]]; then
        schemata_stage_pg "$SCHEMATA_WORK/pg" || return 1
    else
        schemata_stage_major "$SCHEMATA_PG_MAJOR" "$SCHEMATA_WORK/pg" || return 1
    fi
    schemata_log "PostgreSQL $("$PG_CONFIG" --version) in $SCHEMATA_WORK/pg"
    schemata_build "$SCHEMATA_SRC" "$PG_CONFIG" || return 1
    chown -R postgres: "$SCHEMATA_WORK" || return 1

    port=$(schemata_free_port) || return 1
    schemata_initdb "$SCHEMATA_WORK/data" || return 1
    schemata_configure "$SCHEMATA_WORK/data" "$port" || return 1
    schemata_start || return 1
    schemata_export_env "$port"
    schemata_log "server up: PGHOST=$PGHOST PGPORT=$PGPORT"
}
