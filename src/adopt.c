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
 * Flyway, Prisma and Drizzle are known by name and table but not supported
 * yet.  A version is matched to the file of dir with the same schemata
 * version (diesel's 20170831230457 is the folder 2017-08-31-230457_x).
 *
 * The other tool's table belongs to the tenant: it must be a plain table,
 * only its version column (and dirty or success) is read, the version column
 * must have one of the types the tools create and is cast with
 * pg_catalog.text, the query runs with search_path pinned, row_security off
 * (an error rather than a policy's expression run as the caller) and FROM
 * ONLY.  The table is left as it was.
 *
 * Nothing is recorded unless everything fits: schemata's history of the
 * target schema is empty, every applied version has a file, no file below
 * the highest applied one was skipped, and every file recorded passes the
 * checks apply() makes (schemata_check_migration).  Rows are recorded as
 * baseline() records them: batch 0, applied_by the caller, with checksum and
 * down script from the files, under the target schema's lock.
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
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "schemata.h"

/* What adopt() knows of another tool's history table. */
typedef struct OtherTool
{
	const char *name;			/* as given in from_tool */
	const char *table;
	const char *schema;			/* NULL: the target schema, then public */
	const char *flag_column;	/* dirty or success, or NULL */
	bool		flag_refused;	/* the value of flag_column that is refused */
	bool		current_only;	/* one row: the current version */
	bool		shares_table;	/* dbmate's and golang-migrate's have one
								 * name; golang-migrate's has "dirty" */
	bool		supported;
} OtherTool;

static const OtherTool other_tools[] = {
	{"dbmate", "schema_migrations", NULL, NULL, false, false, true, true},
	{"golang-migrate", "schema_migrations", NULL, "dirty", true, true, true, true},
	{"diesel", "__diesel_schema_migrations", NULL, NULL, false, false, false, true},
	{"sqlx", "_sqlx_migrations", NULL, "success", false, false, false, true},
	{"flyway", "flyway_schema_history", NULL, NULL, false, false, false, false},
	{"prisma", "_prisma_migrations", NULL, NULL, false, false, false, false},
	{"drizzle", "__drizzle_migrations", "drizzle", NULL, false, false, false, false},
};

#define NUM_OTHER_TOOLS lengthof(other_tools)

/* A tool's history table, found. */
typedef struct OtherTable
{
	const OtherTool *tool;
	Oid			relid;
	char	   *qualified;		/* schema.table, quoted */
} OtherTable;

/* What the other tool's history says was applied. */
typedef struct OtherHistory
{
	int			nversions;
	char	  **versions;		/* as stored, cast to text */
	bool	   *refused;		/* dirty, or without success */
} OtherHistory;

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
			 errmsg("unknown migration tool \"%s\" for argument from_tool", name),
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

static void
check_supported(const OtherTool *tool)
{
	if (!tool->supported)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("adopting the history of %s is not supported yet", tool->name),
				 errhint("Use schemata.baseline() with the version of the latest migration %s applied.",
						 tool->name)));
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
	static const Oid version_types[] = {TEXTOID, VARCHAROID, BPCHAROID, INT8OID, INT4OID,
	INT2OID, NUMERICOID};
	static const Oid flag_types[] = {BOOLOID};
	char		relkind = get_rel_relkind(table->relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s's history %s is not a table", table->tool->name, table->qualified)));
	check_column(table, "version", version_types, lengthof(version_types));
	if (table->tool->flag_column != NULL)
		check_column(table, table->tool->flag_column, flag_types, lengthof(flag_types));
	if (table->tool->shares_table && !table->tool->current_only &&
		has_column(table->relid, "dirty"))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("history table %s is golang-migrate's, not dbmate's", table->qualified),
				 errdetail("It has golang-migrate's column \"dirty\"."),
				 errhint("Pass from_tool => 'golang-migrate'.")));
}

