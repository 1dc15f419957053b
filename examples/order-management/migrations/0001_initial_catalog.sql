-- migrate:up
-- The order-management tutorial's first release: customers, orders (no
-- status yet) and order_items, as pg-schemata's createTable() emits them for
-- the tutorial's models (hasAuditFields: true adds the four audit columns;
-- uidx_/fk_ names carry pg-schemata's md5-6 suffix). Table names are
-- unqualified: schemata.apply() sets search_path to the target schema.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE "customers" (
  "id" uuid DEFAULT gen_random_uuid(),
  "email" varchar(255) NOT NULL,
  "full_name" varchar(200) NOT NULL,
  "phone" varchar(50),
  "created_at" timestamptz DEFAULT now(),
  "created_by" varchar(50) DEFAULT 'system',
  "updated_at" timestamptz DEFAULT now(),
  "updated_by" varchar(50) DEFAULT 'system',
  PRIMARY KEY ("id"),
  CONSTRAINT "uidx_customers_email_af8f39" UNIQUE ("email")
);

CREATE TABLE "orders" (
  "id" uuid DEFAULT gen_random_uuid(),
  "customer_id" uuid NOT NULL,
  "order_number" varchar(20) NOT NULL,
  "order_total" numeric(12,2) NOT NULL DEFAULT 0,
  "placed_at" timestamptz NOT NULL DEFAULT now(),
  "created_at" timestamptz DEFAULT now(),
  "created_by" varchar(50) DEFAULT 'system',
  "updated_at" timestamptz DEFAULT now(),
  "updated_by" varchar(50) DEFAULT 'system',
  PRIMARY KEY ("id"),
  CONSTRAINT "uidx_orders_order_number_fdca85" UNIQUE ("order_number"),
  CONSTRAINT "fk_orders_238458" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE CASCADE
);

CREATE TABLE "order_items" (
  "id" uuid DEFAULT gen_random_uuid(),
  "order_id" uuid NOT NULL,
  "sku" varchar(64) NOT NULL,
  "quantity" integer NOT NULL DEFAULT 1,
  "unit_price" numeric(12,2) NOT NULL,
  "created_at" timestamptz DEFAULT now(),
  "created_by" varchar(50) DEFAULT 'system',
  "updated_at" timestamptz DEFAULT now(),
  "updated_by" varchar(50) DEFAULT 'system',
  PRIMARY KEY ("id"),
  CONSTRAINT "uidx_order_items_order_id_sku_d8107f" UNIQUE ("order_id", "sku"),
  CONSTRAINT "fk_order_items_74360b" FOREIGN KEY ("order_id") REFERENCES "orders" ("id") ON DELETE CASCADE
);

-- migrate:down
DROP TABLE "order_items";
DROP TABLE "orders";
DROP TABLE "customers";
