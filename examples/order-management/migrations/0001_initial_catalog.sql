-- migrate:up
-- The order-management tutorial's first release: customers, orders (no
-- status yet) and order_items, created from the tutorial's pg-schemata models
-- by schemata.bootstrap() -- the same tables, defaults and constraint names
-- as pg-schemata's createTable().  target_schema => current_schema(): the
-- schema apply() is migrating.  extensions => '{}': gen_random_uuid() is
-- built into PostgreSQL 13 and later, so pgcrypto is not needed.
SELECT * FROM schemata.bootstrap($json$
[
  {
    "dbSchema": "public",
    "table": "customers",
    "hasAuditFields": true,
    "columns": [
      {
        "name": "id",
        "type": "uuid",
        "default": "gen_random_uuid()",
        "immutable": true,
        "colProps": {
          "cnd": true
        }
      },
      {
        "name": "email",
        "type": "varchar(255)",
        "notNull": true
      },
      {
        "name": "full_name",
        "type": "varchar(200)",
        "notNull": true
      },
      {
        "name": "phone",
        "type": "varchar(50)"
      }
    ],
    "constraints": {
      "primaryKey": [
        "id"
      ],
      "unique": [
        [
          "email"
        ]
      ]
    }
  },
  {
    "dbSchema": "public",
    "table": "orders",
    "hasAuditFields": true,
    "columns": [
      {
        "name": "id",
        "type": "uuid",
        "default": "gen_random_uuid()",
        "immutable": true,
        "colProps": {
          "cnd": true
        }
      },
      {
        "name": "customer_id",
        "type": "uuid",
        "notNull": true
      },
      {
        "name": "order_number",
        "type": "varchar(20)",
        "notNull": true
      },
      {
        "name": "order_total",
        "type": "numeric(12,2)",
        "notNull": true,
        "default": "0"
      },
      {
        "name": "placed_at",
        "type": "timestamptz",
        "notNull": true,
        "default": "now()"
      }
    ],
    "constraints": {
      "primaryKey": [
        "id"
      ],
      "unique": [
        [
          "order_number"
        ]
      ],
      "foreignKeys": [
        {
          "columns": [
            "customer_id"
          ],
          "references": {
            "dbSchema": "public",
            "table": "customers",
            "columns": [
              "id"
            ]
          },
          "onDelete": "CASCADE"
        }
      ]
    }
  },
  {
    "dbSchema": "public",
    "table": "order_items",
    "hasAuditFields": true,
    "columns": [
      {
        "name": "id",
        "type": "uuid",
        "default": "gen_random_uuid()",
        "immutable": true,
        "colProps": {
          "cnd": true
        }
      },
      {
        "name": "order_id",
        "type": "uuid",
        "notNull": true
      },
      {
        "name": "sku",
        "type": "varchar(64)",
        "notNull": true
      },
      {
        "name": "quantity",
        "type": "integer",
        "notNull": true,
        "default": "1"
      },
      {
        "name": "unit_price",
        "type": "numeric(12,2)",
        "notNull": true
      }
    ],
    "constraints": {
      "primaryKey": [
        "id"
      ],
      "unique": [
        [
          "order_id",
          "sku"
        ]
      ],
      "foreignKeys": [
        {
          "columns": [
            "order_id"
          ],
          "references": {
            "dbSchema": "public",
            "table": "orders",
            "columns": [
              "id"
            ]
          },
          "onDelete": "CASCADE"
        }
      ]
    }
  }
]
$json$::jsonb, target_schema => current_schema(), extensions => '{}');

-- migrate:down
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE customers;
