/*-------------------------------------------------------------------------
 *
 * adopt.c
 *	  adopt(): reading another migration tool's history table and recording
 *	  the migrations it says were applied as baseline rows.
 *
 * Tools and their tables, looked up in the target schema first, then in
 * public (where each tool creates its table: the first schema of its
 * connection's search_path):
 *	  dbmate          schema_migrations(version varchar): every row applied
 *	  golang-migrate  schema_migrations(version bigint, dirty boolean): one
 *	                  row, the current version; every file at or below it is
 *	                  applied; dirty is refused
 *	  diesel          __diesel_schema_migrations(version varchar): every row
 *	  sqlx            _sqlx_migrations(version bigint, success boolean):
 *	                  every row; one without success is refused
 *	  Flyway          flyway_schema_history(installed_rank, version, type,
 *	                  script, success): read in installed_rank order; a row
 *	                  without success is refused; SCHEMA rows are skipped, a
 *	                  BASELINE row applies every file up to its version (which
 *	                  needs no file of its own), UNDO_SQL and DELETE
 *	                  rows take back the version's earlier row; a repeatable
 *	                  migration's row (no version) is matched by its script
 *	                  and not recorded: the migration is pending, and runs
 *	                  once more at the next apply (Flyway's checksum of what
 *	                  it ran cannot be compared with the file's)
 *	  Prisma          _prisma_migrations(migration_name, started_at,
 *	                  finished_at, rolled_back_at): rows not rolled back;
 *	                  one not finished is refused; matched by folder name
 *	  Drizzle         drizzle.__drizzle_migrations(created_at bigint): every
 *	                  row, matched to the journal entry whose "when" it holds
 * A version is matched to the file of dir with the same schemata version
 * (diesel's 20170831230457 is the folder 2017-08-31-230457_x, Flyway's 1.1
 * is V1_1__x.sql).
 *
 * The other tool's table belongs to the tenant: it must be a plain table,
 * only the columns listed above are read, each must have one of the types
 * the tool creates, the matched column is cast with pg_catalog.text, the
 * query runs with search_path pinned, row_security off (an error rather
 * than a policy's expression run as the caller) and FROM ONLY.  The table is left as it was.
 *
 * Nothing is recorded unless everything fits: schemata's history of the
 * target schema is empty, every applied version has a file, no file below
 * the highest applied one was skipped, and every file recorded passes the
 * checks apply() makes (schemata_check_migration).  Rows are recorded as
 * baseline() records them: batch 0, applied_by the caller, with checksum and
 * down script from the files, under the target schema's lock.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/adopt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "migration.h"

/* How the other history's rows are matched to the files of dir. */
typedef enum MatchBy
{
	MATCH_VERSION,				/* the file with that version */
	MATCH_NAME,					/* Prisma: the folder with that name */
	MATCH_JOURNAL_WHEN			/* Drizzle: the journal entry with that "when" */
} MatchBy;

/* A column adopt() reads, and the types the tool gives it. */
typedef struct ReadColumn
{
	const char *name;
	const Oid  *types;
	int			ntypes;
} ReadColumn;

static const Oid version_types[] = {TEXTOID, VARCHAROID, BPCHAROID, INT8OID, INT4OID,
INT2OID, NUMERICOID};
static const Oid text_types[] = {TEXTOID, VARCHAROID, BPCHAROID};
static const Oid bool_types[] = {BOOLOID};
static const Oid integer_types[] = {INT8OID, INT4OID, INT2OID, NUMERICOID};
static const Oid time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID};

#define READ_COLUMN(name, types) {name, types, lengthof(types)}

static const ReadColumn version_columns[] = {
	READ_COLUMN("version", version_types)
};
static const ReadColumn golang_columns[] = {
	READ_COLUMN("version", version_types), READ_COLUMN("dirty", bool_types)
};
static const ReadColumn sqlx_columns[] = {
	READ_COLUMN("version", version_types), READ_COLUMN("success", bool_types)
};
static const ReadColumn flyway_columns[] = {
	READ_COLUMN("installed_rank", integer_types), READ_COLUMN("version", text_types),
	READ_COLUMN("type", text_types), READ_COLUMN("script", text_types),
	READ_COLUMN("success", bool_types)
};
static const ReadColumn prisma_columns[] = {
	READ_COLUMN("migration_name", text_types), READ_COLUMN("started_at", time_types),
	READ_COLUMN("finished_at", time_types), READ_COLUMN("rolled_back_at", time_types)
};
static const ReadColumn drizzle_columns[] = {
	READ_COLUMN("created_at", integer_types)
};

