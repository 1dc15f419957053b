/*-------------------------------------------------------------------------
 *
 * searchpath.c
 *	  Pinning search_path for the queries and DDL that schemata issues
 *	  itself.
 *
 * Whatever the caller's search_path, what schemata runs itself must resolve
 * functions, operators, types and casts in pg_catalog only (the
 * CVE-2018-1058 pattern: an operator planted in a schema on the path that
 * fits better than pg_catalog's, or one of the same signature in a schema
 * listed before pg_catalog, would run with the caller's privileges).  Its
 * queries also qualify their operators; the pinned path covers the rest,
 * and the SQL text of models, which goes into DDL.
 *
 * The path is set at a new GUC nest level, as a function's SET clause does,
 * and schemata_restore_search_path() undoes it.  An error on the way is
 * undone by the abort of the (sub)transaction, which restores the setting.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/searchpath.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "common.h"

/*
 * Set search_path to "pg_catalog, pg_temp" (pg_temp last, so that no
 * temporary object shadows a catalog one) until
 * schemata_restore_search_path() is called with the nest level returned.
 */
int
schemata_pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* Give back the search_path (and any other setting) saved at "nestlevel". */
void
schemata_restore_search_path(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}
