#!/usr/bin/env bash
# Randomized table models against diff, bootstrap, sync and teardown: no
# crash, no XX000, nothing changed by a failed call.  See
# test/reliability/fuzz_models.py and "Reliability suite" in doc/tests.md
# (knobs: SCHEMATA_FUZZ_SEED, SCHEMATA_FUZZ_MODEL_INPUTS).
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"
exec python3 "$(dirname "$0")/../reliability/fuzz_models.py"