/* What adopt() knows of another tool's history table. */
typedef struct OtherTool
{
	const char *name;			/* as given in from_tool */
	const char *table;
	const char *schema;			/* NULL: the target schema, then public */
	MatchBy		match;
	const char *key;			/* the column matched to the files */
	const char *refused;		/* SQL over "t": the row is of a failed
								 * migration; or NULL */
	const char *counted;		/* SQL over "t": the rows that count; or NULL */
	const char *order;			/* the column the rows are read in order of */
	const ReadColumn *columns;	/* every column read, with its types */
	int			ncolumns;
	bool		current_only;	/* one row: the current version */
	bool		shares_table;	/* dbmate's and golang-migrate's have one
								 * name; golang-migrate's has "dirty" */
	bool		flyway;			/* rows have Flyway's type and script */
} OtherTool;

#define TOOL_COLUMNS(columns) columns, lengthof(columns)

static const OtherTool other_tools[] = {
	{"dbmate", "schema_migrations", NULL, MATCH_VERSION, "version", NULL, NULL, "version",
	TOOL_COLUMNS(version_columns), false, true, false},
	{"golang-migrate", "schema_migrations", NULL, MATCH_VERSION, "version", "t.dirty", NULL,
	"version", TOOL_COLUMNS(golang_columns), true, true, false},
	{"diesel", "__diesel_schema_migrations", NULL, MATCH_VERSION, "version", NULL, NULL,
	"version", TOOL_COLUMNS(version_columns), false, false, false},
	{"sqlx", "_sqlx_migrations", NULL, MATCH_VERSION, "version", "NOT t.success", NULL,
	"version", TOOL_COLUMNS(sqlx_columns), false, false, false},
	{"flyway", "flyway_schema_history", NULL, MATCH_VERSION, "version", "NOT t.success", NULL,
	"installed_rank", TOOL_COLUMNS(flyway_columns), false, false, true},
	{"prisma", "_prisma_migrations", NULL, MATCH_NAME, "migration_name",
		"t.finished_at IS NULL", "t.rolled_back_at IS NULL", "started_at",
	TOOL_COLUMNS(prisma_columns), false, false, false},
	{"drizzle", "__drizzle_migrations", "drizzle", MATCH_JOURNAL_WHEN, "created_at", NULL, NULL,
	"created_at", TOOL_COLUMNS(drizzle_columns), false, false, false},
};

#define NUM_OTHER_TOOLS lengthof(other_tools)

/* A tool's history table, found. */
typedef struct OtherTable
{
	const OtherTool *tool;
	Oid			relid;
	char	   *qualified;		/* schema.table, quoted */
} OtherTable;

/* One row of the other history, as read. */
typedef struct OtherRow
{
	char	   *key;			/* of the tool's key column, cast to text;
								 * NULL only in Flyway's rows */
	bool		refused;		/* dirty, or failed */
	char	   *type;			/* Flyway's type ("SQL", "BASELINE", ...) */
	char	   *script;			/* Flyway's script ("V2__x.sql") */
} OtherRow;

/* What the other history says was applied. */
typedef struct OtherHistory
{
	int			nrows;
	OtherRow   *rows;			/* in the tool's order */
} OtherHistory;

/* A migration the other history says was applied. */
typedef struct AppliedEntry
{
	const char *key;			/* NULL: a Flyway repeatable migration */
	const char *script;			/* Flyway's script, or NULL */
	bool		up_to;			/* every file at or below it is applied
								 * (golang-migrate's current version, Flyway's
								 * baseline) */
	bool		file_optional;	/* may have no file of its own (Flyway's
								 * baseline) */
} AppliedEntry;

static const char *
tool_names(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < NUM_OTHER_TOOLS; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", other_tools[i].name);
	return buf.data;
}

static const OtherTool *
tool_by_name(const char *name)
{
	for (int i = 0; i < NUM_OTHER_TOOLS; i++)
		if (strcmp(other_tools[i].name, name) == 0)
			return &other_tools[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized migration tool \"%s\" for argument from_tool", name),
			 errhint("from_tool is one of %s, or NULL to detect the tool from its history table.",
					 tool_names())));
	return NULL;				/* keep compiler quiet */
}

static bool
has_column(Oid relid, const char *column)
{
	return get_attnum(relid, column) != InvalidAttrNumber;
}

/*
 * The tool's table in the schemas it is looked up in, or InvalidOid.  dbmate
 * and golang-migrate share a table name; golang-migrate's has "dirty".
 */
