/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Small helpers that several layers share: arrays of Datums for SPI
 *	  parameters, a list of names for a message.
 *
 * It uses nothing of schemata's, so that any file may use it.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/util.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "common.h"

/* How many names an errdetail or notice lists before counting the rest. */
#define NAMES_SHOWN 20

/* A text[] of n strings, NULL ones included. */
Datum
schemata_text_array(const char *const *strings, int n)
{
	Datum	   *values = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = strings[i] == NULL;
		values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(strings[i]);
	}
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

/* An array of n Datums of a built-in element type. */
Datum
schemata_datum_array(Datum *values, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(values, n, elemtype, typlen, typbyval, typalign));
}

/*
 * A list of names (strings), comma-separated, for an errdetail; after
 * NAMES_SHOWN of them the rest are counted.
 */
char *
schemata_join_names(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (foreach_current_index(lc) == NAMES_SHOWN)
		{
			appendStringInfo(&buf, " and %d more", list_length(names) - NAMES_SHOWN);
			break;
		}
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (const char *) lfirst(lc));
	}
	return buf.data;
}