/* The query reading the table's version (and flag) column. */
static char *
history_query(const OtherTable *table)
{
	const char *flag = table->tool->flag_column;

	return psprintf("SELECT t.version::pg_catalog.text%s%s FROM ONLY %s t ORDER BY t.version",
					flag ? ", t." : "", flag ? quote_identifier(flag) : "",
					table->qualified);
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
	int			rc;

	(void) set_config_option("row_security", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute(history_query(table), true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read %s: %s", table->qualified, SPI_result_code_string(rc));
	schemata_restore_search_path(nestlevel);

	history->nversions = (int) SPI_processed;
	history->versions = palloc(sizeof(char *) * Max(history->nversions, 1));
	history->refused = palloc0(sizeof(bool) * Max(history->nversions, 1));
	for (int i = 0; i < history->nversions; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		history->versions[i] = SPI_getvalue(tuple, desc, 1);
		if (history->versions[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s's history table %s holds a null version",
							table->tool->name, table->qualified)));
		if (table->tool->flag_column != NULL)
		{
			bool		flag = DatumGetBool(SPI_getbinval(tuple, desc, 2, &isnull));

			history->refused[i] = isnull || flag == table->tool->flag_refused;
		}
	}
	SPI_freetuptable(SPI_tuptable);
	return history;
}

/* golang-migrate's dirty row, sqlx's failed one: refused, naming the version. */
static void
check_not_refused(const OtherTable *table, const OtherHistory *history)
{
	for (int i = 0; i < history->nversions; i++)
	{
		if (!history->refused[i])
			continue;
		if (table->tool->current_only)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("golang-migrate's history %s is dirty at version %s",
							table->qualified, history->versions[i]),
					 errdetail("Migration %s failed part way; nothing was recorded.",
							   history->versions[i]),
					 errhint("Fix the database by hand, set the version with \"migrate force\", then adopt again.")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s's history %s records migration %s as failed",
						table->tool->name, table->qualified, history->versions[i]),
				 errdetail("A failed migration may be applied in part; nothing was recorded."),
				 errhint("Fix the database by hand and delete the failed row, or run the migration again with %s, then adopt again.",
						 table->tool->name)));
	}
	if (table->tool->current_only && history->nversions > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("golang-migrate's history %s has %d rows", table->qualified,
						history->nversions),
				 errdetail("golang-migrate keeps one row, its current version.")));
}

/* The file of dir with an applied version, or NULL. */
static const MigrationFile *
file_of_version(const OtherTable *table, const MigrationDir *dir, const char *text)
{
	MigrationVersion version;

	if (!schemata_version_from_text(text, &version))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("%s's history %s holds \"%s\", which is not a migration version",
						table->tool->name, table->qualified, text),
				 errhint("A version is the numeric prefix of a migration's name, such as '0002' or '20240115093000'.")));
	return schemata_find_migration(dir, &version);
}

/*
 * Mark the files of dir that the other history says were applied (adopted
 * is indexed like dir->files); an applied version without a file is an
 * error.
 */
static void
match_files(const OtherTable *table, const OtherHistory *history, const MigrationDir *dir,
			bool *adopted)
{
	List	   *missing = NIL;

	for (int i = 0; i < history->nversions; i++)
	{
		const MigrationFile *file = file_of_version(table, dir, history->versions[i]);

		if (file == NULL)
		{
			missing = lappend(missing, history->versions[i]);
			continue;
		}
		if (table->tool->current_only)
			for (const MigrationFile *f = dir->files; f <= file; f++)
				adopted[f - dir->files] = true;
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
	if (history->nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" already has a schemata history", target_schema),
				 errdetail("It has %d recorded migrations; adopt() records the history of another tool only into an empty one.",
						   history->nrows),
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
	const OtherTool *tool = NULL;
	MigrationDir *migrations;
	OtherTable *table;
	OtherHistory *other;
	bool	   *adopted;

	schemata_check_target_schema(target_schema);
	if (from_tool != NULL)
	{
		tool = tool_by_name(from_tool);
		check_supported(tool);
	}
	migrations = schemata_scan_directory("dir", dir);

	schemata_lock_target(target_schema);
	schemata_check_history_snapshot(target_schema);
	check_history_empty(target_schema, schemata_load_history(target_schema));

	if (tool != NULL)
		table = named_tool(tool, target_schema);
	else
	{
		table = detect_tool(target_schema);
		check_supported(table->tool);
	}
	/* its shape cannot change from here to the end of the transaction */
	LockRelationOid(table->relid, AccessShareLock);
	check_table_shape(table);
	other = read_other_history(table);
	check_not_refused(table, other);
	adopted = palloc0(sizeof(bool) * Max(migrations->nfiles, 1));
	match_files(table, other, migrations, adopted);
	check_none_skipped(table, migrations, adopted);
	ereport(NOTICE,
			(errmsg("adopting the history of %s from %s", table->tool->name, table->qualified)));
	record_adopted(target_schema, migrations, adopted, callback, arg);
}
