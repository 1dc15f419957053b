#!/bin/bash
# bench/fastpath.sh — what a fast path is worth: the same cases run by builds of
# this tree with and without it, in turn, on one cluster (issue 21).  As root:
#
#     bench/fastpath.sh name=patch ...     # each patch (-p1, against this tree)
#                                          # makes one more build, "name"
#
# The build of the tree as it is is "base".  A name may also be given as
# name=guc:SETTING=VALUE: the base build with that setting (PGOPTIONS).
# Cases (FP_CASES, default "apply noop migrate"):
#   apply    schemata.apply(dir) of FP_APPLY_N migrations (default 2000), each
#            run on a fresh database: wall and backend cpu (user+system) seconds
#   noop     with FP_NOOP_N (default 10000) applied: apply, status and plan, each
#            FP_CALLS (default 5) times in one session after one call to warm
#            it, ms per call (clock_timestamp() in the session)
#   migrate  CALL schemata.migrate(dir) of FP_MIGRATE_N (default 2000) on a fresh
#            database: wall and cpu seconds, peak private memory (VmHWM minus
#            RssShmem, kB)
# FP_REPS runs of each case (default 5), the builds in turn, each run starting
# with the next build.  Prints, per case and build, the median and the range
# (min-max) of the runs, and the median over runs of each run's figure over
# base's figure in the same run (x base).  FP_RESULTS=path also writes it there.
# The corpus is bench/gen.sh's.  A build is switched by renaming its
# schemata.so into the private install: each psql session is a new backend,
# which loads the file in place then.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "bench/fastpath.sh: run as root" >&2
    exit 1
fi
SRC=$(cd "$(dirname "$0")/.." && pwd)
CASES=(${FP_CASES:-apply noop migrate})
REPS=${FP_REPS:-5}
APPLY_N=${FP_APPLY_N:-2000}
NOOP_N=${FP_NOOP_N:-10000}
MIGRATE_N=${FP_MIGRATE_N:-2000}
CALLS=${FP_CALLS:-5}
log() { printf '%s\n' "$*" >&2; }

MAXN=$(printf '%s\n' "$APPLY_N" "$NOOP_N" "$MIGRATE_N" | sort -n | tail -1)
LOCKS=$(( MAXN / 50 > 64 ? MAXN / 50 + 64 : 64 ))
source "$SRC/test/lib/cluster.sh"
schemata_install_deps
export SCHEMATA_KEEP=0
export SCHEMATA_EXTRA_CONF="fsync = on
max_locks_per_transaction = $LOCKS"
schemata_setup
W=$SCHEMATA_WORK
BIN=$SCHEMATA_PGBIN
PKGLIB=$("$PG_CONFIG" --pkglibdir)
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
q() { "${PSQL[@]}" -At -d "$1" -c "$2"; }

