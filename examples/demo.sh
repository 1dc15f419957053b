#!/usr/bin/env bash
# examples/demo.sh -- the demo (run as root: sudo ./examples/demo.sh).
#
# Builds schemata into a private copy of PostgreSQL 15, starts a throwaway
# cluster (test/lib/cluster.sh), creates database "demo" and applies the
# order-management tutorial's migrations (examples/order-management/migrations)
# with schemata.apply(), shows schemata.status() and the resulting "orders"
# table, then stops the cluster and removes it (SCHEMATA_KEEP=1 keeps it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/lib/cluster.sh
source "$REPO/test/lib/cluster.sh"

cat <<'EOF'
schemata demo: apply the order-management migrations from inside the server
  0001_initial_catalog.sql   customers, orders, order_items (pg-schemata's DDL)
  0002_add_order_status.sql  orders.status, orders.shipped_at
Steps: build + install schemata into a private PostgreSQL 15, start a
throwaway cluster, CREATE DATABASE demo, CREATE EXTENSION schemata,
schemata.apply(dir), schemata.status(dir), \d orders.
EOF

schemata_install_deps
schemata_setup

MIGRATIONS=$SCHEMATA_SRC/examples/order-management/migrations
PSQL=("$SCHEMATA_PGBIN/psql" -X -v ON_ERROR_STOP=1)

schemata_run "${PSQL[@]}" -q -c 'CREATE DATABASE demo'

cat >"$SCHEMATA_WORK/demo.sql" <<'SQL'
CREATE EXTENSION schemata;
SELECT * FROM schemata.apply(:'dir');
SELECT * FROM schemata.status(:'dir');
\d orders
SQL

echo
schemata_run "${PSQL[@]}" --echo-all -d demo -v dir="$MIGRATIONS" -f "$SCHEMATA_WORK/demo.sql"

echo
echo "demo finished; stopping the cluster"
