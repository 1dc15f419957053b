#!/usr/bin/env bash
# The figures of the reliability tests (test/shell/8*), gathered from
# $SCHEMATA_TMP/reliability/*.figures, and a last look at the whole server
# log: no backend may have died by a signal other than the SIGKILLs of
# 81_crash_mid_apply.sh, and no sanitizer may have reported anything.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

figures=$SCHEMATA_TMP/reliability
echo "==== reliability figures ===="
for f in "$figures"/*.figures; do
    [[ -e $f ]] || { echo "(no figures: the reliability tests did not run)"; break; }
    echo "$(basename "$f" .figures):"
    awk '$1 == "sqlstate" { states = states sep $2 " " $3; sep = ", "; next }
         { printf "  %-22s %s\n", $1, $2 }
         END { if (states != "") printf "  %-22s %s\n", "outcomes by SQLSTATE", states }' "$f"
done

log=$SCHEMATA_WORK/server.log
expect_eq "$(grep -E 'terminated by signal' "$log" | grep -vc 'signal 9: Killed' || true)" 0 \
          "no backend died in the whole run except those killed on purpose"
expect_eq "$(grep -cE 'ERROR: AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$log" || true)" 0 \
          "no sanitizer report in the server log"
