/*-------------------------------------------------------------------------
 *
 * repeatable.c
 *	  Flyway's repeatable migrations ("R__<description>.sql"): the files of a
 *	  directory, their history rows, which are pending, how status shows
 *	  them.
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
 * IDENTIFICATION
 *	  src/repeatable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"

#include "migration.h"

/* What every repeatable migration's name starts with. */
#define REPEATABLE_PREFIX "R__"

/* Whether a directory entry's name, or a history row's version, is one. */
bool
schemata_is_repeatable(const char *name)
{
	return strncmp(name, REPEATABLE_PREFIX, strlen(REPEATABLE_PREFIX)) == 0;
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The directory's repeatable migrations, from the names of its R__ files:
 * in name order, each its own up script, its version text its name without
 * ".sql".
 */
void
schemata_collect_repeatables(MigrationDir *dir, List *names)
{
	ListCell   *lc;

	list_sort(names, compare_names);
	dir->nrepeatables = list_length(names);
	dir->repeatables = palloc0(sizeof(MigrationFile) * Max(dir->nrepeatables, 1));
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);
		MigrationFile *file = &dir->repeatables[foreach_current_index(lc)];

		file->form = MIGRATION_FILE;
		file->name = name;
		file->up_file = name;
		file->version.text = pnstrdup(name, strlen(name) - strlen(".sql"));
	}
}

/* Whether a migration of a directory is one of its repeatable ones. */
bool
schemata_file_is_repeatable(const MigrationDir *dir, const MigrationFile *file)
{
	return file >= dir->repeatables && file < dir->repeatables + dir->nrepeatables;
}

static int
history_row_name_cmp(const void *a, const void *b)
{
	return strcmp(((const HistoryRow *) a)->version.text,
				  ((const HistoryRow *) b)->version.text);
}

/*
 * Move the rows of repeatable migrations out of history->rows, whose
 * versions are not parsed yet, into history->repeatables, sorted by name.
 */
void
schemata_split_repeatable_rows(History *history)
{
	int			kept = 0;
	int			n = 0;

	for (int i = 0; i < history->nrows; i++)
		if (schemata_is_repeatable(history->rows[i].version.text))
			n++;
	history->nrepeatables = n;
	history->repeatables = palloc(sizeof(HistoryRow) * Max(n, 1));
	if (n == 0)
		return;
	n = 0;
	for (int i = 0; i < history->nrows; i++)
	{
		if (schemata_is_repeatable(history->rows[i].version.text))
			history->repeatables[n++] = history->rows[i];
		else
			history->rows[kept++] = history->rows[i];
	}
	history->nrows = kept;
	qsort(history->repeatables, n, sizeof(HistoryRow), history_row_name_cmp);
}

/* The history row of a repeatable migration, by its version text, or NULL. */
static const HistoryRow *
repeatable_row(const History *history, const char *key)
{
	HistoryRow	probe;

	if (history->nrepeatables == 0)
		return NULL;
	probe.version.text = (char *) key;
	return bsearch(&probe, history->repeatables, history->nrepeatables, sizeof(HistoryRow),
				   history_row_name_cmp);
}

/* Whether a repeatable migration is pending: new, or changed since it ran. */
bool
schemata_repeatable_pending(const MigrationDir *dir, const History *history,
							const MigrationFile *file)
{
	const HistoryRow *row = repeatable_row(history, file->version.text);
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
	row = repeatable_row(history, file->version.text);
	if (row != NULL)
		schemata_delete_migration(target_schema, row);
}

/*
 * status(): after the versioned migrations, the repeatable ones in name
 * order, from directory and history: applied; pending (new, or changed since
 * it ran); missing (a row without its file, when dir is given).
 */
void
schemata_report_repeatables(const MigrationDir *dir, const History *history,
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
