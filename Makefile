# Makefile for schemata (PGXS)

EXTENSION = schemata
MODULE_big = schemata
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))
PGFILEDESC = "schemata - schema migrations run from inside the server"

DATA = $(wildcard sql/schemata--*.sql)

# pg_regress tests: sql/<name>.sql against expected/<name>.out, in this order.
REGRESS = setup layout checks checks_newer_syntax errors execution history access privileges rollback baseline repair down_checks bootstrap bootstrap_errors diff nulls_not_distinct models_compat migrate reliability guard search_path_attack adopt wrappers layouts lint rehearse markers tools repeatable nontransactional
REGRESS_OPTS = --load-extension=plpgsql

# isolation tests: test/specs/<name>.spec against test/expected/<name>.out
ISOLATION = concurrent_apply rollback_apply migrate_apply migrate_unlock privileges_lock privileges_cancel
ISOLATION_OPTS = --inputdir=test

# TAP tests: t/*.pl on PostgreSQL::Test::Cluster, each with clusters of its own
TAP_TESTS = 1

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
