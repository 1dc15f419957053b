/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Which migrations are pending, whether they may run, and running them:
 *	  the work behind apply() and plan().
 *
 * Order of work in apply(): list the directory; take the target schema's
 * advisory lock; check the snapshot (history.c); read the history once; check
 * every applied migration's file against its recorded checksum (drift is an
 * error, a missing file a WARNING); choose the pending migrations up to
 * to_version, refusing one older than the newest applied unless
 * allow_out_of_order; read, scan, parse and check every pending script, up
 * and down.  Only then does anything run.  A down script that fails the
 * checks stops nothing: it gets a WARNING and is recorded as written, to be
 * checked again (and refused) when rollback() is about to run it.  A pending
 * migration that cannot run inside a transaction block is an error for
 * apply(), which runs in one; migrate() runs it in a background worker
 * (worker.c), plan() shows it.
 *
 * Memory.  Checking keeps only a few bytes per pending migration (the
 * checksums of its up and down scripts).  Each migration runs in a memory
 * context of its own that is reset after it: its scripts are read again,
 * checked to be unchanged, up and down script, and the up script parsed
 * again.  So memory is bounded by the largest migration, not by their
 * number.  (Keeping the checked scripts and their statements for the run
 * instead gained 1.03-1.08 x of backend CPU on apply() of 2,000 migrations:
 * bench/results/fastpaths.txt.)
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "migration.h"

/*
 * Walk directory entries and history rows together in version order.  Each
 * call yields a file, a history row, or both when they share a version.
 */
bool
schemata_merge_next(MergeCursor *cursor, const MigrationFile **file, const HistoryRow **row)
{
	const MigrationDir *dir = cursor->dir;
	const History *history = cursor->history;
	bool		have_file = dir != NULL && cursor->next_file < dir->nfiles;
	bool		have_row = cursor->next_row < history->nrows;
	int			cmp;

	Assert(cursor->next_row >= 0 && cursor->next_row <= history->nrows);
	Assert(cursor->next_file >= 0 && (dir == NULL || cursor->next_file <= dir->nfiles));
	*file = NULL;
	*row = NULL;
	if (!have_file && !have_row)
		return false;
	if (have_file && have_row)
		cmp = schemata_version_cmp(&dir->files[cursor->next_file].version,
								   &history->rows[cursor->next_row].version);
	else
		cmp = have_file ? -1 : 1;
	if (cmp <= 0)
		*file = &dir->files[cursor->next_file++];
	if (cmp >= 0)
		*row = &history->rows[cursor->next_row++];
	return true;
}

static void
report_missing_files(const ApplyOptions *options, List *missing)
{
	if (missing == NIL)
		return;
	ereport(WARNING,
			(errmsg_plural("%d applied migration of schema \"%s\" has no file in the migration directory",
						   "%d applied migrations of schema \"%s\" have no file in the migration directory",
						   list_length(missing), list_length(missing), options->target_schema),
			 schemata_errdetail_missing_files(missing)));
}

static void
check_unchanged(const MigrationDir *dir, const MigrationFile *file, const HistoryRow *row)
{
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];

	if (row->checksum == NULL)
		return;					/* baseline recorded without files */
	schemata_migration_checksum(dir, file, checksum);
	if (strcmp(checksum, row->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("applied migration \"%s\" has been modified", file->name),
				 errdetail("Its checksum was %s when it was applied and is %s now.",
						   row->checksum, checksum),
				 errhint("Restore the file as it was applied, or record the change with schemata.repair().")));
}

/*
 * Check the applied migrations against their files; mark which files are
 * applied.
 */
