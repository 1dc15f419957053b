/*-------------------------------------------------------------------------
 *
 * rollback.c
 *	  Undoing applied migrations with their down scripts: the work behind
 *	  rollback().
 *
 * Which migrations: by default the last batch of the target schema (the
 * highest batch number; baseline rows, batch 0, are never a default);
 * with steps the last n applied migrations; with to_version every applied
 * migration above it.  They are undone strictly in version order, newest
 * first, whatever their applied_at.
 *
 * Which down scripts: the ones recorded in the history when the migrations
 * were applied, so a rollback works when the files are gone or changed; with
 * dir, the down scripts the files hold now (for a down script fixed after
 * apply).  Error CONTEXT names "0002_x.sql (stored down script)" and the line
 * within that script, or the down file and its line.
 *
 * Who they run as: the role that applied the migration (applied_by), stored
 * or from dir alike, switched to as for a SECURITY DEFINER function
 * (access.c).  The caller must be a member of every such role in range; the
 * history row is deleted afterwards as the extension's owner (history.c).
 *
 * Order of work, as in apply(): list the directory (with dir); take the
 * target schema's advisory lock (lock.c) and check the snapshot (history.c); read the
 * history once; choose the range; check that the caller may act as the role
 * that applied each migration in it; make sure every one has a down script
 * (an error names each one that does not); read, scan, parse and check every
 * down script.  Only then does anything run.  Each migration is then read
 * again, run in the caller's transaction with search_path set to the target
 * schema, as the role that applied it, and its history row deleted, in a
 * memory context reset after it.
 *
 * rollback() does all of it in the caller's transaction, so it refuses a
 * down script that cannot run inside a transaction block (DROP INDEX
 * CONCURRENTLY, ...) before anything runs.  The procedure rollback_each()
 * holds the lock at session level, as migrate() does, commits after each
 * migration undone, and runs such a down script outside any transaction in
 * a background worker (worker.c), as the role that applied it.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/rollback.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "migration.h"

/* One migration to undo. */
typedef struct RollbackTarget
{
	const HistoryRow *row;
	const MigrationFile *file;	/* with dir: its entry in the directory */
	Oid			role;			/* its down script runs as this role */
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];	/* of the checked down
														 * script */
	bool		non_transactional;	/* its down script cannot run in a
									 * transaction */
} RollbackTarget;

/* A rollback under way: its options, directory, history and range. */
typedef struct Rollback
{
	const RollbackOptions *options;
	MigrationDir *dir;			/* NULL: stored down scripts */
	History    *history;
	int			ntargets;
	RollbackTarget *targets;	/* newest first */
} Rollback;

static void
check_options(const RollbackOptions *options)
{
	schemata_check_target_schema(options->target_schema);
	if (options->has_steps && options->to_version != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps and to_version cannot both be given"),
				 errhint("Pass steps to undo the last n migrations, or to_version to undo every migration above a version.")));
	if (options->has_steps && options->steps <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must be greater than zero"),
				 errdetail("The value given is %d.", options->steps)));
}

static void
add_target(Rollback *rb, const HistoryRow *row)
{
	rb->targets[rb->ntargets++].row = row;
}

/* The history rows of the last batch, newest first. */
static void
select_last_batch(Rollback *rb)
{
	const History *history = rb->history;

	if (history->max_batch == SCHEMATA_BASELINE_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" has only baseline migrations",
						rb->options->target_schema),
				 errdetail("Without steps or to_version, rollback() undoes the last batch that apply() ran, and baseline() ran none."),
				 errhint("Pass steps or to_version to undo baseline migrations.")));
	for (int i = history->nrows - 1; i >= 0; i--)
		if (history->rows[i].batch == history->max_batch)
			add_target(rb, &history->rows[i]);
}

/* The last "steps" history rows, newest first. */
static void
select_last_steps(Rollback *rb)
{
	const History *history = rb->history;
	int			steps = rb->options->steps;

	/* refused before: steps must be greater than zero */
	Assert(rb->options->has_steps && steps > 0);
	if (steps > history->nrows)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg_plural("steps is %d, but schema \"%s\" has only %d applied migration",
							   "steps is %d, but schema \"%s\" has only %d applied migrations",
							   history->nrows, steps, rb->options->target_schema, history->nrows),
				 errhint("Pass steps => %d to undo all of them.", history->nrows)));
	for (int i = history->nrows - 1; i >= history->nrows - steps; i--)
		add_target(rb, &history->rows[i]);
}

/*
 * Every history row above to_version, newest first, whether or not
 * to_version itself is applied (PGRestify's --rollback-to <date>).
 */
static void
select_above_version(Rollback *rb)
{
	const History *history = rb->history;
	MigrationVersion to = schemata_version_argument("to_version", rb->options->to_version);

	for (int i = history->nrows - 1;
		 i >= 0 && schemata_version_cmp(&history->rows[i].version, &to) > 0; i--)
		add_target(rb, &history->rows[i]);
}

