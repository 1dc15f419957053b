/*-------------------------------------------------------------------------
 *
 * common.c
 *	  The idioms every part of schemata repeats, named once: a statement run
 *	  through SPI with its result checked, a CONTEXT line pushed and popped,
 *	  and an array that grows by doubling.
 *
 * SPI leaves CurrentMemoryContext at its procedure context after a
 * statement; the helpers here give the caller its own context back, so that
 * what the caller reads from SPI_tuptable (SPI_getvalue() and the like) is
 * allocated where the caller works.  An unexpected result code is a
 * can't-happen case (an error inside the statement is thrown by SPI): one
 * elog(ERROR) names the statement and the code.  The caller keeps pinning
 * search_path (searchpath.c) around the queries it issues.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/common.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "common.h"

/*
 * Run "sql" through SPI with the nargs parameters argtypes/values/nulls (as
 * SPI_execute_with_args() takes them; nulls may be NULL), fetching every
 * row, and check that SPI returned "expected" (SPI_OK_SELECT, ...).  Returns
 * SPI_processed; the rows are in SPI_tuptable.  CurrentMemoryContext is the
 * caller's again.
 */
uint64
schemata_spi_execute(const char *sql, int nargs, Oid *argtypes, Datum *values,
					 const char *nulls, bool read_only, int expected)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	Assert(nargs == 0 || (argtypes != NULL && values != NULL));
	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, read_only, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != expected)
		elog(ERROR, "SPI_execute_with_args returned %s, not %s, for query \"%s\"",
			 SPI_result_code_string(rc), SPI_result_code_string(expected), sql);
	return SPI_processed;
}

/*
 * Run query "sql" as schemata_spi_execute() does and call row(tuple, desc,
 * arg) for each row it returns, in order, in the caller's memory context;
 * then free the rows.  Returns the number of rows.
 */
uint64
schemata_spi_select(const char *sql, int nargs, Oid *argtypes, Datum *values,
					const char *nulls, bool read_only, SpiRowCallback row, void *arg)
{
	uint64		n = schemata_spi_execute(sql, nargs, argtypes, values, nulls, read_only,
										 SPI_OK_SELECT);
	SPITupleTable *tuptable = SPI_tuptable;

	/* the table is our own: "row" may run SPI and replace SPI_tuptable */
	for (uint64 i = 0; i < n; i++)
		row(tuptable->vals[i], tuptable->tupdesc, arg);
	SPI_freetuptable(tuptable);
	return n;
}

/* An SpiRowCallback: appends the text of column 1 (or NULL) to *(List **) arg. */
void
schemata_append_first_value(HeapTuple tuple, TupleDesc desc, void *arg)
{
	List	  **values = (List **) arg;

	*values = lappend(*values, SPI_getvalue(tuple, desc, 1));
}

/*
 * Make fn(arg) add its CONTEXT line to every error until
 * schemata_pop_context(callback).  "callback" must live until then (it is
 * usually a local variable of the caller).
 */
void
schemata_push_context(ErrorContextCallback *callback, void (*fn) (void *arg), void *arg)
{
	Assert(callback != NULL && fn != NULL);
	callback->callback = fn;
	callback->arg = arg;
	callback->previous = error_context_stack;
	error_context_stack = callback;
}

/* Undo schemata_push_context(callback), the last push not yet undone. */
void
schemata_pop_context(ErrorContextCallback *callback)
{
	Assert(error_context_stack == callback);
	error_context_stack = callback->previous;
}

/*
 * A growable array: "items" (NULL at first) has room for *allocated elements
 * of "size" bytes, of which n are in use.  Returns it with room for element
 * n: unchanged while there is room, else grown to twice its size (to
 * "initial" elements at first; allocated in CurrentMemoryContext then,
 * later in the array's own context), the new elements zeroed.  Huge
 * allocations: an array may outgrow 1 GB.
 */
void *
schemata_grow_array(void *items, Size size, int n, int *allocated, int initial)
{
	int			old = *allocated;
	int			grown;

	Assert(n >= 0 && n <= old && initial > 0 && size > 0);
	Assert(items != NULL || old == 0);
	if (n < old)
		return items;
	if (old > INT_MAX / 2)
		elog(ERROR, "array of %d elements cannot grow", old);
	grown = old == 0 ? initial : old * 2;
	if (items == NULL)
		items = MemoryContextAllocHuge(CurrentMemoryContext, grown * size);
	else
		items = repalloc_huge(items, grown * size);
	memset((char *) items + old * size, 0, (grown - old) * size);
	*allocated = grown;
	return items;
}
