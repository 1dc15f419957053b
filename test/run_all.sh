#!/usr/bin/env bash
# test/run_all.sh -- the test command (run as root: sudo ./test/run_all.sh).
#
# Installs what a fresh Debian 12 lacks, and for each PostgreSQL major of the
# matrix (SCHEMATA_PG_MAJORS: Debian 12's 15, and 13, 17 and 18 staged from
# npm and Debian's archive by test/lib/majors.sh) builds schemata with -Werror
# into a private installation, starts a throwaway cluster
# (test/lib/cluster.sh), then runs:
#   1. pg_regress tests  (REGRESS in the Makefile; sql/ + expected/)
#   2. isolation tests   (ISOLATION in the Makefile; test/specs + test/expected)
#      both by `make installcheck` as user postgres, as a packager runs them
#      against a stock server (README.md, "Tests")
#   3. shell tests       (test/shell/*.sh in name order, each run as `bash FILE`
#                         from the copied tree; exit 0 = pass, 77 = skipped
#                         here, with the reason printed)
#   4. TAP tests         (t/*.pl, TAP_TESTS in the Makefile: make installcheck's
#                         prove step, as user postgres, each test with
#                         clusters of its own on PostgreSQL::Test::Cluster;
#                         counted per file: ok, skipped with the reason
#                         printed, or failed)
# Suites of 15 carry no prefix, those of the other majors "pgNN/".
# Nothing runs under a wall-clock limit: a busy machine makes the run longer,
# never fails it (the tests bound their waits by their own handshakes; the
# outer bound is the caller's, e.g. CI's job timeout).
# The last line of output is always "N passed, N failed, N skipped". Exit
# status is non-zero if anything failed or nothing ran.
#
# Options: --regress-only, --isolation-only, --shell-only, --tap-only
# (combinable).
# Environment:
#   SCHEMATA_KEEP=1          keep the work dir (cluster, results/, diffs, logs)
#   SCHEMATA_SHELL_TESTS     which shell tests, a glob without ".sh"
#                            (default *: all; e.g. 6* or 41_nontransactional_worker)
#                            (default 3600: a guard against a hang)
#   SCHEMATA_TAP_TESTS       which TAP tests, a glob without ".pl" (default
#                            *: all; e.g. 002_crash_mid_apply)
#   SCHEMATA_PG_MAJORS       the majors of the plain pass (default
#                            "13 15 17 18")
#   SCHEMATA_PG_CACHE        where the other majors are kept once fetched
#                            (default /var/cache/schemata-pg)
#   SCHEMATA_SANITIZE        unset: the plain pass on every major, then the
#                            suites on 15 with schemata built with
#                            AddressSanitizer and UBSan (suite names prefixed
#                            "sanitize/", plus a canary that must be reported
#                            and a check that the server log holds no other
#                            sanitizer report); 0: plain passes only; 1:
#                            sanitized pass only
#   reliability knobs (test/shell/8*): see "Reliability suite" in doc/tests.md
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/lib/cluster.sh
source "$REPO/test/lib/cluster.sh"

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

RUN_REGRESS=0 RUN_ISOLATION=0 RUN_SHELL=0 RUN_TAP=0
for arg in "$@"; do
    case $arg in
        --regress-only)   RUN_REGRESS=1 ;;
        --isolation-only) RUN_ISOLATION=1 ;;
        --shell-only)     RUN_SHELL=1 ;;
        --tap-only)       RUN_TAP=1 ;;
        -h|--help)        usage; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done
if (( RUN_REGRESS + RUN_ISOLATION + RUN_SHELL + RUN_TAP == 0 )); then
    RUN_REGRESS=1 RUN_ISOLATION=1 RUN_SHELL=1 RUN_TAP=1
fi

# Each suite appends "SUITE PASSED FAILED [SKIPPED]" here; read after the
# cluster is gone.
COUNTS=$(mktemp /tmp/schemata-counts.XXXXXX)
trap 'rm -f "$COUNTS"' EXIT

record() {
    echo "${PASS_PREFIX:-}$1 $2 $3 ${4:-0}" >>"$COUNTS"
}

banner() {
    printf '\n==== %s ====\n' "$*"
}

