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
# The specs find test/fixtures through the session setting
# schemata_regress.fixtures (the isolation tester reads no variables): the
# launcher puts it in PGOPTIONS of every isolationtester run, beside what
# pg_isolation_regress put there.
ISOLATION_OPTS = --inputdir=test \
	--launcher='env PGOPTIONS="$$PGOPTIONS -c schemata_regress.fixtures=$(abspath $(srcdir))/test/fixtures"'

# TAP tests: t/*.pl on PostgreSQL::Test::Cluster, each with clusters of its own
TAP_TESTS = 1

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# pgindent layout (tools/pgindent.sh; needs pg_bsd_indent 2.1.1, Debian 12's
# pg-bsd-indent): indentcheck lists the files it would change, indent
# rewrites them, typedefs regenerates src/typedefs.list from the headers of
# this PG_CONFIG.
.PHONY: indent indentcheck typedefs layercheck
indent:
	tools/pgindent.sh indent
indentcheck:
	tools/pgindent.sh check
typedefs:
	CC='$(CC)' CPPFLAGS='$(CPPFLAGS)' tools/pgindent.sh typedefs

# The layers of src/: which file calls which, and no two files calling each
# other in a circle (tools/layers.py; doc/development.md).
layercheck:
	tools/layers.py src