static void
check_applied(const ApplyOptions *options, const MigrationDir *dir,
			  const History *history, bool *applied)
{
	MergeCursor cursor = {dir, history, 0, 0};
	const MigrationFile *file;
	const HistoryRow *row;
	List	   *missing = NIL;

	while (schemata_merge_next(&cursor, &file, &row))
	{
		CHECK_FOR_INTERRUPTS();
		if (row == NULL)
			continue;
		if (file == NULL)
			missing = lappend(missing, row->name);
		else
		{
			applied[file - dir->files] = true;
			check_unchanged(dir, file, row);
		}
	}
	report_missing_files(options, missing);
}

/* to_version must be the version of a migration in the directory or history. */
static MigrationVersion *
resolve_to_version(const ApplyOptions *options, const MigrationDir *dir,
				   const History *history)
{
	MigrationVersion *to;

	if (options->to_version == NULL)
		return NULL;
	to = palloc(sizeof(MigrationVersion));
	*to = schemata_version_argument("to_version", options->to_version);
	for (int i = 0; i < dir->nfiles; i++)
		if (schemata_version_cmp(&dir->files[i].version, to) == 0)
			return to;
	for (int i = 0; i < history->nrows; i++)
		if (schemata_version_cmp(&history->rows[i].version, to) == 0)
			return to;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("no migration has version %s", options->to_version),
			 errhint("Pass the version of a migration in the directory as to_version.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * Whether an error raised while checking a script is about the script (its
 * syntax, a statement it may not hold, its size), not about the server (out
 * of memory, a cancel, a shutdown, an internal error): only those are turned
 * into a WARNING for a down script.
 */
static bool
is_script_fault(const ErrorData *edata)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	return edata->elevel == ERROR &&
		category != ERRCODE_TO_CATEGORY(ERRCODE_INSUFFICIENT_RESOURCES) &&
		category != ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION) &&
		category != ERRCODE_TO_CATEGORY(ERRCODE_SYSTEM_ERROR) &&
		category != ERRCODE_TO_CATEGORY(ERRCODE_INTERNAL_ERROR);
}

/*
 * The line of the script's file that the error's CONTEXT names (script.c
 * writes it as "migration file "<file>", line <n>" first), or 0.
 */
static int
error_line(const Script *script, const ErrorData *edata)
{
	char	   *prefix = psprintf("migration file \"%s\", line ", script->file);
	int			line = 0;

	if (edata->context != NULL && strncmp(edata->context, prefix, strlen(prefix)) == 0)
		line = atoi(edata->context + strlen(prefix));
	pfree(prefix);
	return line;
}

/*
 * Why a down script fails the checks, with file and line, as its WARNING
 * says it (and plan() and status() show it).
 */
static char *
down_problem_message(const Script *down, const ErrorData *edata)
{
	int			line = error_line(down, edata);

	if (line > 0)
		return psprintf("down script in migration file \"%s\", line %d, fails the checks: %s",
						down->file, line, edata->message);
	return psprintf("down script in migration file \"%s\" fails the checks: %s",
					down->file, edata->message);
}

/* The WARNING for a down script that fails the checks, with their reason. */
static void
warn_down_script(const char *problem, const ErrorData *edata)
{
	ereport(WARNING,
			(errmsg_internal("%s", problem),
			 errdetail("It is recorded as written; rollback refuses to run it until it passes the checks."),
			 edata->hint != NULL ? errhint("%s", edata->hint) : 0));
}

/*
 * The checksum of a down script that fails the checks: of its text as
 * written, as it may not even scan.  Only compared with itself, to see that
 * the file did not change between checking and running its migration.
 */
static void
raw_text_checksum(Script *script)
{
	schemata_sha256_hex(script->sql, script->len, script->checksum);
}

/*
 * Release and delete a resource owner made for a check; with committed, a
 * resource still held is a leak that gets the server's WARNING.
 */
static void
drop_check_owner(ResourceOwner owner, bool committed)
{
	ResourceOwnerRelease(owner, RESOURCE_RELEASE_BEFORE_LOCKS, committed, false);
	ResourceOwnerRelease(owner, RESOURCE_RELEASE_LOCKS, committed, false);
	ResourceOwnerRelease(owner, RESOURCE_RELEASE_AFTER_LOCKS, committed, false);
	ResourceOwnerDelete(owner);
}