# ---------------------------------------------------------------- builds
mkdir -p "$W/so"
cp "$PKGLIB/schemata.so" "$W/so/base.so"
BUILDS=(base)
declare -A GUC=([base]=)
for spec in "$@"; do
    name=${spec%%=*}
    what=${spec#*=}
    BUILDS+=("$name")
    if [[ $what == guc:* ]]; then
        GUC[$name]="-c ${what#guc:}"
        cp "$W/so/base.so" "$W/so/$name.so"
        continue
    fi
    GUC[$name]=
    log "building $name ($what)"
    schemata_copy_tree "$W/build_$name"
    patch -s -d "$W/build_$name" -p1 <"$what"
    make -C "$W/build_$name" -s -j2 PG_CONFIG="$PG_CONFIG" COPT=-Werror
    cp "$W/build_$name/schemata.so" "$W/so/$name.so"
done
use_build() {
    cp "$W/so/$1.so" "$PKGLIB/.schemata.so.new"
    mv "$PKGLIB/.schemata.so.new" "$PKGLIB/schemata.so"
    export PGOPTIONS="-c client_min_messages=warning ${GUC[$1]}"
}

# ---------------------------------------------------------------- corpora
for n in $(printf '%s\n' "$APPLY_N" "$NOOP_N" "$MIGRATE_N" | sort -un); do
    "$SRC/bench/gen.sh" "$n" "$W/corpus/$n"
done
chown -R postgres "$W/corpus"
q postgres "CREATE DATABASE bench_template"
q bench_template "CREATE EXTENSION schemata"
source "$SRC/bench/lib.sh"	# fresh_db

# ---------------------------------------------------------------- measuring
TICK=$(getconf CLK_TCK)
STAT_SQL="SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/stat')"
MEM_SQL="SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/status')"
declare -A TIMES
record() { TIMES["$1|$2"]+="$3 "; }
cpu_of() { sed -n 's/^[0-9]* (postgres) //p' | awk -v tick="$TICK" '{ printf "%.2f\n", ($12 + $13) / tick }'; }
# run_session CASE BUILD SQL: one session doing SQL; wall, cpu and private peak memory
run_session() {
    local c=$1 b=$2 start end out
    start=$(date +%s.%N)
    out=$("${PSQL[@]}" -At -d bench_run -c "$3" -c "$STAT_SQL" -c "$MEM_SQL")
    end=$(date +%s.%N)
    record "$c wall s" "$b" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }')"
    record "$c cpu s" "$b" "$(printf '%s\n' "$out" | cpu_of)"
    record "$c private kB" "$b" "$(printf '%s\n' "$out" |
        awk '/^VmHWM:/ { hwm = $2 } /^RssShmem:/ { shm = $2 } END { print hwm - shm }')"
}
# ms per call of SQL, CALLS calls in one session after one to warm it
per_call_ms() {
    "${PSQL[@]}" -At -d bench_run -c "SELECT $1" -c "DO \$\$
        DECLARE t0 timestamptz := pg_catalog.clock_timestamp();
        BEGIN
            FOR i IN 1..$CALLS LOOP PERFORM $1; END LOOP;
            RAISE WARNING 'ms %', pg_catalog.round((extract(epoch FROM pg_catalog.clock_timestamp() - t0)
                                                   * 1000 / $CALLS)::numeric, 2);
        END \$\$" 2>&1 >/dev/null | sed -n 's/.*WARNING:  ms //p'
}
expect_applied() {
    local got
    got=$(q bench_run "SELECT count(*) FROM schemata.migrations")
    [ "$got" = "$1" ] || { log "$2: $got migrations recorded, expected $1"; exit 1; }
}
in_turn() {	# the builds, starting with the rep-th
    local rep=$1 k
    for k in $(seq 0 $(( ${#BUILDS[@]} - 1 ))); do
        echo "${BUILDS[$(( (rep - 1 + k) % ${#BUILDS[@]} ))]}"
    done
}

for c in "${CASES[@]}"; do
    if [ "$c" = noop ]; then
        fresh_db
        use_build base
        q bench_run "SELECT count(*) FROM schemata.apply('$W/corpus/$NOOP_N/migrations')" >/dev/null
        expect_applied "$NOOP_N" "noop set-up"
        sleep 3	# stamps are recorded once 2 s old: the next apply records them
        q bench_run "SELECT count(*) FROM schemata.apply('$W/corpus/$NOOP_N/migrations')" >/dev/null
    fi
    for rep in $(seq "$REPS"); do
        for b in $(in_turn "$rep"); do
            log "$c: run $rep/$REPS, $b"
            use_build "$b"
            case $c in
                apply)
                    fresh_db
                    run_session apply "$b" "SELECT count(*) FROM schemata.apply('$W/corpus/$APPLY_N/migrations')"
                    expect_applied "$APPLY_N" "apply by $b" ;;
                migrate)
                    fresh_db
                    run_session migrate "$b" "CALL schemata.migrate('$W/corpus/$MIGRATE_N/migrations')"
                    expect_applied "$MIGRATE_N" "migrate by $b" ;;
                noop)
                    for f in apply status plan; do
                        record "noop $f ms" "$b" "$(per_call_ms "count(*) FROM schemata.$f('$W/corpus/$NOOP_N/migrations')")"
                    done ;;
            esac
        done
    done
done

# ---------------------------------------------------------------- report
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
paired() {	# median over runs of run i's figure of build $2 over base's
    paste -d' ' <(printf '%s' "${TIMES["$1|$2"]}" | tr ' ' '\n' | grep .) \
                <(printf '%s' "${TIMES["$1|base"]}" | tr ' ' '\n' | grep .) |
        awk 'NF == 2 && $2 > 0 { printf "%s ", $1 / $2 }' | median | awk '{ printf "%.2f\n", $1 }'
}
{
    echo "schemata fast paths — $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine: $(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg); $(q postgres 'SHOW server_version')"
    echo "builds: ${BUILDS[*]}  ($*)"
    echo "$REPS runs, builds in turn; apply N = $APPLY_N, noop N = $NOOP_N ($CALLS calls a run), migrate N = $MIGRATE_N"
    echo
    printf '%-22s %-10s %10s %21s %8s\n' "figure" "build" "median" "range" "x base"
    for key in "apply wall s" "apply cpu s" "noop apply ms" "noop status ms" "noop plan ms" \
               "migrate wall s" "migrate cpu s" "migrate private kB"; do
        for b in "${BUILDS[@]}"; do
            [ -n "${TIMES["$key|$b"]:-}" ] || continue
            printf '%-22s %-10s %10s %21s %8s\n' "$key" "$b" \
                "$(printf '%s' "${TIMES["$key|$b"]}" | median)" \
                "$(printf '%s' "${TIMES["$key|$b"]}" | range)" "$(paired "$key" "$b")"
        done
    done
} >"$W/report.txt"
[ -n "${FP_RESULTS:-}" ] && cp "$W/report.txt" "$FP_RESULTS"
cat "$W/report.txt"
