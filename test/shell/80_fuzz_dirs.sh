#!/usr/bin/env bash
# Randomized migration directories against status, plan, apply, migrate,
# repair, rollback, baseline and version: no crash, no XX000, nothing changed
# by a failed call (a failed migrate keeps exactly what apply up to its last
# recorded version makes), a successful apply or migrate records exactly
# what plan() listed.  See test/reliability/fuzz_dirs.py and "Reliability
# suite" in doc/tests.md (knobs: SCHEMATA_FUZZ_SEED, SCHEMATA_FUZZ_INPUTS).
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"
exec python3 "$(dirname "$0")/../reliability/fuzz_dirs.py"
