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
 * IDENTIFICATION
 *	  src/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "schemata.h"

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
 * Report every migration of the target schema in version order: from history
 * alone when dir is NULL, else from history and directory.
 */
void
schemata_report_status(const char *dir, const char *target_schema,
					   StatusCallback callback, void *arg)
{
	MigrationDir *migrations = NULL;
	History    *history;
	MergeCursor cursor;
	const MigrationFile *file;
	const HistoryRow *row;
	MemoryContext per_row;

	schemata_check_target_schema(target_schema);
	if (dir != NULL)
		migrations = schemata_scan_directory("dir", dir);
	history = schemata_load_history(target_schema);
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
		const char *state;
		char		checksum[SCHEMATA_CHECKSUM_LEN + 1];

		CHECK_FOR_INTERRUPTS();
		state = migration_state(migrations, history, file, row);
		if (row == NULL)
			schemata_migration_checksum(migrations, file, checksum);
		callback(file, row, state, row ? row->checksum : checksum, arg);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(per_row);
	}
	schemata_report_repeatables(migrations, history, callback, arg);
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