/*
 * Scan, parse and check a script; NULL if it passes, else the error that
 * says why not.
 *
 * Scanning and parsing take no locks and change nothing outside the script
 * and the current memory context; the one resource they hold is the
 * checksum's hash context, which they register with the current resource
 * owner.  So their error is caught without a subtransaction, which would
 * cost every script that passes: the check runs under a resource owner of
 * its own, released after it, silently if it failed.  Errors that are not
 * about the script are thrown on.
 */
static ErrorData *
script_fault(Script *script)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner outer_owner = CurrentResourceOwner;
	ResourceOwner owner = ResourceOwnerCreate(outer_owner, "schemata script check");
	ErrorData  *edata = NULL;

	CurrentResourceOwner = owner;
	PG_TRY();
	{
		schemata_scan_script(script);
		schemata_parse_script(script, false);
	}
	PG_CATCH();
	{
		CurrentResourceOwner = outer_owner;
		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		if (!is_script_fault(edata))
			PG_RE_THROW();
		FlushErrorState();
	}
	PG_END_TRY();
	CurrentResourceOwner = outer_owner;
	drop_check_owner(owner, edata == NULL);
	return edata;
}

/*
 * Scan, parse and check a down script.  One that fails gets a WARNING and the
 * checksum of its text, and false is returned, with *problem the reason: it
 * is recorded as written and checked again by rollback(), which refuses it.
 */
static bool
check_down_script(Script *down, char **problem)
{
	ErrorData  *edata = script_fault(down);

	if (edata == NULL)
		return true;
	*problem = down_problem_message(down, edata);
	warn_down_script(*problem, edata);
	FreeErrorData(edata);
	raw_text_checksum(down);
	return false;
}

/*
 * Why a down script fails the checks, in the words of its WARNING, or NULL
 * when it passes; no WARNING.  For status(), which shows it.
 */
char *
schemata_down_script_problem(Script *down)
{
	ErrorData  *edata = script_fault(down);
	char	   *problem;

	if (edata == NULL)
		return NULL;
	problem = down_problem_message(down, edata);
	FreeErrorData(edata);
	return problem;
}

/* Whether a script passes the checks; no error, no WARNING. */
bool
schemata_script_passes_checks(Script *script)
{
	ErrorData  *edata = script_fault(script);

	if (edata == NULL)
		return true;
	FreeErrorData(edata);
	return false;
}

/*
 * Read a migration's up and down scripts, scan, parse and check them, in the
 * current memory context: the checks of a pending migration, also made by
 * baseline() and repair() for the migrations they record.  With notify, the
 * up script's dropped BEGIN/COMMIT are reported with a NOTICE.  An up script
 * that fails the checks is an error; a down script that fails them gets a
 * WARNING (check_down_script()), scripts->down_problem says why, and false
 * is returned.
 */
bool
schemata_check_migration(const MigrationDir *dir, const MigrationFile *file,
						 MigrationScripts *scripts, bool notify)
{
	schemata_read_migration(dir, file, scripts);
	schemata_scan_script(&scripts->up);
	schemata_parse_script(&scripts->up, notify);
	return !scripts->has_down || check_down_script(&scripts->down, &scripts->down_problem);
}

/*
 * apply() runs every migration in one transaction: a pending migration that
 * cannot run in one is refused before anything runs.
 */
static void
refuse_non_transactional(const Script *up)
{
	if (up->non_transactional_line > 0)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", up->non_transactional),
				 errdetail("It is at line %d of migration file \"%s\". apply() runs all its migrations in one transaction. Nothing was applied.",
						   up->non_transactional_line, up->file),
				 errhint("Use CALL schemata.migrate(...), which runs such a migration outside a transaction.")));
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("migration file \"%s\" cannot run inside a transaction block", up->file),
			 errdetail("%s says so. apply() runs all its migrations in one transaction. Nothing was applied.",
					   up->non_transactional),
			 errhint("Use CALL schemata.migrate(...), which runs such a migration outside a transaction.")));
}