static void
select_range(Rollback *rb)
{
	if (rb->history->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" has no applied migrations to roll back",
						rb->options->target_schema)));
	rb->targets = palloc0(sizeof(RollbackTarget) * rb->history->nrows);
	if (rb->options->has_steps)
		select_last_steps(rb);
	else if (rb->options->to_version != NULL)
		select_above_version(rb);
	else
		select_last_batch(rb);
}

/* With dir: every migration in range must have a file in it. */
static void
find_files(Rollback *rb)
{
	List	   *missing = NIL;

	for (int i = 0; i < rb->ntargets; i++)
	{
		RollbackTarget *target = &rb->targets[i];

		target->file = schemata_find_migration(rb->dir, &target->row->version);
		if (target->file == NULL)
			missing = lappend(missing, target->row->name);
	}
	if (missing != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg_plural("%d migration to roll back has no file in the migration directory",
							   "%d migrations to roll back have no file in the migration directory",
							   list_length(missing), list_length(missing)),
				 schemata_errdetail_missing_files(missing),
				 errhint("Leave out dir to use the down scripts recorded when they were applied.")));
}

/*
 * Every down script in range runs as the role that applied its migration:
 * find each, and refuse the whole rollback unless the caller may act as all.
 */
static void
find_down_script_roles(Rollback *rb)
{
	for (int i = 0; i < rb->ntargets; i++)
		rb->targets[i].role = schemata_down_script_role(rb->targets[i].row);
}

/*
 * The down script of a migration to undo, stored or from its file(s), in the
 * current memory context.  Returns false when it has none.
 */
static bool
read_down_script(const Rollback *rb, const RollbackTarget *target, Script *script)
{
	MigrationScripts scripts;
	char	   *sql;

	if (rb->dir == NULL)
	{
		sql = schemata_load_down_sql(rb->options->target_schema, target->row);
		if (sql == NULL)
			return false;
		schemata_script_from_text(script,
								  psprintf("%s (stored down script)", target->row->name), sql);
		return true;
	}
	schemata_read_migration(rb->dir, target->file, &scripts);
	if (!scripts.has_down)
		return false;
	*script = scripts.down;
	return true;
}

/* Every migration in range must have a down script: else name each. */
static void
check_down_scripts_exist(Rollback *rb, MemoryContext work)
{
	List	   *lacking = NIL;

	for (int i = 0; i < rb->ntargets; i++)
	{
		MemoryContext outer = MemoryContextSwitchTo(work);
		Script		script;
		bool		has_down = read_down_script(rb, &rb->targets[i], &script);

		MemoryContextSwitchTo(outer);
		MemoryContextReset(work);
		if (!has_down)
			lacking = lappend(lacking, rb->targets[i].row->name);
		CHECK_FOR_INTERRUPTS();
	}
	if (lacking == NIL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_plural("cannot roll back %d migration: it has no down script",
						   "cannot roll back %d migrations: they have no down script",
						   list_length(lacking), list_length(lacking)),
			 errdetail("Without a down script: %s. Nothing was rolled back.",
					   schemata_join_names(lacking))));
}

/*
 * rollback() undoes every migration in one transaction: a down script that
 * cannot run in one is refused before anything runs.
 */
static void
refuse_non_transactional(const Script *down)
{
	if (down->non_transactional_line > 0)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", down->non_transactional),
				 errdetail("It is at line %d of the down script in migration file \"%s\". rollback() undoes all its migrations in one transaction. Nothing was rolled back.",
						   down->non_transactional_line, down->file),
				 errhint("Use CALL schemata.rollback_each(...), which runs such a down script outside a transaction.")));
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("down script in migration file \"%s\" cannot run inside a transaction block",
					down->file),
			 errdetail("%s says so. rollback() undoes all its migrations in one transaction. Nothing was rolled back.",
					   down->non_transactional),
			 errhint("Use CALL schemata.rollback_each(...), which runs such a down script outside a transaction.")));
}

/*
 * Read, scan, parse and check every down script; keep its checksum and
 * whether it is non-transactional (refused with one_transaction).
 */
static void
check_down_scripts(Rollback *rb, MemoryContext work, bool one_transaction)
{
	for (int i = 0; i < rb->ntargets; i++)
	{
		RollbackTarget *target = &rb->targets[i];
		MemoryContext outer = MemoryContextSwitchTo(work);
		Script		script;

		(void) read_down_script(rb, target, &script);
		schemata_scan_script(&script);
		schemata_parse_script(&script, true);
		target->non_transactional = script.non_transactional != NULL;
		if (target->non_transactional && one_transaction)
			refuse_non_transactional(&script);
		MemoryContextSwitchTo(outer);
		memcpy(target->checksum, script.checksum, sizeof(target->checksum));
		MemoryContextReset(work);
		CHECK_FOR_INTERRUPTS();
	}
}