# Counts result lines of pg_regress / pg_isolation_regress output: PG 15
# prints "test NAME ... ok|FAILED", PG 16+ prints TAP "ok N - NAME" / "not ok N".
count_pg_regress() {
    local log=$1 passed failed
    passed=$(grep -cE '\.\.\. ok( |$)|^ok [0-9]+ ' "$log" || true)
    failed=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+ ' "$log" || true)
    echo "$passed $failed"
}

# run_pg_suite NAME DIFFS_FILE MAKE_VARS...: one `make installcheck` run, as
# README's "Tests" shows a packager running it (MAKE_VARS only empty REGRESS
# or ISOLATION, to count the suites apart), as user postgres, whom the copied
# tree belongs to; output to the terminal and to $SCHEMATA_WORK/NAME.log.
run_pg_suite() {
    local name=$1 diffs=$2 log rc=0 passed failed
    shift 2
    log=$SCHEMATA_WORK/$name.log
    banner "$name tests"
    # shellcheck disable=SC2016  # $1/$@ expand in the inner bash
    schemata_run bash -c 'set -o pipefail; log=$1; shift; "$@" 2>&1 | tee "$log"' _ \
        "$log" runuser -u postgres -- env PATH="$PATH" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" \
        make -C "$SCHEMATA_SRC" -s --no-print-directory installcheck \
        PG_CONFIG="$PG_CONFIG" "$@" || rc=$?
    read -r passed failed < <(count_pg_regress "$log")
    if (( rc != 0 && failed == 0 )); then
        echo "$name: make installcheck exited $rc without a failed test line; counted as 1 failure"
        failed=1
    fi
    if (( rc != 0 )) && [[ -s $diffs ]]; then
        banner "$name diffs ($diffs)"
        cat "$diffs"
    fi
    record "$name" "$passed" "$failed"
}

run_regress() {
    run_pg_suite regress "$SCHEMATA_SRC/regression.diffs" ISOLATION= TAP_TESTS=
}

# The isolation tester of a staged major needs that major's libpq (17 and
# later call functions that Debian 12's libpq lacks); Debian 15's, linked in
# where the package has none (13: test/lib/majors.sh), keeps Debian's.
run_isolation() {
    local libs= tester=$SCHEMATA_WORK/pg/lib/postgresql/pgxs/src/test/isolation/isolationtester
    if [[ $SCHEMATA_PG_MAJOR != "$SCHEMATA_DEBIAN_MAJOR" && ! -L $tester ]]; then
        libs=$SCHEMATA_WORK/pg/lib
    fi
    LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
        run_pg_suite isolation "$SCHEMATA_SRC/output_iso/regression.diffs" REGRESS= TAP_TESTS=
}

# The layout check: tools/pgindent.sh check (make indentcheck) on the copied
# tree's src/, one check counted as "indent"; it lists the files pgindent
# would change, with the diff. It runs in the plain pass of 15 only, with
# --regress-only or the whole suite: the layout is the same on every major.
run_indentcheck() {
    banner "indent check (tools/pgindent.sh check)"
    if (cd "$SCHEMATA_SRC" && tools/pgindent.sh check); then
        record indent 1 0
    else
        record indent 0 1
    fi
}

# The layer check: tools/layers.py (make layercheck) prints which file of src/
# calls which and fails on files that call each other in a circle; counted as
# "layers", next to the indent check.
run_layercheck() {
    banner "layer check (tools/layers.py)"
    if python3 "$SCHEMATA_SRC/tools/layers.py" "$SCHEMATA_SRC/src"; then
        record layers 1 0
    else
        record layers 0 1
    fi
}

# A shell test that exits 77 (skip in test/lib/shell.sh) cannot run on this
# cluster, and says why; it is counted as skipped.
run_shell_tests() {
    local passed=0 failed=0 skipped=0 t name rc
    local -a tests
    banner "shell tests"
    mapfile -t tests < <(compgen -G "$SCHEMATA_SRC/test/shell/${SCHEMATA_SHELL_TESTS:-*}.sh" | LC_ALL=C sort || true)
    for t in "${tests[@]}"; do
        name=$(basename "$t")
        echo "--- $name"
        rc=0 started=$SECONDS
        schemata_run env -C "$SCHEMATA_SRC" bash "$t" 2>&1 || rc=$?
        if (( rc == 0 )); then
            echo "ok     $name ($((SECONDS - started)) s)"
            passed=$((passed + 1))
        elif (( rc == 77 )); then
            echo "skip   $name"
            skipped=$((skipped + 1))
        else
            echo "FAILED $name (exit $rc, $((SECONDS - started)) s)"
            failed=$((failed + 1))
        fi
    done
    echo "shell: $passed passed, $failed failed, $skipped skipped"
    record shell "$passed" "$failed" "$skipped"
}