/*
 * Read and check one pending migration's scripts; keep what the plan needs:
 * their checksums, and for plan() the up script's text.  For apply(), a
 * non-transactional one is an error.
 */
static void
check_pending(const MigrationDir *dir, PlannedMigration *planned, PlanPurpose purpose,
			  MemoryContext work)
{
	MemoryContext outer = MemoryContextSwitchTo(work);
	MigrationScripts scripts;

	planned->down_ok = schemata_check_migration(dir, planned->file, &scripts, true);
	planned->non_transactional = scripts.up.non_transactional != NULL;
	if (planned->non_transactional && purpose == PLAN_FOR_APPLY)
		refuse_non_transactional(&scripts.up);
	MemoryContextSwitchTo(outer);

	memcpy(planned->checksum, scripts.up.checksum, sizeof(planned->checksum));
	if (scripts.has_down)
		memcpy(planned->down_checksum, scripts.down.checksum, sizeof(planned->down_checksum));
	planned->nstatements = scripts.up.nstatements;
	planned->has_down = scripts.has_down;
	planned->down_problem = scripts.down_problem ? pstrdup(scripts.down_problem) : NULL;
	planned->up_sql = purpose == PLAN_TO_SHOW ? pstrdup(scripts.up.sql) : NULL;
	MemoryContextReset(work);
}

/*
 * After the versioned migrations, the pending repeatable ones, when the
 * call has no to_version (repeatable.c).
 */
static void
plan_repeatables(MigrationPlan *plan, const MigrationVersion *to, PlanPurpose purpose,
				 MemoryContext work)
{
	if (to != NULL)
		return;
	for (int i = 0; i < plan->dir->nrepeatables; i++)
	{
		const MigrationFile *file = &plan->dir->repeatables[i];
		PlannedMigration *planned;

		CHECK_FOR_INTERRUPTS();
		if (!schemata_repeatable_pending(plan->dir, plan->history, file))
			continue;
		planned = &plan->pending[plan->npending++];
		memset(planned, 0, sizeof(PlannedMigration));
		planned->file = file;
		check_pending(plan->dir, planned, purpose, work);
	}
}

/*
 * Everything apply() checks before it runs anything.  For apply(), the
 * target schema's advisory lock is taken before the history is read.
 * plan() keeps the up scripts' SQL;
 * apply() and migrate() record the checksums of the files they read
 * (checksums.c).
 */
