#!/usr/bin/env bash
# The figures of the reliability tests (test/shell/8*), gathered from
# $SCHEMATA_TMP/reliability/*.figures, checked, and a last look at the whole
# server log.  Fails when a test left no figures, when a figure that must be
# 0 is not (crashes, changes after error, half-applied successes, history
# edited by a migration, settings
# changed, XX000, hangs, failed transactions,
# deadlocks), when any backend died by a signal (the crash test,
# t/002_crash_mid_apply.pl, kills backends of a cluster of its own and
# checks that cluster's log itself), or when a sanitizer reported anything.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"
# shellcheck source=test/lib/cluster.sh
source "$(dirname "$0")/../lib/cluster.sh"   # schemata_sanitizer_reports

figures=$SCHEMATA_TMP/reliability
echo "==== reliability figures ===="
for name in fuzz_dirs fuzz_models concurrency_load; do
    f=$figures/$name.figures
    [[ -f $f ]] || fail "no figures from $name: its test did not run to its end"
    echo "$name:"
    awk '$1 == "sqlstate" { states = states sep $2 " " $3; sep = ", "; next }
         { printf "  %-22s %s\n", $1, $2 }
         END { if (states != "") printf "  %-22s %s\n", "outcomes by SQLSTATE", states }' "$f"
done

# figure NAME KEY: the value of KEY in NAME's figures (a missing key fails)
figure() {
    local value
    value=$(awk -v key="$2" '$1 == key { print $2; exit }' "$figures/$1.figures")
    [[ -n $value ]] || fail "figures of $1 have no $2"
    echo "$value"
}

zero() {   # zero NAME KEY...: each figure must be 0
    local name=$1 key
    shift
    for key in "$@"; do
        expect_eq "$(figure "$name" "$key")" 0 "$name: $key is 0"
    done
}
zero fuzz_dirs crashes changed half_applied history_edited session_changed internal hangs
zero fuzz_models crashes changed half_applied history_edited session_changed internal hangs
zero concurrency_load failed deadlocks internal_errors

log=$SCHEMATA_WORK/server.log
expect_eq "$(grep -cE 'terminated by signal' "$log" || true)" 0 \
          "no backend died in the whole run"
schemata_sanitizer_reports >/dev/null || fail "sanitizer reports in the server log: $(schemata_sanitizer_reports)"
echo "ok: no sanitizer report in the server log"
