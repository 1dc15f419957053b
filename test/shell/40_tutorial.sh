#!/usr/bin/env bash
# The order-management tutorial of examples/: both migrations apply, status
# reports them, and orders has the status columns with existing rows kept.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

dir="$SCHEMATA_SRC/examples/order-management/migrations"
fresh_db tutorial
applied=$(q -d tutorial -c "SET client_min_messages = warning" \
            -c "SELECT string_agg(name, ',' ORDER BY version) FROM schemata.apply('$dir', to_version => '0001')")
expect_eq "$applied" "0001_initial_catalog.sql" "0001 creates the catalog"
q -d tutorial -c "INSERT INTO customers (email, full_name) VALUES ('ada@example.com', 'Ada')" \
  -c "INSERT INTO orders (customer_id, order_number, order_total)
      SELECT id, 'A-1', 10 FROM customers" >/dev/null
applied=$(q -d tutorial -c "SET client_min_messages = warning" \
            -c "SELECT string_agg(name, ',' ORDER BY version) FROM schemata.apply('$dir')")
expect_eq "$applied" "0002_add_order_status.sql" "0002 adds the status columns"
expect_eq "$(q -d tutorial -c "SELECT status FROM orders")" "pending" "existing order got the default status"
expect_eq "$(q -d tutorial -c "SELECT string_agg(version || ':' || state, ',') FROM schemata.status('$dir')")" \
    "0001:applied,0002:applied" "status lists both as applied"
expect_eq "$(q -d tutorial -c "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")" \
    "customers,order_items,orders" "the three tutorial tables"

"$SCHEMATA_PGBIN/dropdb" tutorial
