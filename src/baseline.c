/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  Recording migrations in the history without running them: baseline()
 *	  adopts a database whose schema already holds them, repair() re-records
 *	  the checksums and down scripts of applied migrations from their files.
 *
 * Baseline rows carry batch 0 (SCHEMATA_BASELINE_BATCH, see history.c).
 * With a directory, every migration of it up to the version that is not in
 * the history yet is recorded, with its name, checksum and down script; the
 * version must be one of the directory's.  Without one, a single row is
 * recorded for the version itself, named after it, with no checksum (never
 * checked for drift) and no down script.  Either way the history must not
 * hold the version or any above it.
 *
 * Both take the target schema's advisory lock before reading the history,
 * as apply() does, and check every migration they record, up and down
 * script, as apply() checks a pending one (schemata_check_migration): a file
 * apply() would refuse is not recorded as applied either, and down scripts
 * may be run by rollback().
 *
 * Who.  Rows are recorded with applied_by the calling role, whose
 * privileges their down scripts will run with.  repair() changes only rows
 * applied by a role the caller is a member of (superusers: all), the rule
 * rollback() follows to run a down script as that role; it leaves the others
 * as recorded and says so in a WARNING, and says in a NOTICE when it
 * records, replaces or removes a down script.  (That the caller may write
 * the target schema's history at all is checked before, see access.c.)
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/baseline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "migration.h"

static void
lock_and_check_snapshot(const char *target_schema)
{
	schemata_lock_target(target_schema);
	schemata_check_history_snapshot(target_schema);
}

/* baseline() refuses when the history holds the version or one above. */
static void
check_no_rows_from(const char *target_schema, const History *history,
				   const MigrationVersion *version)
{
	const HistoryRow *latest = schemata_history_latest(history);

	if (latest != NULL && schemata_version_cmp(&latest->version, version) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" already has applied migrations at or above version %s",
						target_schema, version->text),
				 errdetail("The latest applied migration is \"%s\", version %s.",
						   latest->name, latest->version.text),
				 errhint("A baseline records migrations up to a version above every applied one.")));
}

/*
 * Queue a baseline row for one migration of a directory, recorded as applied
 * without running it: its scripts are read and checked as apply checks them,
 * and the row gets the up script's checksum and the down script.  The work is
 * done in "work", reset before returning.  Returns the checksum, in the
 * caller's memory context.
 */
char *
schemata_baseline_file(HistoryQueue *queue, const MigrationDir *dir, const MigrationFile *file,
					   MemoryContext work)
{
	MemoryContext outer = MemoryContextSwitchTo(work);
	MigrationScripts scripts;
	char	   *checksum;

	schemata_check_migration(dir, file, &scripts, false);
	schemata_queue_baseline(queue, file->version.text, file->name, scripts.up.checksum,
							scripts.has_down ? scripts.down.sql : NULL);
	MemoryContextSwitchTo(outer);
	checksum = pstrdup(scripts.up.checksum);
	MemoryContextReset(work);
	return checksum;
}

/* Record every migration of dir up to "upto" that the history lacks. */
static int
record_directory_baseline(const char *target_schema, const MigrationDir *dir,
						  const History *history, const MigrationVersion *upto)
{
	MergeCursor cursor = {dir, history, 0, 0};
	const MigrationFile *file;
	const HistoryRow *row;
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata baseline",
											   ALLOCSET_DEFAULT_SIZES);
	HistoryQueue *queue = schemata_history_queue(target_schema);
	int			recorded = 0;

	while (schemata_merge_next(&cursor, &file, &row))
	{
		CHECK_FOR_INTERRUPTS();
		if (file == NULL || row != NULL)
			continue;
		if (schemata_version_cmp(&file->version, upto) > 0)
			break;
		(void) schemata_baseline_file(queue, dir, file, work);
		recorded++;
	}
	schemata_flush_history(queue);
	MemoryContextDelete(work);
	return recorded;
}

/*
 * baseline(): record migrations up to "version" as applied without running
 * them.  Returns how many rows were recorded.
 */
int
schemata_baseline_migrations(const char *version, const char *target_schema, const char *dir)
{
	MigrationVersion upto;
	MigrationDir *migrations = NULL;
	History    *history;
	HistoryQueue *queue;

	schemata_check_target_schema(target_schema);
	upto = schemata_version_argument("version", version);
	if (dir != NULL)
	{
		const MigrationFile *file;

		migrations = schemata_scan_directory("dir", dir);
		file = schemata_find_migration(migrations, &upto);
		if (file == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no migration in dir has version %s", version),
					 errhint("With dir, version must be the version of one of the directory's migrations; schemata.status(dir) lists them.")));
		upto = file->version;
	}
	lock_and_check_snapshot(target_schema);
	history = schemata_load_history(target_schema);
	check_no_rows_from(target_schema, history, &upto);

	if (migrations != NULL)
		return record_directory_baseline(target_schema, migrations, history, &upto);
	queue = schemata_history_queue(target_schema);
	schemata_queue_baseline(queue, upto.text, upto.text, NULL, NULL);
	schemata_flush_history(queue);
	return 1;
}

static void
report_missing_files(const char *target_schema, List *missing)
{
	if (missing == NIL)
		return;
	ereport(NOTICE,
			(errmsg_plural("%d applied migration of schema \"%s\" has no file and was left as recorded",
						   "%d applied migrations of schema \"%s\" have no file and were left as recorded",
						   list_length(missing), list_length(missing), target_schema),
			 schemata_errdetail_missing_files(missing)));
}

