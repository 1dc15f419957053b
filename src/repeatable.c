/*-------------------------------------------------------------------------
 *
 * repeatable.c
 *	  Flyway's repeatable migrations ("R__<description>.sql"): which are
 *	  pending, the row a new run replaces, how status shows them.
 *
 * A repeatable migration has no version.  apply() and migrate() run the
 * pending ones after the versioned migrations of a call without to_version
 * (one with it stops at a version, and they wait), in name order (Flyway's
 * description order), each recorded like a migration of the call.
 * One is pending when it has no history row or its file's checksum is not
 * the one recorded: a changed repeatable migration is not drift, it runs
 * again and its row is replaced.
 *
 * Its history row's version is its file name without ".sql"
 * ("R__views"), which no version can be (a version starts with a digit).
 * Such rows are kept apart from the others (History.repeatables), as the
 * files are (MigrationDir.repeatables): versions, version(), drift,
 * rollback(), baseline() and repair() never see them.  A repeatable
 * migration has no down script and is never undone.  Its checksum is not
 * kept in the checksum cache (checksums.c keeps one per versioned file): its
 * file is read by every call that looks at it.
 *
 * Layers.  The directory's R__ files are collected by the scan (dirscan.c:
 * schemata_is_repeatable(), schemata_file_is_repeatable()), their rows set
 * apart when the history is loaded (history.c: schemata_repeatable_row());
 * this file sits above both and the checksums (checksums.c).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/repeatable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"

#include "migration.h"

/* Whether a repeatable migration is pending: new, or changed since it ran. */
bool
schemata_repeatable_pending(const MigrationDir *dir, const History *history,
							const MigrationFile *file)
{
	const HistoryRow *row = schemata_repeatable_row(history, file->version.text);
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];

	if (row == NULL || row->checksum == NULL)
		return true;
	schemata_migration_checksum(dir, file, checksum);
	return strcmp(checksum, row->checksum) != 0;
}

/*
 * Before a repeatable migration that ran is recorded again: delete the row
 * of its previous run.
 */
void
schemata_forget_repeatable(const char *target_schema, const MigrationDir *dir,
						   const History *history, const MigrationFile *file)
{
	const HistoryRow *row;

	if (!schemata_file_is_repeatable(dir, file))
		return;
	row = schemata_repeatable_row(history, file->version.text);
	if (row != NULL)
		schemata_delete_migration(target_schema, row);
}
