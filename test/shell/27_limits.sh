#!/usr/bin/env bash
# Limits are clean errors (54000 naming the file and the limit), never XX000:
# a file of 140 MB of ";" (140 million tokens: the token arrays once
# outgrew PostgreSQL's 1 GB allocation limit) is read, scanned and applied
# with schemata.max_file_size = 200MB; a script of more than 10,000,000
# statements is refused before the parser builds them.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir=$(mktemp -d /tmp/schemata-limits.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fresh_db limits
Q() { PGOPTIONS="-c client_min_messages=warning" q -d limits "$@"; }

mkdir "$dir/semicolons" "$dir/statements"
head -c $((140 * 1024 * 1024)) /dev/zero | tr '\0' ';' >"$dir/semicolons/0001_empty.sql"
# 10,000,001 statements of four bytes: 40 MB
python3 -c "import sys; sys.stdout.write('END;' * 10000001)" >"$dir/statements/0001_many.sql"
chmod -R a+rX "$dir"

out=$(Q -c "SET schemata.max_file_size = '200MB'" \
        -c "SELECT version || ' ' || checksum FROM schemata.apply('$dir/semicolons', 'semi')" 2>&1) \
    || fail "apply of 140 MB of semicolons: $out"
expect_eq "$(echo "$out" | cut -c1-5)" "0001 " "140 MB of semicolons are applied (an empty migration)"

out=$(Q -v VERBOSITY=verbose -c "SELECT * FROM schemata.apply('$dir/statements', 'many')" 2>&1 || true)
expect_eq "$(echo "$out" | sed -n 's/^ERROR:  //p')" \
          '54000: migration file "0001_many.sql" has too many statements' \
          "more than 10,000,000 statements: 54000 naming the file"
expect_eq "$(echo "$out" | sed -n 's/^DETAIL:  //p')" \
          'The limit is 10000000 statements in a script.' "the error gives the limit"
expect_eq "$(Q -c "SELECT count(*) FROM schemata.migrations WHERE target_schema = 'many'")" "0" \
          "nothing recorded"