/* What repair_row() did with a history row. */
typedef enum RepairOutcome
{
	ROW_UNCHANGED,				/* it matches its file */
	ROW_REFUSED,				/* it differs, but the caller may not change
								 * it */
	ROW_CHANGED,				/* name or checksum changed, down script kept */
	/* the ones below change the down script too */
	ROW_DOWN_RECORDED,			/* changed, with a down script where it had
								 * none */
	ROW_DOWN_REPLACED,			/* changed, with another down script */
	ROW_DOWN_REMOVED			/* changed, without the down script it had */
} RepairOutcome;

/* A row whose down script repair() changed, for the NOTICE about it. */
typedef struct DownScriptChange
{
	const char *name;			/* the migration's name, as now recorded */
	const char *applied_by;
	RepairOutcome outcome;
} DownScriptChange;

/* How a row changes when its down script goes from "recorded" to "down_sql". */
static RepairOutcome
down_script_outcome(const char *recorded, const char *down_sql)
{
	if (schemata_same_text(recorded, down_sql))
		return ROW_CHANGED;
	if (recorded == NULL)
		return ROW_DOWN_RECORDED;
	return down_sql == NULL ? ROW_DOWN_REMOVED : ROW_DOWN_REPLACED;
}

/*
 * Re-record one applied migration from its file, if it differs and the
 * caller may act as the role that applied it (as rollback() runs its down
 * script as that role).
 */
static RepairOutcome
repair_row(const char *target_schema, const MigrationDir *migrations,
		   const MigrationFile *file, const HistoryRow *row)
{
	MigrationScripts scripts;
	const char *down_sql;
	char	   *recorded_down;

	schemata_check_migration(migrations, file, &scripts, false);
	down_sql = scripts.has_down ? scripts.down.sql : NULL;
	recorded_down = schemata_load_down_sql(target_schema, row);
	if (strcmp(row->name, file->name) == 0 &&
		schemata_same_text(row->checksum, scripts.up.checksum) &&
		schemata_same_text(recorded_down, down_sql))
		return ROW_UNCHANGED;
	if (!schemata_may_act_as(row->applied_by))
		return ROW_REFUSED;
	(void) schemata_update_recorded(target_schema, row, file->name, scripts.up.checksum,
									down_sql);
	return down_script_outcome(recorded_down, down_sql);
}

static void
report_down_script_changes(List *changes)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		const DownScriptChange *change = lfirst(lc);

		if (change->outcome == ROW_DOWN_REMOVED)
			ereport(NOTICE,
					(errmsg("removed the down script of migration \"%s\"", change->name)));
		else
			ereport(NOTICE,
					(change->outcome == ROW_DOWN_RECORDED ?
					 errmsg("recorded a down script for migration \"%s\"", change->name) :
					 errmsg("replaced the down script of migration \"%s\"", change->name),
					 errdetail("rollback() runs it as role \"%s\", which applied the migration.",
							   change->applied_by)));
	}
}

static void
report_refused_rows(const char *target_schema, List *refused)
{
	if (refused == NIL)
		return;
	ereport(WARNING,
			(errmsg_plural("%d applied migration of schema \"%s\" was left as recorded: it was applied by a role the current user is not a member of",
						   "%d applied migrations of schema \"%s\" were left as recorded: they were applied by roles the current user is not a member of",
						   list_length(refused), list_length(refused), target_schema),
			 errdetail("Left as recorded: %s.", schemata_join_names(refused)),
			 errhint("Only a member of the role that applied a migration, or a superuser, may change its history row.")));
}

/*
 * repair(): re-record the name, checksum and down script of every applied
 * migration whose file exists, among those the caller may change.  Returns
 * how many rows changed.
 */
int
schemata_repair_history(const char *dir, const char *target_schema)
{
	MigrationDir *migrations;
	History    *history;
	MergeCursor cursor;
	const MigrationFile *file;
	const HistoryRow *row;
	List	   *missing = NIL;
	List	   *refused = NIL;
	List	   *down_changes = NIL;
	MemoryContext work;
	int			changed = 0;

	schemata_check_target_schema(target_schema);
	migrations = schemata_scan_directory("dir", dir);
	lock_and_check_snapshot(target_schema);
	history = schemata_load_history(target_schema);

	cursor.dir = migrations;
	cursor.history = history;
	cursor.next_file = 0;
	cursor.next_row = 0;
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata repair",
								 ALLOCSET_DEFAULT_SIZES);
	while (schemata_merge_next(&cursor, &file, &row))
	{
		MemoryContext outer;
		RepairOutcome outcome;

		CHECK_FOR_INTERRUPTS();
		if (row == NULL)
			continue;
		if (file == NULL)
		{
			missing = lappend(missing, row->name);
			continue;
		}
		outer = MemoryContextSwitchTo(work);
		outcome = repair_row(target_schema, migrations, file, row);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(work);
		if (outcome == ROW_REFUSED)
			refused = lappend(refused, psprintf("%s (applied by %s)", row->name,
												quote_identifier(row->applied_by)));
		else if (outcome != ROW_UNCHANGED)
			changed++;
		if (outcome > ROW_CHANGED)
		{
			DownScriptChange *change = palloc(sizeof(DownScriptChange));

			change->name = file->name;
			change->applied_by = row->applied_by;
			change->outcome = outcome;
			down_changes = lappend(down_changes, change);
		}
	}
	MemoryContextDelete(work);
	report_down_script_changes(down_changes);
	report_missing_files(target_schema, missing);
	report_refused_rows(target_schema, refused);
	return changed;
}
