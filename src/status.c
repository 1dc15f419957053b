/*-------------------------------------------------------------------------
 *
 * status.c
 *	  What status() and version() report: every migration known from the
 *	  history and the directory, with its state.
 *
 * States: applied; modified (applied, but the file's checksum changed);
 * missing (applied, file gone); pending; out_of_order (pending, but older than
 * the newest applied migration).  Status takes no lock: it reads the history
 * as a new snapshot sees it in READ COMMITTED (what has committed by then),
 * as the transaction's snapshot does in REPEATABLE READ and SERIALIZABLE.
 *
 * Beside the state: whether a pending migration is non-transactional (from
 * its files), and why the down script that rollback would run fails the
 * checks (a pending migration's file, an applied one's stored down_sql).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "migration.h"

/* The state of a migration that history or directory or both know of. */
static const char *
migration_state(const MigrationDir *dir, const History *history,
				const MigrationFile *file, const HistoryRow *row)
{
	const HistoryRow *latest = schemata_history_latest(history);
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];

	if (row == NULL && schemata_covered_by_baseline(history, file))
		return "applied";
	if (row == NULL)
		return (latest != NULL && schemata_version_cmp(&file->version, &latest->version) < 0)
			? "out_of_order" : "pending";
	if (dir == NULL)
		return "applied";
	if (file == NULL)
		return "missing";
	if (row->checksum == NULL)
		return "applied";
	schemata_migration_checksum(dir, file, checksum);
	return strcmp(checksum, row->checksum) == 0 ? "applied" : "modified";
}

/*
 * The stored down scripts of a target schema that fail the checks, sorted by
 * version: what rollback() would refuse to run.
 */
typedef struct DownProblem
{
	MigrationVersion version;
	char	   *problem;
} DownProblem;

typedef struct DownProblems
{
	MemoryContext cxt;			/* of the list */
	MemoryContext per_row;		/* reset after each down script */
	List	   *problems;		/* of DownProblem */
} DownProblems;

/* Check one stored down script as it is received, keeping only a problem. */
static void
receive_down_script(TupleTableSlot *slot, void *arg)
{
	DownProblems *receiver = (DownProblems *) arg;
	MemoryContext outer = MemoryContextSwitchTo(receiver->per_row);
	Script		down;
	char	   *problem;

	CHECK_FOR_INTERRUPTS();
	slot_getallattrs(slot);
	schemata_script_from_text(&down,
							  psprintf("%s (stored down script)",
									   TextDatumGetCString(slot->tts_values[1])),
							  TextDatumGetCString(slot->tts_values[2]));
	problem = schemata_down_script_problem(&down);
	if (problem != NULL)
	{
		DownProblem *entry;

		MemoryContextSwitchTo(receiver->cxt);
		entry = palloc(sizeof(DownProblem));
		entry->version.text = TextDatumGetCString(slot->tts_values[0]);
		entry->problem = pstrdup(problem);
		receiver->problems = lappend(receiver->problems, entry);
	}
	MemoryContextSwitchTo(outer);
	MemoryContextReset(receiver->per_row);
}

static int
down_problem_cmp(const ListCell *a, const ListCell *b)
{
	return schemata_version_cmp(&((const DownProblem *) lfirst(a))->version,
								&((const DownProblem *) lfirst(b))->version);
}

/*
 * Check every stored down script of the target schema, one at a time as the
 * query returns them; the problems found, sorted by version.
 */
static List *
stored_down_problems(const char *target_schema)
{
	DownProblems receiver;
	ListCell   *lc;

	receiver.cxt = CurrentMemoryContext;
	receiver.per_row = AllocSetContextCreate(CurrentMemoryContext, "schemata down script",
											 ALLOCSET_DEFAULT_SIZES);
	receiver.problems = NIL;
	(void) schemata_select_as_owner("SELECT version, name, down_sql FROM schemata.migrations"
									" WHERE target_schema OPERATOR(pg_catalog.=) $1"
									" AND down_sql IS NOT NULL",
									target_schema, receive_down_script, &receiver);
	MemoryContextDelete(receiver.per_row);
	foreach(lc, receiver.problems)
	{
		DownProblem *entry = lfirst(lc);

		if (!schemata_version_from_text(entry->version.text, &entry->version))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("history of schema \"%s\" holds the invalid version \"%s\"",
							target_schema, entry->version.text)));
	}
	list_sort(receiver.problems, down_problem_cmp);
	return receiver.problems;
}

/*
 * The problem of a history row's stored down script, or NULL; *next walks
 * the sorted problems as the rows come in version order.
 */
static const char *
row_down_problem(const List *problems, int *next, const HistoryRow *row)
{
	while (*next < list_length(problems))
	{
		const DownProblem *entry = list_nth(problems, *next);
		int			cmp = schemata_version_cmp(&entry->version, &row->version);

		if (cmp > 0)
			break;
		(*next)++;
		if (cmp == 0)
			return entry->problem;
	}
	return NULL;
}