static Oid
find_tool_table(const OtherTool *tool, const char *target_schema, const char **schema,
				bool by_shape)
{
	const char *schemas[2];
	int			nschemas = 0;

	if (tool->schema != NULL)
		schemas[nschemas++] = tool->schema;
	else
	{
		schemas[nschemas++] = target_schema;
		if (strcmp(target_schema, "public") != 0)
			schemas[nschemas++] = "public";
	}
	for (int i = 0; i < nschemas; i++)
	{
		Oid			nsp = get_namespace_oid(schemas[i], true);
		Oid			relid;

		if (!OidIsValid(nsp))
			continue;
		relid = get_relname_relid(tool->table, nsp);
		if (!OidIsValid(relid))
			continue;
		if (by_shape && tool->shares_table &&
			tool->current_only != has_column(relid, "dirty"))
			continue;
		*schema = schemas[i];
		return relid;
	}
	return InvalidOid;
}

static OtherTable *
other_table(const OtherTool *tool, Oid relid, const char *schema)
{
	OtherTable *found = palloc(sizeof(OtherTable));

	found->tool = tool;
	found->relid = relid;
	found->qualified = quote_qualified_identifier(schema, tool->table);
	return found;
}

/* from_tool NULL: the one tool whose table exists. */
static OtherTable *
detect_tool(const char *target_schema)
{
	List	   *found = NIL;
	List	   *described = NIL;
	ListCell   *lc;

	for (int i = 0; i < NUM_OTHER_TOOLS; i++)
	{
		const char *schema;
		Oid			relid = find_tool_table(&other_tools[i], target_schema, &schema, true);

		if (OidIsValid(relid))
			found = lappend(found, other_table(&other_tools[i], relid, schema));
	}
	if (found == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("no history table of another migration tool found for schema \"%s\"",
						target_schema),
				 errdetail("Looked for schema_migrations, __diesel_schema_migrations, _sqlx_migrations, flyway_schema_history and _prisma_migrations in schema \"%s\" and in public, and for drizzle.__drizzle_migrations.",
						   target_schema),
				 errhint("Name the tool with from_tool.")));
	if (list_length(found) == 1)
		return linitial(found);
	foreach(lc, found)
	{
		const OtherTable *table = lfirst(lc);

		described = lappend(described, psprintf("%s (%s)", table->qualified, table->tool->name));
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the history tables of more than one migration tool were found for schema \"%s\"",
					target_schema),
			 errdetail("Found %s.", schemata_join_names(described)),
			 errhint("Name the tool whose history to adopt with from_tool.")));
	return NULL;				/* keep compiler quiet */
}

/* from_tool given: its table, which must exist. */
static OtherTable *
named_tool(const OtherTool *tool, const char *target_schema)
{
	const char *schema;
	Oid			relid = find_tool_table(tool, target_schema, &schema, false);

	if (!OidIsValid(relid))
	{
		if (tool->schema != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("%s's history table %s does not exist", tool->name,
							quote_qualified_identifier(tool->schema, tool->table))));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("%s's history table %s does not exist in schema \"%s\" or public",
						tool->name, tool->table, target_schema)));
	}
	return other_table(tool, relid, schema);
}

/* A column of the other table, which must exist and have one of "types". */
static void
check_column(const OtherTable *table, const char *column, const Oid *types, int ntypes)
{
	AttrNumber	attnum = get_attnum(table->relid, column);
	Oid			type;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s's history table %s has no column \"%s\"",
						table->tool->name, table->qualified, column)));
	type = get_atttype(table->relid, attnum);
	for (int i = 0; i < ntypes; i++)
		if (type == types[i])
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of %s's history table %s has type %s",
					column, table->tool->name, table->qualified, format_type_be(type)),
			 errdetail("adopt() reads only the column types that %s creates.", table->tool->name)));
}

/*
 * The table is one the tool could have created: a plain table with its
 * columns' types.  dbmate's table is not golang-migrate's.
 */
static void
check_table_shape(const OtherTable *table)
{
	char		relkind = get_rel_relkind(table->relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s's history %s is not a table", table->tool->name, table->qualified)));
	for (int i = 0; i < table->tool->ncolumns; i++)
		check_column(table, table->tool->columns[i].name, table->tool->columns[i].types,
					 table->tool->columns[i].ntypes);
	if (table->tool->shares_table && !table->tool->current_only &&
		has_column(table->relid, "dirty"))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("history table %s is golang-migrate's, not dbmate's", table->qualified),
				 errdetail("It has golang-migrate's column \"dirty\"."),
				 errhint("Pass from_tool => 'golang-migrate'.")));
}