MigrationPlan *
schemata_build_plan(const ApplyOptions *options, PlanPurpose purpose)
{
	MigrationPlan *plan = palloc0(sizeof(MigrationPlan));
	const HistoryRow *latest;
	MigrationVersion *to;
	bool	   *applied;
	MemoryContext work;

	schemata_check_target_schema(options->target_schema);
	plan->dir = schemata_scan_directory("dir", options->dir);
	if (purpose == PLAN_FOR_APPLY)
	{
		schemata_lock_target(options->target_schema);
		schemata_check_history_snapshot(options->target_schema);
	}
	plan->history = schemata_load_history(options->target_schema);
	schemata_load_checksums(plan->dir, options->target_schema, purpose != PLAN_TO_SHOW);
	if (purpose != PLAN_TO_SHOW)
		plan->recorded = schemata_history_queue(options->target_schema);
	to = resolve_to_version(options, plan->dir, plan->history);

	applied = palloc0(sizeof(bool) * Max(plan->dir->nfiles, 1));
	schemata_open_directory(plan->dir);
	check_applied(options, plan->dir, plan->history, applied);

	latest = schemata_history_latest(plan->history);
	/* not zeroed: with most migrations applied, most of it is never touched */
	plan->pending = palloc(sizeof(PlannedMigration) *
						   Max(plan->dir->nfiles + plan->dir->nrepeatables, 1));
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata check",
								 ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < plan->dir->nfiles; i++)
	{
		const MigrationFile *file = &plan->dir->files[i];
		PlannedMigration *planned;

		if (applied[i] || schemata_covered_by_baseline(plan->history, file))
			continue;
		if (to != NULL && schemata_version_cmp(&file->version, to) > 0)
			break;
		if (latest != NULL && !options->allow_out_of_order &&
			schemata_version_cmp(&file->version, &latest->version) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pending migration \"%s\" is older than the latest applied migration \"%s\"",
							file->name, latest->name),
					 errdetail("Version %s is below the applied version %s.",
							   file->version.text, latest->version.text),
					 errhint("Give it a version above %s, or pass allow_out_of_order => true to apply it anyway.",
							 latest->version.text)));

		CHECK_FOR_INTERRUPTS();
		planned = &plan->pending[plan->npending++];
		memset(planned, 0, sizeof(PlannedMigration));
		planned->file = file;
		check_pending(plan->dir, planned, purpose, work);
	}
	plan_repeatables(plan, to, purpose, work);
	schemata_close_directory(plan->dir);
	MemoryContextDelete(work);
	pfree(applied);
	return plan;
}

static void
report_nothing_to_apply(const ApplyOptions *options, const History *history)
{
	const HistoryRow *latest = schemata_history_latest(history);

	if (latest != NULL)
		ereport(NOTICE,
				(errmsg("nothing to apply: schema \"%s\" is at version %s",
						options->target_schema, latest->version.text)));
	else if (history->nrepeatables > 0)
		ereport(NOTICE,
				(errmsg("nothing to apply: the repeatable migrations of schema \"%s\" are up to date",
						options->target_schema)));
	else
		ereport(NOTICE,
				(errmsg("nothing to apply: the directory has no migrations for schema \"%s\"",
						options->target_schema)));
}

/*
 * Before the first pending migration of a plan: the target schema exists,
 * and the caller has its owner's privileges (checked again now that the lock
 * is held: a schema that did not exist when the call began may have been
 * created by another role while it waited), and *batch is the new batch's
 * number.  With nothing pending, says so and returns false.
 */
bool
schemata_start_batch(const ApplyOptions *options, const MigrationPlan *plan, int *batch)
{
	if (plan->npending == 0)
	{
		report_nothing_to_apply(options, plan->history);
		return false;
	}
	schemata_ensure_schema(options->target_schema);
	schemata_check_may_apply(options->target_schema);
	*batch = plan->history->max_batch + 1;
	return true;
}

static bool
script_adds_enum_value(const Script *script)
{
	for (int i = 0; i < script->nparsed; i++)
		if (script->statements[i].adds_enum_value)
			return true;
	return false;
}

static void
report_changed(const char *file)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration file \"%s\" changed while it was being applied", file),
			 errdetail("It was checked before the first migration of the call ran.")));
}

/*
 * Scan the scripts of a planned migration, read again just before it runs,
 * and make sure they are the ones that were checked: the same tokens in the
 * up script, and in the down script that is recorded with it.  The same
 * tokens parse into the same statements, so the checks hold for them.
 */
static void
check_unchanged_since_planned(const PlannedMigration *planned, MigrationScripts *scripts)
{
	schemata_scan_script(&scripts->up);
	if (strcmp(scripts->up.checksum, planned->checksum) != 0)
		report_changed(scripts->up.file);
	if (scripts->has_down != planned->has_down)
		report_changed(scripts->up.file);	/* a "-- migrate:down" marker came
											 * or went */
	if (!scripts->has_down)
		return;
	if (planned->down_ok)
		schemata_scan_script(&scripts->down);
	else
		raw_text_checksum(&scripts->down);
	if (strcmp(scripts->down.checksum, planned->down_checksum) != 0)
		report_changed(scripts->down.file);
}

