#!/usr/bin/env bash
# The rows a migration's statements return are discarded as they come: a
# migration that selects 2 million rows of about 100 bytes (held, they took
# the backend to 513 MB) leaves the backend's peak memory (VmHWM of
# /proc/<pid>/status, read by the backend itself) under 200 MB, a bound the
# rows alone exceed.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir=$(mktemp -d /tmp/schemata-rows.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fresh_db rows
Q() { PGOPTIONS="-c client_min_messages=warning" q -d rows "$@"; }

cat >"$dir/0001_select.sql" <<'SQL'
SELECT g, repeat('x', 100) FROM generate_series(1, 2000000) g;
CREATE TABLE after_select (id int);
SQL
chmod -R a+rX "$dir"

peak_kb="SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*(\d+) kB')::int"
out=$(Q -c "$peak_kb" -c "SELECT version FROM schemata.apply('$dir', 'rows')" -c "$peak_kb")
before=$(echo "$out" | sed -n 1p)
applied=$(echo "$out" | sed -n 2p)
after=$(echo "$out" | sed -n 3p)
expect_eq "$applied" "0001" "the migration is applied"
expect_eq "$(Q -c "SELECT to_regclass('rows.after_select') IS NOT NULL")" "t" "its statements ran"
echo "backend peak memory: ${before} kB before, ${after} kB after"
(( before > 0 )) || fail "no VmHWM read"
(( after < 200 * 1024 )) || fail "peak memory ${after} kB, over 200 MB: the rows were kept"
echo "ok: peak memory under 200 MB"
