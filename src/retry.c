/*-------------------------------------------------------------------------
 *
 * retry.c
 *	  Lock waits that cannot stall production: a migration run under a
 *	  lock_timeout, and tried again when it times out waiting for a lock.
 *
 * An ALTER TABLE that waits for a lock behind a long query makes every
 * other query on the table wait behind it.  apply() and migrate() take
 * lock_timeout and lock_retries (ApplyOptions): each statement of a
 * migration then runs under that lock_timeout (set at a GUC nest level of
 * its own around the migration, so the target schema's advisory lock, taken
 * before, still waits as long as it must); when a statement fails with
 * lock_not_available (55P03), the migration is undone (it ran in a
 * subtransaction), the call sleeps a growing, jittered delay and runs it
 * again, up to lock_retries times, with a NOTICE each time; then the last
 * error, with a hint.  The sleep waits on the latch, so a cancel ends it.
 * Without either argument a migration runs as before: no subtransaction.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/retry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "migration.h"

/* Most retries one call may ask for. */
#define LOCK_RETRIES_MAX 100

/* First delay before a retry, and the longest one, in milliseconds. */
#define RETRY_DELAY_FIRST_MS 100
#define RETRY_DELAY_MAX_MS 30000

/*
 * Check the lock_timeout and lock_retries arguments into options: a
 * lock_timeout PostgreSQL's lock_timeout setting accepts (NULL: the
 * caller's), a count from 0 to LOCK_RETRIES_MAX.
 */
void
schemata_check_lock_options(ApplyOptions *options, const char *lock_timeout, int lock_retries)
{
	int			ms;
	const char *hint = NULL;

	if (lock_timeout != NULL &&
		(!parse_int(lock_timeout, &ms, GUC_UNIT_MS, &hint) || ms < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for lock_timeout: \"%s\"", lock_timeout),
				 hint ? errhint("%s", _(hint)) : 0));
	if (lock_retries < 0 || lock_retries > LOCK_RETRIES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_retries must be between 0 and %d", LOCK_RETRIES_MAX)));
	options->lock_timeout = lock_timeout;
	options->lock_retries = lock_retries;
}

/* The delay before retry "attempt" (1, 2, ...): doubling, with jitter. */
static long
retry_delay_ms(int attempt)
{
	double		delay = RETRY_DELAY_FIRST_MS;

	for (int i = 1; i < attempt && delay < RETRY_DELAY_MAX_MS; i++)
		delay *= 2;
	delay = Min(delay, RETRY_DELAY_MAX_MS);
	/* between half and all of it, so that waiting appliers spread out */
	return (long) (delay * (0.5 + 0.5 * schemata_random_fraction()));
}

static void
sleep_before_retry(long delay_ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 delay_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Run the migration in a subtransaction.  True when it ran; false when it
 * timed out waiting for a lock and may be tried again (then *edata holds
 * the error); any other error goes up.
 */
static bool
run_in_subtransaction(const Script *script, const ApplyOptions *options,
					  const RunHints *hints, bool last, double *duration_ms,
					  ErrorData **edata)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ran = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		*duration_ms = schemata_run_migration(script, options->target_schema, hints);
		ReleaseCurrentSubTransaction();
		ran = true;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		*edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if ((*edata)->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE || last)
		{
			if ((*edata)->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
				(*edata)->hint = options->lock_retries == 0 ?
					pstrdup("Give lock_retries to try the migration again after a delay, or apply when the table is less busy.") :
					psprintf("The migration was tried %d times, each waiting at most lock_timeout for a lock. Apply when the table is less busy, or with a higher lock_retries.",
							 options->lock_retries + 1);
			ReThrowError(*edata);
		}
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ran;
}

/* Run the migration until it gets its locks or the retries are used up. */
static double
run_retrying(const Script *script, const ApplyOptions *options, const RunHints *hints)
{
	for (int attempt = 0;; attempt++)
	{
		double		duration_ms = 0;
		ErrorData  *edata = NULL;
		long		delay_ms;

		/* the try after the last retry rethrows its lock timeout */
		Assert(attempt <= options->lock_retries);
		if (run_in_subtransaction(script, options, hints, attempt >= options->lock_retries,
								  &duration_ms, &edata))
			return duration_ms;
		delay_ms = retry_delay_ms(attempt + 1);
		ereport(NOTICE,
				(errmsg("migration file \"%s\" timed out waiting for a lock; trying again in %ld ms (retry %d of %d)",
						script->file, delay_ms, attempt + 1, options->lock_retries),
				 errdetail_internal("%s", edata->message)));
		FreeErrorData(edata);
		sleep_before_retry(delay_ms);
	}
}

/*
 * Run a migration's up script as options say: under their lock_timeout and
 * with their retries, else as schemata_run_migration() runs it.
 */
double
schemata_run_migration_with_retries(const Script *script, const ApplyOptions *options,
									const RunHints *hints)
{
	int			nestlevel;
	double		duration_ms;

	Assert(options->lock_retries >= 0 && options->lock_retries <= LOCK_RETRIES_MAX);
	if (options->lock_timeout == NULL && options->lock_retries == 0)
		return schemata_run_migration(script, options->target_schema, hints);
	nestlevel = NewGUCNestLevel();
	if (options->lock_timeout != NULL)
		(void) set_config_option("lock_timeout", options->lock_timeout, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	duration_ms = run_retrying(script, options, hints);
	AtEOXact_GUC(true, nestlevel);
	return duration_ms;
}