# The TAP tests run through make installcheck's prove step (TAP_TESTS), as
# user postgres: initdb refuses root. Every major uses Debian 15's
# PostgreSQL::Test modules (the PGXS of the majors staged from npm has TAP
# switched off and no modules; 15's drive 13's, 17's and 18's binaries), and
# the binaries of the private install, schemata's build included, come first
# in PATH. In the sanitized pass their servers get the ASan preload
# (SCHEMATA_TAP_SERVER_ENV, read by t/SchemataTAP.pm).
SCHEMATA_TAP_MODULES=/usr/lib/postgresql/$SCHEMATA_DEBIAN_MAJOR/lib/pgxs/src/test/perl

# count_tap LOG COUNT: "PASSED FAILED SKIPPED" from prove's line per file.
count_tap() {
    local log=$1 count=$2 passed skipped
    passed=$(grep -cE '^t/[^ ]+\.pl \.+ ok$' "$log" || true)
    skipped=$(grep -cE '^t/[^ ]+\.pl \.+ skipped' "$log" || true)
    echo "$passed $((count - passed - skipped)) $skipped"
}

run_tap_tests() {
    local log=$SCHEMATA_WORK/tap.log rc=0 passed failed skipped f
    local server_env
    local -a tests
    banner "TAP tests"
    mapfile -t tests < <(compgen -G "$SCHEMATA_SRC/t/${SCHEMATA_TAP_TESTS:-*}.pl" | LC_ALL=C sort || true)
    if (( ${#tests[@]} == 0 )); then
        echo "tap: no test matches t/${SCHEMATA_TAP_TESTS:-*}.pl"
        return 0
    fi
    tests=("${tests[@]#"$SCHEMATA_SRC/"}")
    server_env=$(schemata_server_env)
    # shellcheck disable=SC2016  # $1/$@ expand in the inner bash
    schemata_run bash -c 'set -o pipefail; log=$1; shift; cd "$SCHEMATA_WORK" && "$@" 2>&1 | tee "$log"' _ \
        "$log" runuser -u postgres -- env SCHEMATA_TAP_SERVER_ENV="$server_env" \
        make -C "$SCHEMATA_SRC" -s --no-print-directory installcheck REGRESS= ISOLATION= \
        PG_CONFIG="$PG_CONFIG" enable_tap_tests=yes PROVE=prove \
        PG_PROVE_FLAGS="-I $SCHEMATA_TAP_MODULES -I ." PROVE_TESTS="${tests[*]}" || rc=$?
    read -r passed failed skipped < <(count_tap "$log" "${#tests[@]}")
    if (( rc != 0 && failed == 0 )); then
        echo "tap: make installcheck exited $rc with every test ok or skipped; counted as 1 failure"
        failed=1
    fi
    if (( failed > 0 )); then
        for f in "$SCHEMATA_SRC"/tmp_check/log/regress_log_*; do
            [[ -f $f ]] || continue
            banner "last 60 lines of $f"
            tail -n 60 "$f"
        done
    fi
    echo "tap: $passed passed, $failed failed, $skipped skipped"
    record tap "$passed" "$failed" "$skipped"
}

show_server_log_on_failure() {
    # a record is "NAME PASSED FAILED SKIPPED": show the log when FAILED > 0
    awk -v prefix="${PASS_PREFIX:-}" 'index($1, prefix) == 1 && $3 > 0 { found = 1 }
        END { exit !found }' "$COUNTS" || return 0
    [[ -s $SCHEMATA_WORK/server.log ]] || return 0
    banner "server log (last 40 lines of $SCHEMATA_WORK/server.log)"
    tail -n 40 "$SCHEMATA_WORK/server.log"
}

# After the suites of the sanitized pass: the canary must be reported and
# found; then, with the server stopped (a report may come at shutdown), the
# log outside the canary's part must hold no report.
check_sanitizers() {
    banner "sanitizer canary"
    if schemata_sanitizer_canary; then
        record sanitizer-canary 1 0
    else
        record sanitizer-canary 0 1
    fi
    schemata_stop
    banner "sanitizer reports in the server log"
    if schemata_sanitizer_reports 0 "$SCHEMATA_CANARY_FROM" &&
       schemata_sanitizer_reports "$SCHEMATA_CANARY_TO"; then
        echo "none"
        record server-log 1 0
    else
        record server-log 0 1
    fi
}

run_suites() {
    schemata_install_deps
    schemata_setup
    if (( RUN_REGRESS )); then run_regress; fi
    if (( RUN_REGRESS )) && [[ ${SCHEMATA_SANITIZE:-0} == 0 &&
                               $SCHEMATA_PG_MAJOR == "$SCHEMATA_DEBIAN_MAJOR" ]]; then
        run_indentcheck
        run_layercheck
    fi
    if (( RUN_ISOLATION )); then run_isolation; fi
    if (( RUN_SHELL )); then run_shell_tests; fi
    if (( RUN_TAP )); then run_tap_tests; fi
    if [[ ${SCHEMATA_SANITIZE:-0} == 1 ]]; then check_sanitizers; fi
    show_server_log_on_failure
}

# run_pass SANITIZE PREFIX MAJOR: the suites once, on a cluster of MAJOR of
# their own. They run in a subshell whose EXIT trap stops the cluster, so the
# summary below really is the last line. It runs in the background so that
# an INT/TERM here is passed on at once (its trap kills the running test and
# stops the server); then we wait for it to finish cleaning up.
setup_failures=()
run_pass() {
    local suites rc started=$SECONDS
    banner "PostgreSQL $3${2:+, suites $2}"
    (set -e; export SCHEMATA_SANITIZE=$1 PASS_PREFIX=$2 SCHEMATA_PG_MAJOR=$3; run_suites) &
    suites=$!
    trap 'kill -TERM "$suites" 2>/dev/null || true; interrupted=1' HUP INT TERM
    while :; do
        wait "$suites" && rc=0 || rc=$?
        kill -0 "$suites" 2>/dev/null || break
    done
    trap - HUP INT TERM
    echo "PostgreSQL $3${2:+ ($2)}: $((SECONDS - started)) s"
    if (( rc != 0 )); then
        setup_failures+=("${2}setup or harness failed (exit $rc); see the output above")
    fi
}

# The plain pass runs on every major of the matrix, in the order given,
# Debian 12's own (15) with no prefix; the others' suites are named pgNN/.
# The sanitized pass runs on 15.
run_plain_passes() {
    local major
    for major in $SCHEMATA_PG_MAJORS; do
        (( interrupted )) && return
        if [[ $major == "$SCHEMATA_DEBIAN_MAJOR" ]]; then
            run_pass 0 "" "$major"
        else
            run_pass 0 "pg$major/" "$major"
        fi
    done
}

SCHEMATA_PG_MAJORS=${SCHEMATA_PG_MAJORS:-13 $SCHEMATA_DEBIAN_MAJOR 17 18}
interrupted=0
case ${SCHEMATA_SANITIZE:-} in
    0) run_plain_passes ;;
    1) run_pass 1 sanitize/ "$SCHEMATA_DEBIAN_MAJOR" ;;
    *) run_plain_passes
       if (( ! interrupted )); then
           banner "second pass: schemata built with sanitizers"
           run_pass 1 sanitize/ "$SCHEMATA_DEBIAN_MAJOR"
       fi ;;
esac

total_passed=0 total_failed=0 total_skipped=0
echo
while read -r suite passed failed skipped; do
    echo "$suite: $passed passed, $failed failed, $skipped skipped"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
done <"$COUNTS"
for message in "${setup_failures[@]}"; do
    echo "$message"
    total_failed=$((total_failed + 1))
done
if (( total_passed + total_failed == 0 )); then
    echo "no tests ran"
fi

echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
(( total_failed == 0 && total_passed > 0 ))
