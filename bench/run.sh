#!/bin/bash
# bench/run.sh — the schemata benchmark (issue #7).  Run as root from anywhere:
#
#     sudo bench/run.sh                 # N = 1,000 and 10,000, 5 runs each (~15 min)
#     sudo BENCH_QUICK=1 bench/run.sh   # N = 100 and 1,000, 3 runs each (~2 min)
#
# Other knobs: BENCH_NS="1000 5000" (sizes), BENCH_REPS=5, BENCH_PEER_REPS=3,
# BENCH_PEERS=0 (skip dbmate/node-pg-migrate), BENCH_KEEP=1 (keep the work dir),
# BENCH_RESULTS=path (default bench/results/latest.txt).
#
# It installs what it needs (Debian: postgresql-15, postgresql-server-dev-15, gcc,
# make; npm for the peers), builds the extension from this tree into a private copy
# of the PostgreSQL install, starts a throwaway cluster, generates the corpora
# (bench/gen.sh), measures every case, prints the table of medians and writes it to
# BENCH_RESULTS.  It reports; it never fails on a slow result.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "bench/run.sh: run as root (it installs packages and starts a cluster as user postgres)" >&2
    exit 1
fi

SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    NS=(${BENCH_NS:-100 1000}); REPS=${BENCH_REPS:-3}; PEER_REPS=${BENCH_PEER_REPS:-1}
    BOOT_TABLES=100; DIFF_TABLES=200
else
    NS=(${BENCH_NS:-1000 10000}); REPS=${BENCH_REPS:-5}; PEER_REPS=${BENCH_PEER_REPS:-3}
    BOOT_TABLES=500; DIFF_TABLES=1000