/*
 * The query reading the table: the key (as text), then whether the row is
 * refused if the tool has such rows, then Flyway's type and script; the rows
 * that count, in the tool's order.
 */
static char *
history_query(const OtherTable *table)
{
	const OtherTool *tool = table->tool;
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT t.%s::pg_catalog.text", quote_identifier(tool->key));
	if (tool->refused != NULL)
		appendStringInfo(&sql, ", %s", tool->refused);
	if (tool->flyway)
		appendStringInfoString(&sql, ", t.type::pg_catalog.text, t.script::pg_catalog.text");
	appendStringInfo(&sql, " FROM ONLY %s t", table->qualified);
	if (tool->counted != NULL)
		appendStringInfo(&sql, " WHERE %s", tool->counted);
	appendStringInfo(&sql, " ORDER BY t.%s", quote_identifier(tool->order));
	return sql.data;
}

/*
 * Read the other history with search_path pinned and row_security off:
 * nothing of the tenant's runs as the caller.
 */
static OtherHistory *
read_other_history(const OtherTable *table)
{
	OtherHistory *history = palloc0(sizeof(OtherHistory));
	int			nestlevel = schemata_pin_search_path();
	uint64		n;

	(void) set_config_option("row_security", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	n = schemata_spi_execute(history_query(table), 0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	schemata_restore_search_path(nestlevel);

	history->nrows = (int) n;
	history->rows = palloc0(sizeof(OtherRow) * Max(history->nrows, 1));
	for (int i = 0; i < history->nrows; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		OtherRow   *row = &history->rows[i];
		int			column = 1;

		row->key = SPI_getvalue(tuple, desc, column++);
		if (table->tool->refused != NULL)
		{
			bool		isnull;
			Datum		refused = SPI_getbinval(tuple, desc, column++, &isnull);

			row->refused = isnull || DatumGetBool(refused);
		}
		if (table->tool->flyway)
		{
			row->type = SPI_getvalue(tuple, desc, column++);
			row->script = SPI_getvalue(tuple, desc, column++);
		}
		if (row->key == NULL && !table->tool->flyway)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s's history table %s holds a null %s",
							table->tool->name, table->qualified, table->tool->key)));
	}
	SPI_freetuptable(SPI_tuptable);
	return history;
}

/* A row of the other history as named in messages. */
static const char *
row_label(const OtherTable *table, const char *key, const char *script)
{
	if (key == NULL)
		return script ? script : "(null)";
	if (table->tool->match == MATCH_JOURNAL_WHEN)
		return psprintf("created_at %s", key);
	return key;
}

/* golang-migrate's dirty row, a failed one: refused, naming the version. */
static void
check_not_refused(const OtherTable *table, const OtherHistory *history)
{
	for (int i = 0; i < history->nrows; i++)
	{
		const OtherRow *row = &history->rows[i];
		const char *label = row_label(table, row->key, row->script);

		if (!row->refused)
			continue;
		if (table->tool->current_only)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("golang-migrate's history %s is dirty at version %s",
							table->qualified, label),
					 errdetail("Migration %s failed part way; nothing was recorded.", label),
					 errhint("Fix the database by hand, set the version with \"migrate force\", then adopt again.")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s's history %s records migration %s as failed",
						table->tool->name, table->qualified, label),
				 errdetail("A failed migration may be applied in part; nothing was recorded."),
				 errhint("Fix the database by hand and delete the failed row, or run the migration again with %s, then adopt again.",
						 table->tool->name)));
	}
	if (table->tool->current_only && history->nrows > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("golang-migrate's history %s has %d rows", table->qualified,
						history->nrows),
				 errdetail("golang-migrate keeps one row, its current version.")));
}

static AppliedEntry *
applied_entry(const OtherRow *row, bool up_to)
{
	AppliedEntry *entry = palloc0(sizeof(AppliedEntry));

	entry->key = row->key;
	entry->script = row->script;
	entry->up_to = up_to;
	entry->file_optional = false;
	return entry;
}

/*
 * The latest entry for the migration of a Flyway row, found by version (a
 * repeatable one by script), removed; entries unchanged if none.
 */
static List *
forget_entry(List *entries, const OtherRow *row)
{
	for (int i = list_length(entries) - 1; i >= 0; i--)
	{
		const AppliedEntry *entry = list_nth(entries, i);

		if (row->key != NULL ? schemata_same_text(entry->key, row->key) :
			entry->key == NULL && schemata_same_text(entry->script, row->script))
			return list_delete_nth_cell(entries, i);
	}
	return entries;
}

