/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Work done to look at its effects and then undone: a function run in an
 *	  internal subtransaction that is always rolled back.
 *
 * diff() describes scratch tables and enums made from the models, and
 * rehearse() runs migrations, each inside such a subtransaction.  An error
 * rolls the subtransaction back before it propagates: left open, a caller's
 * exception block would roll back this subtransaction in place of its own,
 * and the session would stay inside a subtransaction for good (nothing it
 * did afterwards would commit, and the backend crashed at exit).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/subxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "common.h"

/*
 * Call fn(arg) in an internal subtransaction, then roll it back.  What fn
 * keeps must be allocated in the caller's memory context (current when fn
 * is called) and be no catalog state.
 */
void
schemata_run_rolled_back(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}