fi
MAXN=${NS[${#NS[@]}-1]}
RESULTS=${BENCH_RESULTS:-$SRC/bench/results/latest.txt}
# Locks for one transaction creating MAXN/5 tables (table, primary key, TOAST table
# and index, one more index: ~1 lock per migration) fit with room to spare.
LOCKS=$(( MAXN / 50 > 64 ? MAXN / 50 + 64 : 64 ))

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- build + cluster
# The same set-up as the tests (test/lib/cluster.sh): packages, a build into a
# private copy of PostgreSQL, a throwaway cluster.  Unlike the tests, the
# benchmark keeps PostgreSQL's defaults (fsync on) but for the lock table.
source "$SRC/test/lib/cluster.sh"
PEERS=${BENCH_PEERS:-1}
schemata_install_deps
if [ "$PEERS" = 1 ] && ! command -v npm >/dev/null; then
    log "installing: npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
export SCHEMATA_KEEP=${BENCH_KEEP:-0}
export SCHEMATA_EXTRA_CONF="fsync = on
max_locks_per_transaction = $LOCKS"
schemata_setup
W=$SCHEMATA_WORK
BIN=$SCHEMATA_PGBIN
SOCK=$PGHOST
PORT=$PGPORT
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
q() { "${PSQL[@]}" -At -d "$1" -c "$2"; }

q postgres "CREATE DATABASE bench_template"
q bench_template "CREATE EXTENSION schemata"
# A fresh database, and a checkpoint so every contender starts from the same state
# (after a checkpoint the first change of each page writes a full-page image).
# The previous one is renamed, not dropped: on ext4 without a journal (this
# machine's /tmp) every new file skips and checks the inodes freed in the last
# minutes, so dropping a database of 10,000 relations just before a run made
# each file the run creates cost more, for every contender, growing with N.
# The kept databases (about 3 GB at N = 10,000) go with the cluster at the end.
source "$SRC/bench/lib.sh"	# fresh_db

# ---------------------------------------------------------------- corpora
for n in 100 "${NS[@]}"; do
    [ -d "$W/corpus/$n" ] || "$SRC/bench/gen.sh" "$n" "$W/corpus/$n"
done
chown -R postgres "$W/corpus"

# ---------------------------------------------------------------- peers
DBMATE= NPGM=
if [ "$PEERS" = 1 ]; then
    if (mkdir -p "$W/npm" && cd "$W/npm" &&
        timeout 300 npm install --no-audit --no-fund --loglevel=error dbmate node-pg-migrate pg \
            >"$W/npm.log" 2>&1); then
        DBMATE=$(ls "$W"/npm/node_modules/@dbmate/*/bin/dbmate 2>/dev/null | head -1 || true)
        NPGM=$W/npm/node_modules/.bin/node-pg-migrate
        [ -x "$NPGM" ] || NPGM=
        PEER_VERSIONS="dbmate $("$DBMATE" --version 2>/dev/null | awk '{print $NF}'),"
        PEER_VERSIONS+=" node-pg-migrate $(node -p 'require(process.argv[1]).version' "$W/npm/node_modules/node-pg-migrate/package.json")"
    else
        log "npm registry not reachable (see $W/npm.log): peers skipped"
    fi
fi

# ---------------------------------------------------------------- measuring
# Wall time of one client process, in seconds, from date +%s.%N in this shell.
elapsed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }'
}
# The backend's CPU time (user + system), read from /proc/<pid>/stat at the end of
# the same session: steadier than wall time on a machine shared with other work.
TICK=$(getconf CLK_TCK)
STAT_SQL="SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/stat')"
declare -A TIMES
record() { TIMES["$1|$2"]+="$3 "; }
# measure CASE N PSQL-ARGS...: one psql session doing the work, then reading its stat
measure() {
    local c=$1 n=$2 start end out
    shift 2
    start=$(date +%s.%N)
    out=$("${PSQL[@]}" -At -d bench_run "$@" -c "$STAT_SQL")
    end=$(date +%s.%N)
    record "$c" "$n" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }')"
    record "cpu_$c" "$n" "$(printf '%s\n' "$out" | sed -n 's/^[0-9]* (postgres) //p' |
        awk -v tick="$TICK" '{ printf "%.2f\n", ($12 + $13) / tick }')"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

expect_functions() {	# every contender must have run all N migrations
    local got
    got=$(q bench_run "SELECT count(*) FROM pg_catalog.pg_proc WHERE proname LIKE 't\\_%\\_total'")
    [ "$got" = "$(( $1 / 5 ))" ] || { log "$2 at N=$1 created $got functions, expected $(( $1 / 5 ))"; exit 1; }
}

export PGOPTIONS='-c client_min_messages=warning'
DBMATE_URL="postgres://postgres@:$PORT/bench_run?socket=$SOCK&sslmode=disable"
NPGM_URL="postgresql://postgres@localhost:$PORT/bench_run?host=$SOCK"
run_dbmate() { DATABASE_URL=$DBMATE_URL "$DBMATE" --migrations-dir "$W/corpus/$1/migrations" --no-dump-schema up; }
run_npgm()   { DATABASE_URL=$NPGM_URL "$NPGM" up -m "$W/corpus/$1/npm" --no-check-order; }

# Runs of a second or two vary between runs by more than schemata's cost, so
# sizes up to SMALL_N get SMALL_REPS_FACTOR times the runs.
CASES=(floor psql1 apply)
SMALL_N=1000
SMALL_REPS_FACTOR=3
reps_for() { if [ "$1" -le "$SMALL_N" ]; then echo $(( REPS * SMALL_REPS_FACTOR )); else echo "$REPS"; fi; }

for n in "${NS[@]}"; do
    reps=$(reps_for "$n")
    for rep in $(seq "$reps"); do
        log "N=$n run $rep/$reps"
        # each run starts with another of the three, so that none always
        # follows the same one
        for k in 0 1 2; do
            c=${CASES[$(( (rep - 1 + k) % 3 ))]}
            fresh_db
            case $c in
                floor) measure floor "$n" -f "$W/corpus/$n/floor.sql" ;;
                psql1) measure psql1 "$n" -1 -f "$W/corpus/$n/all.sql" ;;
                apply) measure apply "$n" -c "SELECT count(*) FROM schemata.apply('$W/corpus/$n/migrations')" ;;
            esac
            expect_functions "$n" "$c"
            [ "$c" = apply ] || continue
            # with N applied: the database of this run's apply
            for noop in apply status plan; do
                measure "noop_$noop" "$n" -c "SELECT count(*) FROM schemata.$noop('$W/corpus/$n/migrations')"
            done
        done
        record connect "$n" "$(elapsed q bench_run 'SELECT 1')"
    done
    for rep in $(seq "$PEER_REPS"); do
        if [ -n "$DBMATE" ]; then
            log "N=$n dbmate run $rep/$PEER_REPS"
            fresh_db
            record dbmate "$n" "$(elapsed run_dbmate "$n")"
            expect_functions "$n" dbmate
            record noop_dbmate "$n" "$(elapsed run_dbmate "$n")"
        fi
        if [ -n "$NPGM" ]; then
            log "N=$n node-pg-migrate run $rep/$PEER_REPS"
            fresh_db
            record npgm "$n" "$(elapsed run_npgm "$n")"
            expect_functions "$n" node-pg-migrate
            record noop_npgm "$n" "$(elapsed run_npgm "$n")"
        fi
    done
done

# ---------------------------------------------------------------- memory
# VmHWM of the backend, read from /proc in the same session right after the
# work, and RssShmem: the pages of shared memory (shared buffers, the lock
# table) it has touched, which count in VmHWM and stay mapped, so VmHWM minus
# RssShmem is about the peak of the backend's private memory.
hwm_kb() {	# corpus size, then the psql arguments that do the work
    local n=$1; shift
    fresh_db
    "${PSQL[@]}" -At -d bench_run "$@" \
        -c "SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/status')" |
        awk '/^VmHWM:/ { hwm = $2 } /^RssShmem:/ { shm = $2 } END { print hwm, shm }'
}
declare -A HWM
for n in 100 "$MAXN"; do
    log "memory at N=$n"
    HWM["apply|$n"]=$(hwm_kb "$n" -c "SELECT count(*) FROM schemata.apply('$W/corpus/$n/migrations')")
    HWM["floor|$n"]=$(hwm_kb "$n" -f "$W/corpus/$n/floor.sql")
    HWM["migrate|$n"]=$(hwm_kb "$n" -c "CALL schemata.migrate('$W/corpus/$n/migrations')")
done

# ---------------------------------------------------------------- bootstrap, diff
has_function() { [ "$(q bench_template "SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace WHERE s.nspname = 'schemata' AND p.proname = '$1'")" != 0 ]; }
MODELS_NOTE=
# lint's corpus: migration k builds an index on b_k, adds a column with a
# volatile default and sets a column NOT NULL (each one finding), against the
# catalog of DIFF_TABLES tables that diff's case bootstraps.
lint_dir() {
    [ -d "$W/corpus/lint" ] && return 0
    mkdir -p "$W/corpus/lint"
    awk -v n="$DIFF_TABLES" -v out="$W/corpus/lint" 'BEGIN {
        for (k = 1; k <= n; k++) {
            f = sprintf("%s/%05d_b_%d.sql", out, k, k)
            printf "CREATE INDEX b_%d_qty ON public.b_%d (qty);\n", k, k > f
            printf "ALTER TABLE public.b_%d ADD COLUMN token uuid DEFAULT gen_random_uuid();\n", k > f
            printf "ALTER TABLE public.b_%d ALTER COLUMN c6 SET NOT NULL;\n", k > f
            close(f)
        }
    }'
    chown -R postgres: "$W/corpus/lint"
}
if has_function bootstrap && has_function diff; then
    "$SRC/bench/gen_models.sh" "$BOOT_TABLES" 5 "$W/models/boot"
    "$SRC/bench/gen_models.sh" "$DIFF_TABLES" 10 "$W/models/diff"
    chown -R postgres "$W/models"
    for rep in $(seq "$REPS"); do
        log "bootstrap/diff run $rep/$REPS"
        fresh_db
        measure boot_ddl "$BOOT_TABLES" -1 -f "$W/models/boot/ddl.sql"
        fresh_db
        measure bootstrap "$BOOT_TABLES" -c "SELECT count(*) FROM schemata.bootstrap(pg_catalog.pg_read_file('$W/models/boot/models.json')::jsonb, extensions => '{}')"
        [ "$(q bench_run "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename LIKE 'b\\_%'")" = "$BOOT_TABLES" ] ||
            { log "bootstrap did not create $BOOT_TABLES tables"; exit 1; }
        fresh_db
        # the catalog in sync with the models: what bootstrap made of them
        q bench_run "SELECT count(*) FROM schemata.bootstrap(pg_catalog.pg_read_file('$W/models/diff/models.json')::jsonb, extensions => '{}')" >/dev/null
        steps=$(q bench_run "SELECT count(*) FROM schemata.diff(pg_catalog.pg_read_file('$W/models/diff/models.json')::jsonb)")
        [ "$steps" = 0 ] || MODELS_NOTE="diff of the in-sync catalog returned $steps steps (expected 0)"
        measure diff "$DIFF_TABLES" -c "SELECT count(*) FROM schemata.diff(pg_catalog.pg_read_file('$W/models/diff/models.json')::jsonb)"
        # lint: one pending migration per table of that catalog, three findings each
        if has_function lint; then
            lint_dir
            measure lint "$DIFF_TABLES" -c "SELECT count(*) FROM schemata.lint('$W/corpus/lint')"
        fi
    done
else
    MODELS_NOTE="skipped: schemata.bootstrap / schemata.diff are not in this build"
fi

# ---------------------------------------------------------------- report
get() { printf '%s' "${TIMES["$1|$2"]:-}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
# pratio CASE FLOOR N: the median over runs of each run's CASE / its own FLOOR.
# A slow spell of the machine slows both of a pair, where it moves the medians
# of the cases taken apart by different amounts.
pratio() {
    paste -d' ' <(printf '%s' "${TIMES["$1|$3"]:-}" | tr ' ' '\n' | grep .) \
                <(printf '%s' "${TIMES["$2|$3"]:-}" | tr ' ' '\n' | grep .) |
        awk 'NF == 2 && $2 > 0 { printf "%s ", $1 / $2 }' | median |
        awk '{ if ($1 == "-") print "-"; else printf "%.2f\n", $1 }'
}
prrow() { printf '%-44s %7s %9s %9s\n' "$1" "$4" "$(pratio "$2" "$3" "$4")" "$(pratio "cpu_$2" "cpu_$3" "$4")"; }
row() { printf '%-44s %7s %9s %9s %9s %9s\n' "$@"; }
# row for a psql case: label, case, N, floor wall, floor cpu
prow() { row "$1" "$3" "$(get "$2" "$3")" "$(ratio "$(get "$2" "$3")" "$4")" "$(get "cpu_$2" "$3")" "$(ratio "$(get "cpu_$2" "$3")" "$5")"; }
{
    echo "schemata benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine: $(nproc) cores, $(awk '/^model name/ { $1 = $2 = $3 = ""; print substr($0, 4); exit }' /proc/cpuinfo),"\
         "$(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM; $(q postgres 'SHOW server_version')"
    echo "cluster: PostgreSQL defaults (fsync on) except max_locks_per_transaction = $LOCKS, for every contender"
    echo "         (one transaction creating N/5 tables needs ~N locks; the default 64 fails near N = 6,400)"
    echo "timing:  wall = one client process timed in the shell (date +%s.%N), cpu = user+system time of"
    echo "         its backend (/proc/<pid>/stat, read at the end of the same session; 1/$TICK s ticks);"
    echo "         median of $REPS runs, $(( REPS * SMALL_REPS_FACTOR )) for N <= $SMALL_N (peers: $PEER_REPS, wall only); each apply-like run on a fresh database;"
    echo "         cases 1-3 in turn, each run starting with the next of them"
    echo "         psql connection start alone: $(get connect "${NS[0]}") s (included in every psql row)"
    [ -n "$DBMATE$NPGM" ] && echo "peers:   ${PEER_VERSIONS:-}, installed from npm; each migration in its own transaction (their default)"
    echo
    row "case" "N" "wall s" "x floor" "cpu s" "x floor"
    row "----" "-" "------" "-------" "-----" "-------"
    for n in "${NS[@]}"; do
        floor=$(get floor "$n"); cfloor=$(get cpu_floor "$n")
        prow "1 floor: psql, one message, one transaction" floor "$n" "$floor" "$cfloor"
        prow "2 psql -1 -f (concatenated files)" psql1 "$n" "$floor" "$cfloor"
        prow "3 schemata.apply(dir)" apply "$n" "$floor" "$cfloor"
        prow "4 no-op schemata.apply(dir), N applied" noop_apply "$n" "-" "-"
        prow "4 schemata.status(dir), N applied" noop_status "$n" "-" "-"
        prow "4 schemata.plan(dir), N applied" noop_plan "$n" "-" "-"
        if [ -n "$DBMATE" ]; then
            row "7 dbmate up" "$n" "$(get dbmate "$n")" "$(ratio "$(get dbmate "$n")" "$floor")"
            row "7 dbmate up, no-op (N applied)" "$n" "$(get noop_dbmate "$n")" ""
        fi
        if [ -n "$NPGM" ]; then
            row "7 node-pg-migrate up" "$n" "$(get npgm "$n")" "$(ratio "$(get npgm "$n")" "$floor")"
            row "7 node-pg-migrate up, no-op (N applied)" "$n" "$(get noop_npgm "$n")" ""
        fi
    done
    [ -z "$DBMATE$NPGM" ] && echo "7 peers: skipped (BENCH_PEERS=0 or npm registry not reachable)"
    echo
    printf '%-44s %7s %9s %9s\n' "paired: median of each run's x its own floor" "N" "wall" "cpu"
    for n in "${NS[@]}"; do
        prrow "  2 psql -1 -f (concatenated files)" psql1 floor "$n"
        prrow "  3 schemata.apply(dir)" apply floor "$n"
    done
    if [ "$(get bootstrap "$BOOT_TABLES")" != "-" ]; then
        prrow "  6 schemata.bootstrap(models) (tables)" bootstrap boot_ddl "$BOOT_TABLES"
    fi
    echo
    printf '%-44s %7s %9s %9s %9s %9s %9s\n' "5 backend peak memory (VmHWM)" "N" "kB" "x N=100" \
        "shared kB" "private" "x N=100"
    declare -A WHO=([apply]='schemata.apply(dir)' [floor]='floor (same SQL, one message)'
                    [migrate]='CALL schemata.migrate(dir)')
    for who in apply floor migrate; do
        read -r base_hwm base_shm <<<"${HWM["$who|100"]}"
        for n in 100 "$MAXN"; do
            read -r hwm shm <<<"${HWM["$who|$n"]}"
            printf '%-44s %7s %9s %9s %9s %9s %9s\n' \
                "  ${WHO[$who]}" \
                "$n" "$hwm" "$(ratio "$hwm" "$base_hwm")" "$shm" "$((hwm - shm))" \
                "$(ratio "$((hwm - shm))" "$((base_hwm - base_shm))")"
        done
    done
    # what apply holds beyond what the same SQL costs PostgreSQL: schemata's own
    read -r base_hwm base_shm <<<"${HWM["apply|100"]}"
    read -r floor_hwm floor_shm <<<"${HWM["floor|100"]}"
    base_own=$((base_hwm - floor_hwm)); base_own_private=$((base_hwm - base_shm - floor_hwm + floor_shm))
    for n in 100 "$MAXN"; do
        read -r hwm shm <<<"${HWM["apply|$n"]}"
        read -r floor_hwm floor_shm <<<"${HWM["floor|$n"]}"
        printf '%-44s %7s %9s %9s %9s %9s %9s\n' "  apply minus floor (schemata's own)" "$n" \
            "$((hwm - floor_hwm))" "$(ratio "$((hwm - floor_hwm))" "$base_own")" "$((shm - floor_shm))" \
            "$((hwm - shm - floor_hwm + floor_shm))" \
            "$(ratio "$((hwm - shm - floor_hwm + floor_shm))" "$base_own_private")"
    done
    echo
    if [ "$(get bootstrap "$BOOT_TABLES")" != "-" ]; then
        bfloor=$(get boot_ddl "$BOOT_TABLES"); cbfloor=$(get cpu_boot_ddl "$BOOT_TABLES")
        prow "6 same DDL via psql -1 -f (tables)" boot_ddl "$BOOT_TABLES" "$bfloor" "$cbfloor"
        prow "6 schemata.bootstrap(models) (tables)" bootstrap "$BOOT_TABLES" "$bfloor" "$cbfloor"
        prow "6 schemata.diff, in sync (tables x 10 cols)" diff "$DIFF_TABLES" "-" "-"
        prow "6 schemata.lint, as many migrations x tables" lint "$DIFF_TABLES" "-" "-"
    fi
    [ -n "$MODELS_NOTE" ] && echo "6 bootstrap/diff: $MODELS_NOTE"
} >"$W/report.txt"

mkdir -p "$(dirname "$RESULTS")"
cp "$W/report.txt" "$RESULTS"
cat "$W/report.txt"
echo
echo "written to $RESULTS"