/*
 * Flyway's rows, in installed_rank order, into the migrations applied now:
 * SCHEMA (Flyway created the schema) says nothing of migrations; BASELINE
 * applies every version up to its own; UNDO_SQL and DELETE (an undo, a
 * repair of a missing migration) take back the version's earlier row; a
 * repeatable migration's latest row is the one that counts.
 */
static List *
flyway_entries(const OtherHistory *history)
{
	List	   *entries = NIL;

	for (int i = 0; i < history->nrows; i++)
	{
		const OtherRow *row = &history->rows[i];
		AppliedEntry *entry;

		if (schemata_same_text(row->type, "SCHEMA"))
			continue;
		entries = forget_entry(entries, row);
		if (schemata_same_text(row->type, "UNDO_SQL") ||
			schemata_same_text(row->type, "DELETE"))
			continue;
		entry = applied_entry(row, schemata_same_text(row->type, "BASELINE"));
		entry->file_optional = entry->up_to;
		entries = lappend(entries, entry);
	}
	return entries;
}

/* The migrations the other history says were applied. */
static List *
applied_entries(const OtherTable *table, const OtherHistory *history)
{
	List	   *entries = NIL;

	if (table->tool->flyway)
		return flyway_entries(history);
	for (int i = 0; i < history->nrows; i++)
		entries = lappend(entries, applied_entry(&history->rows[i],
												 table->tool->current_only));
	return entries;
}

/* A version read from the other history; anything else is an error. */
static MigrationVersion
other_version(const OtherTable *table, const char *text)
{
	MigrationVersion version;

	if (!schemata_version_from_text(text, &version))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("%s's history %s holds \"%s\", which is not a migration version",
						table->tool->name, table->qualified, text),
				 errhint("A version is the numeric prefix of a migration's name, such as '0002' or '20240115093000'.")));
	return version;
}

/*
 * Drizzle's history is matched through the journal: every migration of dir
 * must have its journal entry's "when".
 */
static void
check_journal_times(const MigrationDir *dir)
{
	for (int i = 0; i < dir->nfiles; i++)
		if (dir->files[i].journal_when == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" has no \"when\" in meta/_journal.json",
							dir->files[i].name),
					 errdetail("adopt() matches the created_at of Drizzle's history to the \"when\" of each entry of the journal."),
					 errhint("Pass the Drizzle migrations folder, the one holding meta/_journal.json, as dir.")));
}

/* Whether dir holds the repeatable migration of a Flyway row's script. */
static bool
has_repeatable(const MigrationDir *dir, const char *script)
{
	for (int i = 0; i < dir->nrepeatables; i++)
		if (schemata_same_text(dir->repeatables[i].name, script))
			return true;
	return false;
}

/* The file of dir that an entry names, or NULL. */
static const MigrationFile *
file_of_entry(const OtherTable *table, const MigrationDir *dir, const AppliedEntry *entry)
{
	MigrationVersion version;

	switch (table->tool->match)
	{
		case MATCH_VERSION:
			version = other_version(table, entry->key);
			return schemata_find_migration(dir, &version);
		case MATCH_NAME:
			for (int i = 0; i < dir->nfiles; i++)
				if (strcmp(dir->files[i].name, entry->key) == 0)
					return &dir->files[i];
			return NULL;
		case MATCH_JOURNAL_WHEN:
			for (int i = 0; i < dir->nfiles; i++)
				if (schemata_same_text(dir->files[i].journal_when, entry->key))
					return &dir->files[i];
			return NULL;
	}
	return NULL;				/* keep compiler quiet */
}

/* Mark every file of dir at or below a version as adopted. */
static void
adopt_up_to(const MigrationDir *dir, const MigrationVersion *version, bool *adopted)
{
	for (int i = 0; i < dir->nfiles; i++)
		if (schemata_version_cmp(&dir->files[i].version, version) <= 0)
			adopted[i] = true;
}

/*
 * Mark the files of dir that the other history says were applied (adopted
 * is indexed like dir->files); an applied migration without a file is an
 * error.
 */