/* The scripts of a planned migration as they are now, checked and parsed. */
static void
take_scripts(const MigrationDir *dir, const PlannedMigration *planned,
			 MigrationScripts *scripts)
{
	schemata_read_migration(dir, planned->file, scripts);
	check_unchanged_since_planned(planned, scripts);
	schemata_parse_script(&scripts->up, false);
}

/*
 * Run one planned migration and record it.  hints tells the runner about
 * the earlier migrations of this call, and learns about this one.  A
 * non-transactional one (only migrate() has them) runs outside any
 * transaction, in a background worker.
 */
static double
apply_one(const ApplyOptions *options, const MigrationPlan *plan, const PlannedMigration *planned,
		  int batch, RunHints *hints)
{
	MigrationScripts scripts;
	double		duration_ms;

	take_scripts(plan->dir, planned, &scripts);
	hints->migration = planned->file;
	if (planned->non_transactional)
		duration_ms = schemata_run_outside_transaction(&scripts.up, options->target_schema,
													   InvalidOid);
	else
		duration_ms = schemata_run_migration_with_retries(&scripts.up, options, hints);
	if (script_adds_enum_value(&scripts.up))
		hints->enum_added_by = planned->file;
	schemata_forget_repeatable(options->target_schema, plan->dir, plan->history, planned->file);
	schemata_queue_migration(plan->recorded, planned->file, &scripts, batch, duration_ms);
	schemata_offer_checksum(plan->dir, planned->file, &scripts.up_stamp,
							scripts.up.checksum);
	return duration_ms;
}

/*
 * Apply one planned migration in the current transaction, in the memory
 * context "work" (reset afterwards).  Shared by apply() and migrate().
 */
double
schemata_apply_step(const ApplyOptions *options, const MigrationPlan *plan,
					const PlannedMigration *planned, int batch, RunHints *hints,
					MemoryContext work)
{
	MemoryContext outer = MemoryContextSwitchTo(work);
	double		duration_ms = apply_one(options, plan, planned, batch, hints);

	MemoryContextSwitchTo(outer);
	MemoryContextReset(work);
	return duration_ms;
}

/* The NOTICE for each applied migration. */
void
schemata_report_applied(const PlannedMigration *planned)
{
	ereport(NOTICE,
			(errmsg("applied migration \"%s\"", planned->file->name)));
}

/*
 * Insert what a plan's migrations recorded so far: their history rows, and
 * the checksums of the files read (with all, all of them; else only once
 * there are many).  Before every commit.
 */
void
schemata_save_records(const MigrationPlan *plan, bool all)
{
	schemata_flush_history(plan->recorded);
	/* a call made by a migration: the cache must not change under it */
	if (!schemata_script_running())
		schemata_save_checksums(plan->dir, all);
}

/*
 * apply(): run every pending migration, in this transaction, under the lock.
 */
void
schemata_apply_pending(const ApplyOptions *options, AppliedCallback callback, void *arg)
{
	MigrationPlan *plan = schemata_build_plan(options, PLAN_FOR_APPLY);
	RunHints	hints = {true, NULL, NULL};
	MemoryContext work;
	int			batch;

	/* one transaction: what the plan and the migrations record is saved once */
	if (!schemata_start_batch(options, plan, &batch))
	{
		schemata_save_records(plan, true);
		return;
	}
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata migration",
								 ALLOCSET_DEFAULT_SIZES);
	schemata_open_directory(plan->dir);
	for (int i = 0; i < plan->npending; i++)
	{
		const PlannedMigration *planned = &plan->pending[i];
		double		duration_ms = schemata_apply_step(options, plan, planned, batch,
													  &hints, work);

		callback(planned, duration_ms, arg);
		schemata_report_applied(planned);
	}
	schemata_close_directory(plan->dir);
	schemata_save_records(plan, true);
	MemoryContextDelete(work);
}