/*
 * What a pending migration's files say: whether its up script cannot run in
 * a transaction (unknown when it fails the checks, unless a marker says so)
 * and why its down script fails the checks.  No WARNING: status() shows it.
 */
static void
pending_details(const MigrationDir *dir, const MigrationFile *file, MigrationStatus *status)
{
	MigrationScripts scripts;

	schemata_read_migration(dir, file, &scripts);
	status->non_transactional_known = schemata_script_passes_checks(&scripts.up) ||
		scripts.up.non_transactional != NULL;
	status->non_transactional = scripts.up.non_transactional != NULL;
	if (scripts.has_down)
		status->down_problem = schemata_down_script_problem(&scripts.down);
}

/*
 * status(): after the versioned migrations, the repeatable ones in name
 * order, from directory and history: applied; pending (new, or changed since
 * it ran); missing (a row without its file, when dir is given).
 */
static void
report_repeatables(const MigrationDir *dir, const History *history,
				   StatusCallback callback, void *arg)
{
	int			nfiles = dir ? dir->nrepeatables : 0;
	int			f = 0;
	int			r = 0;

	while (f < nfiles || r < history->nrepeatables)
	{
		const MigrationFile *file = f < nfiles ? &dir->repeatables[f] : NULL;
		const HistoryRow *row = r < history->nrepeatables ? &history->repeatables[r] : NULL;
		char		checksum[SCHEMATA_CHECKSUM_LEN + 1];
		MigrationStatus status;
		int			cmp;

		CHECK_FOR_INTERRUPTS();
		cmp = file == NULL ? 1 : row == NULL ? -1 :
			strcmp(file->version.text, row->version.text);
		if (cmp < 0)
			row = NULL;
		else if (cmp > 0)
			file = NULL;
		f += file != NULL;
		r += row != NULL;

		memset(&status, 0, sizeof(status));
		if (file == NULL)
		{
			status.state = dir ? "missing" : "applied";
			status.checksum = row->checksum;
		}
		else
		{
			schemata_migration_checksum(dir, file, checksum);
			status.state = (row != NULL && schemata_same_text(row->checksum, checksum)) ?
				"applied" : "pending";
			status.checksum = strcmp(status.state, "applied") == 0 ? row->checksum : checksum;
		}
		callback(file, row, &status, arg);
	}
}

/*
 * Report every migration of the target schema in version order: from history
 * alone when dir is NULL, else from history and directory.  An applied
 * migration's down problem is its stored down script's (what rollback
 * runs), found by one pass over the history; a pending one's files are read
 * for its details.  An applied migration's files are not read for whether it
 * is non-transactional (NULL): on a long history that would cost more than
 * the rest of status, for what is past.
 */
void
schemata_report_status(const char *dir, const char *target_schema,
					   StatusCallback callback, void *arg)
{
	MigrationDir *migrations = NULL;
	History    *history;
	List	   *problems;
	int			next_problem = 0;
	MergeCursor cursor;
	const MigrationFile *file;
	const HistoryRow *row;
	MemoryContext per_row;

	schemata_check_target_schema(target_schema);
	if (dir != NULL)
		migrations = schemata_scan_directory("dir", dir);
	history = schemata_load_history(target_schema);
	problems = stored_down_problems(target_schema);
	if (migrations != NULL)
		schemata_load_checksums(migrations, target_schema, false);

	cursor.dir = migrations;
	cursor.history = history;
	cursor.next_file = 0;
	cursor.next_row = 0;
	/* what one row needs is freed after it: thousands of rows reuse memory */
	per_row = AllocSetContextCreate(CurrentMemoryContext, "schemata status row",
									ALLOCSET_DEFAULT_SIZES);
	if (migrations != NULL)
		schemata_open_directory(migrations);
	while (schemata_merge_next(&cursor, &file, &row))
	{
		MemoryContext outer = MemoryContextSwitchTo(per_row);
		MigrationStatus status;
		char		checksum[SCHEMATA_CHECKSUM_LEN + 1];

		CHECK_FOR_INTERRUPTS();
		memset(&status, 0, sizeof(status));
		status.state = migration_state(migrations, history, file, row);
		if (row == NULL)
			schemata_migration_checksum(migrations, file, checksum);
		status.checksum = row ? row->checksum : checksum;
		if (row != NULL)
			status.down_problem = row_down_problem(problems, &next_problem, row);
		else if (!schemata_covered_by_baseline(history, file))
			pending_details(migrations, file, &status);
		callback(file, row, &status, arg);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(per_row);
	}
	report_repeatables(migrations, history, callback, arg);
	if (migrations != NULL)
		schemata_close_directory(migrations);
	MemoryContextDelete(per_row);
}

/* The highest applied version of a target schema, or NULL. */
char *
schemata_current_version(const char *target_schema)
{
	const HistoryRow *latest;

	schemata_check_target_schema(target_schema);
	latest = schemata_history_latest(schemata_load_history(target_schema));
	return latest ? latest->version.text : NULL;
}