static void
match_files(const OtherTable *table, List *entries, const MigrationDir *dir, bool *adopted)
{
	List	   *missing = NIL;
	ListCell   *lc;

	if (table->tool->match == MATCH_JOURNAL_WHEN)
		check_journal_times(dir);
	foreach(lc, entries)
	{
		const AppliedEntry *entry = lfirst(lc);
		const MigrationFile *file = entry->key ? file_of_entry(table, dir, entry) : NULL;

		/* a repeatable migration is not recorded: it runs once more */
		if (entry->key == NULL && has_repeatable(dir, entry->script))
			continue;
		if (file == NULL && !entry->file_optional)
		{
			missing = lappend(missing, (char *) row_label(table, entry->key, entry->script));
			continue;
		}
		if (entry->up_to)
		{
			MigrationVersion version = other_version(table, entry->key);

			adopt_up_to(dir, &version, adopted);
		}
		else
			adopted[file - dir->files] = true;
	}
	if (missing == NIL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_plural("%d migration that %s applied has no file in dir",
						   "%d migrations that %s applied have no file in dir",
						   list_length(missing), list_length(missing), table->tool->name),
			 errdetail("Without a file: %s. Nothing was recorded.", schemata_join_names(missing)),
			 errhint("Put the files of every applied migration in dir, then adopt again.")));
}

/* A file below the highest adopted one that the other tool did not apply. */
static void
check_none_skipped(const OtherTable *table, const MigrationDir *dir, const bool *adopted)
{
	List	   *skipped = NIL;
	int			highest = -1;

	for (int i = 0; i < dir->nfiles; i++)
		if (adopted[i])
			highest = i;
	for (int i = 0; i < highest; i++)
		if (!adopted[i])
			skipped = lappend(skipped, dir->files[i].name);
	if (skipped == NIL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_plural("%d migration below the latest one %s applied was not applied by it",
						   "%d migrations below the latest one %s applied were not applied by it",
						   list_length(skipped), list_length(skipped), table->tool->name),
			 errdetail("Not applied: %s. The latest applied is \"%s\". Nothing was recorded.",
					   schemata_join_names(skipped), dir->files[highest].name),
			 errhint("Apply them with %s first, or remove them from dir.", table->tool->name)));
}

static void
check_history_empty(const char *target_schema, const History *history)
{
	if (history->nrows + history->nrepeatables > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" already has a schemata history", target_schema),
				 errdetail("It has %d recorded migrations; adopt() records the history of another tool only into an empty one.",
						   history->nrows + history->nrepeatables),
				 errhint("Use schemata.status() to see it; schemata.baseline() and schemata.repair() change it.")));
}

/* Record the adopted files as baseline rows, reporting each. */
static void
record_adopted(const char *target_schema, const MigrationDir *dir, const bool *adopted,
			   AdoptedCallback callback, void *arg)
{
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata adopt",
											   ALLOCSET_DEFAULT_SIZES);
	HistoryQueue *queue = schemata_history_queue(target_schema);

	for (int i = 0; i < dir->nfiles; i++)
	{
		const MigrationFile *file = &dir->files[i];

		CHECK_FOR_INTERRUPTS();
		if (adopted[i])
			callback(file, schemata_baseline_file(queue, dir, file, work), arg);
	}
	schemata_flush_history(queue);
	MemoryContextDelete(work);
}

/*
 * adopt(): record as applied exactly the migrations of dir that another
 * tool's history says it applied.  The caller may change the target
 * schema's history (access.c).
 */
void
schemata_adopt_history(const char *dir, const char *target_schema, const char *from_tool,
					   AdoptedCallback callback, void *arg)
{
	const OtherTool *tool = from_tool ? tool_by_name(from_tool) : NULL;
	MigrationDir *migrations;
	OtherTable *table;
	OtherHistory *other;
	bool	   *adopted;

	schemata_check_target_schema(target_schema);
	migrations = schemata_scan_directory("dir", dir);

	schemata_lock_target(target_schema);
	schemata_check_history_snapshot(target_schema);
	check_history_empty(target_schema, schemata_load_history(target_schema));

	table = tool ? named_tool(tool, target_schema) : detect_tool(target_schema);
	/* its shape cannot change from here to the end of the transaction */
	LockRelationOid(table->relid, AccessShareLock);
	check_table_shape(table);
	other = read_other_history(table);
	check_not_refused(table, other);
	adopted = palloc0(sizeof(bool) * Max(migrations->nfiles, 1));
	match_files(table, applied_entries(table, other), migrations, adopted);
	check_none_skipped(table, migrations, adopted);
	ereport(NOTICE,
			(errmsg("adopting the history of %s from %s", table->tool->name, table->qualified)));
	record_adopted(target_schema, migrations, adopted, callback, arg);
}