/* A migration's down script, read again, checked unchanged and parsed. */
static void
take_down_script(const Rollback *rb, const RollbackTarget *target, Script *script)
{
	(void) read_down_script(rb, target, script);
	schemata_scan_script(script);
	if (strcmp(script->checksum, target->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("down script \"%s\" changed while it was being rolled back",
						script->file)));
	schemata_parse_script(script, false);
}

/*
 * Run one migration's down script and delete its history row.  A
 * non-transactional one runs in a background worker: the script is read
 * first (the stored one with a query), then the transaction committed, so
 * that this backend holds nothing while the worker runs.
 */
static double
rollback_one(const Rollback *rb, const RollbackTarget *target)
{
	Script		script;
	double		duration_ms;

	take_down_script(rb, target, &script);
	if (target->non_transactional)
	{
		SPI_commit();
		duration_ms = schemata_run_outside_transaction(&script, rb->options->target_schema,
													   target->role);
	}
	else
		duration_ms = schemata_run_script_as(&script, rb->options->target_schema, target->role);
	schemata_delete_migration(rb->options->target_schema, target->row);
	return duration_ms;
}

static void
report_nothing_to_roll_back(const Rollback *rb)
{
	ereport(NOTICE,
			(errmsg("nothing to roll back: schema \"%s\" is at version %s",
					rb->options->target_schema,
					schemata_history_latest(rb->history)->version.text)));
}

/*
 * Choose the migrations to undo from the history, read now, and check their
 * down scripts (refusing non-transactional ones with one_transaction).
 * Returns false when there is nothing to undo.  The lock is held.
 */
static bool
plan_rollback(Rollback *rb, const RollbackOptions *options, MemoryContext work,
			  bool one_transaction)
{
	rb->history = schemata_load_history(options->target_schema);
	select_range(rb);
	if (rb->ntargets == 0)
	{
		report_nothing_to_roll_back(rb);
		return false;
	}
	find_down_script_roles(rb);
	if (rb->dir != NULL)
		find_files(rb);
	check_down_scripts_exist(rb, work);
	check_down_scripts(rb, work, one_transaction);
	return true;
}

/* Undo one planned migration in the memory context "work"; its NOTICE. */
static double
rollback_step(const Rollback *rb, const RollbackTarget *target, MemoryContext work)
{
	MemoryContext outer = MemoryContextSwitchTo(work);
	double		duration_ms = rollback_one(rb, target);

	MemoryContextSwitchTo(outer);
	MemoryContextReset(work);
	ereport(NOTICE,
			(errmsg("rolled back migration \"%s\"", target->row->name)));
	return duration_ms;
}

/*
 * rollback(): undo the chosen migrations, newest first, in this transaction,
 * under the lock.
 */
void
schemata_rollback_migrations(const RollbackOptions *options, RolledBackCallback callback,
							 void *arg)
{
	Rollback	rb = {0};
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata rollback",
											   ALLOCSET_DEFAULT_SIZES);

	check_options(options);
	rb.options = options;
	if (options->dir != NULL)
		rb.dir = schemata_scan_directory("dir", options->dir);
	schemata_lock_target(options->target_schema);
	schemata_check_history_snapshot(options->target_schema);
	if (plan_rollback(&rb, options, work, true))
		for (int i = 0; i < rb.ntargets; i++)
			callback(rb.targets[i].row, rollback_step(&rb, &rb.targets[i], work), arg);
	MemoryContextDelete(work);
}

/* rollback_each() under the lock: each migration undone and committed. */
static void
rollback_each_locked(const RollbackOptions *options)
{
	Rollback	rb = {0};
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata rollback",
											   ALLOCSET_DEFAULT_SIZES);

	rb.options = options;
	if (options->dir != NULL)
		rb.dir = schemata_scan_directory("dir", options->dir);
	/* a new transaction, so the history is read with a snapshot taken now */
	SPI_commit();
	if (plan_rollback(&rb, options, work, false))
		for (int i = 0; i < rb.ntargets; i++)
		{
			(void) rollback_step(&rb, &rb.targets[i], work);
			SPI_commit();
		}
	MemoryContextDelete(work);
}

/*
 * rollback_each(): rollback() with a commit after each migration undone,
 * under the target schema's session-level lock (as migrate() holds it); a
 * non-transactional down script runs outside any transaction, in a
 * background worker.  Needs a non-atomic SPI connection.
 */
void
schemata_rollback_committing(const RollbackOptions *options)
{
	check_options(options);
	schemata_lock_target_session(options->target_schema);
	PG_TRY();
	{
		rollback_each_locked(options);
	}
	PG_FINALLY();
	{
		schemata_unlock_target_session(options->target_schema);
	}
	PG_END_TRY();
}
