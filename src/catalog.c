/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Tables as pg_catalog describes them, for diff(): the live tables, and
 *	  the tables a model would create.
 *
 * Everything is compared in PostgreSQL's own canonical forms, never by
 * rewriting SQL text: types with format_type(), defaults and generation
 * expressions with pg_get_expr(), primary keys, unique and check constraints
 * with pg_get_constraintdef(), foreign keys and indexes by their catalog
 * fields.  The live tables of one diff are read in a single query
 * (schemata_describe_tables()).  For a model (schemata_describe_model()),
 * types are resolved and defaults cooked as CREATE TABLE does it, so a
 * default such as 'pending' compares equal to the stored
 * 'pending'::character varying; keys are written as pg_get_constraintdef()
 * writes them.  Checks, indexes and generation expressions name columns, so
 * for a model that has any, its table is created as a temporary table inside
 * a subtransaction that is then rolled back, and they are read from there:
 * once as the model names its columns, and once more after giving the
 * columns that diff renames their live names, so that a check or index on a
 * renamed column compares equal to the live one, which the rename carries.
 * A column whose default is the nextval() of a sequence it owns is described
 * as "serial", and so is a model's serial column.  The labels of an enum
 * type are read in their order (schemata_enum_labels()).
 *
 * Both sides are described with search_path pinned to pg_catalog (see
 * searchpath.c): diff() pins it for the models and the scratch tables, and
 * the catalog queries here pin it themselves.  The canonical forms depend on
 * the path (format_type() and pg_get_expr() qualify what it does not show),
 * so the two sides agree only under the same one.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "model.h"

/*
 * The queries below run with search_path pinned to pg_catalog (see
 * searchpath.c), and name every function, operator and type they use with
 * its schema all the same.
 */

/* Quoted names of the attributes "nums" of relation "rel", comma-separated. */
#define ATTNAMES_SQL(nums, rel) \
	"(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ',' ORDER BY k.n) " \
	"FROM pg_catalog.unnest(" nums ") WITH ORDINALITY AS k(attnum, n) " \
	"JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) " rel " " \
	"AND a.attnum OPERATOR(pg_catalog.=) k.attnum)"

/* 13, 14: no NULLS NOT DISTINCT, so no pg_index.indnullsnotdistinct */
#if PG_VERSION_NUM >= 150000
#define INDNULLSNOTDISTINCT_SQL "x.indnullsnotdistinct"
#else
#define INDNULLSNOTDISTINCT_SQL "false"
#endif

/*
 * One row per column, constraint and index (those that back no constraint)
 * of the relations $1 (an oid[]): relation, kind, name, definition, type,
 * type oid, typmod, not null, default, generated, column number, identity,
 * tablespace, in the order of relation, kind, column number and name.  A
 * column is "serial" when it is neither an identity nor a generated column
 * and a sequence depends on it as pg_get_serial_sequence() finds it.  An
 * index's tablespace is named even when it is the database's default (whose
 * indexes have reltablespace 0), and is not part of its definition: diff
 * compares it only when the model names one.
 */
static const char *const describe_sql =
"SELECT a.attrelid, 0, a.attname::pg_catalog.text, NULL::pg_catalog.text, "
"       pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, a.atttypmod, a.attnotnull, "
"       CASE WHEN a.attidentity OPERATOR(pg_catalog.=) '' AND a.attgenerated OPERATOR(pg_catalog.=) '' "
"                 AND (a.attrelid, a.attnum) OPERATOR(pg_catalog.=) ANY ( "
"                 SELECT dep.refobjid, dep.refobjsubid::pg_catalog.int2 FROM pg_catalog.pg_depend dep "
"                 JOIN pg_catalog.pg_class s ON s.oid OPERATOR(pg_catalog.=) dep.objid "
"                      AND s.relkind OPERATOR(pg_catalog.=) 'S' "
"                 WHERE dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
"                 AND dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
"                 AND dep.objsubid OPERATOR(pg_catalog.=) 0 "
"                 AND dep.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}'::pg_catalog.\"char\"[])) "
"            THEN 'serial' ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END, "
"       a.attgenerated OPERATOR(pg_catalog.<>) '', a.attnum, a.attidentity OPERATOR(pg_catalog.<>) '', NULL "
"FROM pg_catalog.pg_attribute a "
"LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid "
"     AND d.adnum OPERATOR(pg_catalog.=) a.attnum "
"WHERE a.attrelid OPERATOR(pg_catalog.=) ANY ($1) AND a.attnum OPERATOR(pg_catalog.>) 0 "
"AND NOT a.attisdropped "
"UNION ALL "
"SELECT c.conrelid, CASE WHEN c.contype OPERATOR(pg_catalog.=) 'p' THEN 1 "
"       WHEN c.contype OPERATOR(pg_catalog.=) 'u' THEN 2 WHEN c.contype OPERATOR(pg_catalog.=) 'c' THEN 3 "
"       ELSE 4 END, "
"       c.conname::pg_catalog.text, "
"       CASE WHEN c.contype OPERATOR(pg_catalog.=) 'f' THEN pg_catalog.concat_ws('|', "
ATTNAMES_SQL("c.conkey", "c.conrelid") ", "
"           (SELECT pg_catalog.quote_ident(rn.nspname) OPERATOR(pg_catalog.||) '.' "
"                   OPERATOR(pg_catalog.||) pg_catalog.quote_ident(rc.relname) "
"            FROM pg_catalog.pg_class rc "
"            JOIN pg_catalog.pg_namespace rn ON rn.oid OPERATOR(pg_catalog.=) rc.relnamespace "
"            WHERE rc.oid OPERATOR(pg_catalog.=) c.confrelid), "
ATTNAMES_SQL("c.confkey", "c.confrelid") ", "
"           c.confdeltype, c.confupdtype) "
"       ELSE pg_catalog.pg_get_constraintdef(c.oid) END, "
"       NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL "
"FROM pg_catalog.pg_constraint c "
"WHERE c.conrelid OPERATOR(pg_catalog.=) ANY ($1) "
"AND c.contype OPERATOR(pg_catalog.=) ANY ('{p,u,c,f}'::pg_catalog.\"char\"[]) "
"UNION ALL "
"SELECT x.indrelid, 5, i.relname::pg_catalog.text, "
"       pg_catalog.concat_ws('|', x.indisunique, " INDNULLSNOTDISTINCT_SQL ", am.amname, "
ATTNAMES_SQL("x.indkey::pg_catalog.int2[]", "x.indrelid") ", "
"           x.indclass::pg_catalog.text, x.indoption::pg_catalog.text, "
"           pg_catalog.pg_get_expr(x.indpred, x.indrelid), i.reloptions::pg_catalog.text), "
"       NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, "
"       (SELECT t.spcname::pg_catalog.text FROM pg_catalog.pg_tablespace t "
"        WHERE t.oid OPERATOR(pg_catalog.=) "
"              CASE WHEN i.reltablespace OPERATOR(pg_catalog.=) 0::pg_catalog.oid "
"                   THEN (SELECT d.dattablespace FROM pg_catalog.pg_database d "
"                         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) "
"                   ELSE i.reltablespace END) "
"FROM pg_catalog.pg_index x "
"JOIN pg_catalog.pg_class i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid "
"JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) i.relam "
"WHERE x.indrelid OPERATOR(pg_catalog.=) ANY ($1) "
"AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c "
"                WHERE c.conindid OPERATOR(pg_catalog.=) x.indexrelid "
"                AND c.conrelid OPERATOR(pg_catalog.=) x.indrelid) "
"ORDER BY 1, 2, 11, 3";

/* Fill "item" from row "tuple" of describe_sql. */
static void
read_item(HeapTuple tuple, TupleDesc desc, CatalogItem *item)
{
	bool		isnull;

	item->kind = (CatalogItemKind) DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
	Assert(!isnull && item->kind >= ITEM_COLUMN && item->kind <= ITEM_INDEX);
	item->name = SPI_getvalue(tuple, desc, 3);
	item->definition = SPI_getvalue(tuple, desc, 4);
	if (item->kind == ITEM_INDEX)
		item->tablespace = SPI_getvalue(tuple, desc, 13);
	if (item->kind != ITEM_COLUMN)
		return;
	item->type = SPI_getvalue(tuple, desc, 5);
	item->type_oid = DatumGetObjectId(SPI_getbinval(tuple, desc, 6, &isnull));
	item->typmod = DatumGetInt32(SPI_getbinval(tuple, desc, 7, &isnull));
	item->not_null = DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
	item->default_expr = SPI_getvalue(tuple, desc, 9);
	item->generated = DatumGetBool(SPI_getbinval(tuple, desc, 10, &isnull));
	item->identity = DatumGetBool(SPI_getbinval(tuple, desc, 12, &isnull));
}

/*
 * The relations "relids" as the catalog describes them (see describe_sql),
 * read in one query.  Duplicates in "relids" are described once.
 */
CatalogTables *
schemata_describe_tables(const Oid *relids, int n)
{
	CatalogTables *tables = palloc0(sizeof(CatalogTables));
	Datum	   *elems = palloc(Max(n, 1) * sizeof(Datum));
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum		values[1];
	int			nestlevel;
	uint64		nrows;
	uint64		row = 0;

	Assert(n >= 0 && (n == 0 || relids != NULL));
	tables->relids = palloc(Max(n, 1) * sizeof(Oid));
	memcpy(tables->relids, relids, n * sizeof(Oid));
	if (n > 0)
		qsort(tables->relids, n, sizeof(Oid), oid_cmp);
	for (int i = 0; i < n; i++)
		if (i == 0 || tables->relids[i] != tables->relids[i - 1])
			tables->relids[tables->ntables++] = tables->relids[i];
	tables->tables = palloc0(Max(tables->ntables, 1) * sizeof(CatalogTable));
	for (int i = 0; i < tables->ntables; i++)
		elems[i] = ObjectIdGetDatum(tables->relids[i]);
	values[0] = PointerGetDatum(construct_array(elems, tables->ntables, OIDOID,
												sizeof(Oid), true, TYPALIGN_INT));

	/* compiling this catalog query with JIT would cost more than running it */
	nestlevel = schemata_pin_search_path();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	nrows = schemata_spi_execute(describe_sql, 1, argtypes, values, NULL, false, SPI_OK_SELECT);
	schemata_restore_search_path(nestlevel);
	/* rows come ordered by relation, as tables->relids are */
	for (int t = 0; t < tables->ntables; t++)
	{
		CatalogTable *table = &tables->tables[t];
		uint64		first = row;
		bool		isnull;

		while (row < nrows &&
			   DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
											  1, &isnull)) == tables->relids[t])
			row++;
		table->nitems = (int) (row - first);
		table->items = palloc0(Max(table->nitems, 1) * sizeof(CatalogItem));
		for (int i = 0; i < table->nitems; i++)
			read_item(SPI_tuptable->vals[first + i], SPI_tuptable->tupdesc, &table->items[i]);
	}
	/* each row belongs to one of the relations asked for */
	Assert(row == nrows);
	SPI_freetuptable(SPI_tuptable);
	return tables;
}

/* The description of "relid" in "tables"; it must be there. */
CatalogTable *
schemata_catalog_table(const CatalogTables *tables, Oid relid)
{
	Oid		   *found = bsearch(&relid, tables->relids, tables->ntables, sizeof(Oid), oid_cmp);

	if (found == NULL)
		elog(ERROR, "table %u was not described", relid);
	return &tables->tables[found - tables->relids];
}

/*
 * The live name of model column "column": its former name while the live
 * table has it under that name alone.
 */
const char *
schemata_live_column_name(const CatalogTable *live, const ModelColumn *column)
{
	Assert(column != NULL);
	if (column->renamed_from == NULL)
		return column->name;
	for (int i = 0; i < live->nitems; i++)
		if (live->items[i].kind == ITEM_COLUMN && strcmp(live->items[i].name, column->name) == 0)
			return column->name;
	return column->renamed_from;
}

/*
 * Give the columns of scratch table "scratch" whose live names differ those
 * names, so that its checks, indexes and generation expressions read as the
 * live table's will once diff's renames have run.  diff has refused renames
 * whose names collide.  False when no column is renamed.
 */
static bool
rename_scratch_columns(const ModelTable *scratch, const CatalogTable *live)
{
	bool		renamed = false;

	for (int i = 0; i < scratch->ncolumns; i++)
	{
		const ModelColumn *column = &scratch->columns[i];
		const char *name = schemata_live_column_name(live, column);

		if (strcmp(name, column->name) == 0)
			continue;
		schemata_execute_ddl(psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s",
									  quote_qualified_identifier(scratch->schema, scratch->name),
									  quote_identifier(column->name), quote_identifier(name)),
							 column->path);
		renamed = true;
	}
	return renamed;
}

/* describe_scratch_table()'s work, run by schemata_run_rolled_back(). */
typedef struct ScratchTable
{
	const ModelTable *model;
	const CatalogTable *live;
	CatalogTable **as_model;
	CatalogTable **as_live;
} ScratchTable;

static void
create_and_describe_scratch_table(void *arg)
{
	ScratchTable *st = (ScratchTable *) arg;
	ModelTable	scratch = *st->model;
	Oid			relid;

	scratch.schema = "pg_temp";
	scratch.nforeign_keys = 0;
	schemata_execute_ddl(schemata_create_table_sql(&scratch, NULL), st->model->path);
	for (int i = 0; i < scratch.nindexes; i++)
		schemata_execute_ddl(schemata_create_index_sql(&scratch, &scratch.indexes[i]),
							 scratch.indexes[i].path);
	relid = RangeVarGetRelid(makeRangeVar("pg_temp", scratch.name, -1), NoLock, false);
	*st->as_model = schemata_catalog_table(schemata_describe_tables(&relid, 1), relid);
	*st->as_live = *st->as_model;
	if (rename_scratch_columns(&scratch, st->live))
		*st->as_live = schemata_catalog_table(schemata_describe_tables(&relid, 1), relid);
}

/*
 * The scratch table of "model", described twice: "as_model", a temporary
 * table with its indexes but without foreign keys, created in a
 * subtransaction that is rolled back (subxact.c, which also rolls it back
 * on an error: the model's default does not fit its type, ...); and
 * "as_live", the same once its renamed columns have their live names (see
 * rename_scratch_columns(); the same description when none has).  Both list
 * the same items in the same order: renaming a column renames no constraint
 * or index.
 */
static void
describe_scratch_table(const ModelTable *model, const CatalogTable *live,
					   CatalogTable **as_model, CatalogTable **as_live)
{
	ScratchTable st = {model, live, as_model, as_live};

	schemata_run_rolled_back(create_and_describe_scratch_table, &st);
	Assert((*as_live)->nitems == (*as_model)->nitems);
}

/*
 * Whether describing "model" needs its scratch table: checks, indexes and
 * generation expressions name columns, so only a table gives their forms.
 */
static bool
needs_scratch_table(const ModelTable *model)
{
	if (model->nchecks > 0 || model->nindexes > 0)
		return true;
	for (int i = 0; i < model->ncolumns; i++)
		if (model->columns[i].generated_sql != NULL)
			return true;
	return false;
}

/*
 * The default of "column", of type type_oid/typmod, as pg_get_expr() shows
 * it once CREATE TABLE has stored it: cooked by cookDefault() as CREATE TABLE
 * cooks it; NULL for a null constant, which CREATE TABLE does not store.
 */
static char *
canonical_default(const ModelColumn *column, Oid type_oid, int32 typmod)
{
	Node	   *raw = schemata_parse_expression(column->default_sql, column->path);
	PathContext ctx;
	Node	   *expr;

	schemata_push_path(&ctx, column->path, column->default_sql);
	expr = cookDefault(make_parsestate(NULL), raw, type_oid, typmod, column->name, '\0');
	schemata_pop_path(&ctx);
	if (IsA(expr, Const) && ((Const *) expr)->constisnull)
		return NULL;
	return TextDatumGetCString(DirectFunctionCall2(pg_get_expr,
												   CStringGetTextDatum(nodeToString(expr)),
												   ObjectIdGetDatum(InvalidOid)));
}

/*
 * Column "column" of "model" as the catalog would describe it, but for a
 * generation expression: a serial column is an integer NOT NULL "serial",
 * and primary key columns are NOT NULL.
 */
static void
describe_model_column(const ModelTable *model, const ModelColumn *column, CatalogItem *item)
{
	item->kind = ITEM_COLUMN;
	item->name = column->name;
	item->type_oid = column->type_oid;
	item->typmod = column->typmod;
	item->type = format_type_with_typemod(item->type_oid, item->typmod);
	item->not_null = column->not_null || column->is_serial ||
		schemata_in_column_list(&model->primary_key, column->name);
	item->generated = column->generated_sql != NULL;
	if (column->is_serial)
		item->default_expr = "serial";
	else if (column->default_sql != NULL)
		item->default_expr = canonical_default(column, item->type_oid, item->typmod);
}

static CatalogItem *
add_item(CatalogTable *table, CatalogItemKind kind, const char *name, char *definition)
{
	CatalogItem *item = &table->items[table->nitems++];

	item->kind = kind;
	item->name = pstrdup(name);
	item->definition = definition;
	return item;
}

/* Whether index "name" of "model" names a tablespace. */
static bool
names_tablespace(const ModelTable *model, const char *name)
{
	for (int i = 0; i < model->nindexes; i++)
		if (strcmp(model->indexes[i].name, name) == 0)
			return model->indexes[i].tablespace != NULL;
	return false;
}

/*
 * The checks, indexes and generation expressions of the scratch table into
 * "table", in their forms under the live column names ("as_live"); a check
 * keeps its form under the model's names too, to be added.  The tablespace
 * of an index is kept only when the model names one: the scratch table's
 * indexes are where temp_tablespaces puts them.
 */
static void
add_scratch_items(CatalogTable *table, const ModelTable *model, const CatalogTable *as_model,
				  const CatalogTable *as_live)
{
	for (int i = 0; i < as_live->nitems; i++)
	{
		const CatalogItem *item = &as_live->items[i];

		/* the two descriptions list the same items in the same order */
		Assert(as_model->items[i].kind == item->kind);
		if (item->kind == ITEM_CHECK || item->kind == ITEM_INDEX)
		{
			CatalogItem *copy = &table->items[table->nitems++];

			*copy = *item;
			if (item->kind == ITEM_CHECK)
				copy->model_definition = as_model->items[i].definition;
			if (item->kind == ITEM_INDEX && !names_tablespace(model, item->name))
				copy->tablespace = NULL;
		}
		else if (item->kind == ITEM_COLUMN && item->generated)
		{
			for (int c = 0; c < table->nitems; c++)
				if (table->items[c].kind == ITEM_COLUMN &&
					strcmp(table->items[c].name, as_model->items[i].name) == 0)
					table->items[c].default_expr = item->default_expr;
		}
	}
}

/*
 * The table "model" would create, as the catalog would describe it.  Columns,
 * the primary key and unique constraints need no table: types are resolved
 * as CREATE TABLE resolves them, defaults cooked as it cooks them, and the
 * keys written as pg_get_constraintdef() writes them.  Checks, indexes and
 * generation expressions come from the model's scratch table, built only
 * when the model has any, in their forms under the live column names of
 * "live", the live table the model is compared with.
 */
CatalogTable *
schemata_describe_model(const ModelTable *model, const CatalogTable *live)
{
	CatalogTable *as_model = NULL;
	CatalogTable *as_live = NULL;
	CatalogTable *table = palloc0(sizeof(CatalogTable));
	int			allocated;

	if (needs_scratch_table(model))
		describe_scratch_table(model, live, &as_model, &as_live);
	allocated = model->ncolumns + 1 + model->nuniques + (as_model ? as_model->nitems : 0);
	table->items = palloc0(allocated * sizeof(CatalogItem));
	for (int i = 0; i < model->ncolumns; i++)
		describe_model_column(model, &model->columns[i], &table->items[table->nitems++]);
	if (model->primary_key.n > 0)
		add_item(table, ITEM_PRIMARY_KEY, makeObjectName(model->name, NULL, "pkey"),
				 schemata_primary_key_sql(&model->primary_key));
	for (int i = 0; i < model->nuniques; i++)
		add_item(table, ITEM_UNIQUE, model->uniques[i].name,
				 schemata_unique_key_sql(&model->uniques[i]));
	if (as_model != NULL)
		add_scratch_items(table, model, as_model, as_live);
	Assert(table->nitems <= allocated);
	return table;
}

/* A model's foreign key in the form schemata_describe_tables() gives. */
char *
schemata_model_foreign_key_definition(const ModelForeignKey *fk)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < fk->columns.n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "", quote_identifier(fk->columns.names[i]));
	appendStringInfo(&buf, "|%s|", quote_qualified_identifier(fk->ref_schema, fk->ref_table));
	for (int i = 0; i < fk->ref_columns.n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "", quote_identifier(fk->ref_columns.names[i]));
	appendStringInfo(&buf, "|%c|%c", fk->on_delete, fk->on_update);
	return buf.data;
}

/*
 * Names of the tables of "schema" (ordinary and partitioned), except those
 * that belong to an extension; NIL when the schema does not exist.
 */
List *
schemata_schema_tables(const char *schema)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(schema)};
	List	   *names = NIL;
	int			nestlevel = schemata_pin_search_path();

	(void) schemata_spi_select("SELECT c.relname::pg_catalog.text FROM pg_catalog.pg_class c "
							   "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
							   "WHERE n.nspname OPERATOR(pg_catalog.=) $1 "
							   "AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::pg_catalog.\"char\"[]) "
							   "AND NOT c.relispartition "
							   "AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d "
							   "                WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							   "                AND d.objid OPERATOR(pg_catalog.=) c.oid "
							   "                AND d.deptype OPERATOR(pg_catalog.=) 'e') "
							   "ORDER BY 1",
							   1, argtypes, values, NULL, false,
							   schemata_append_first_value, &names);
	schemata_restore_search_path(nestlevel);
	return names;
}

/* The labels of enum type "typid", in their order. */
List *
schemata_enum_labels(Oid typid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(typid)};
	List	   *labels = NIL;
	int			nestlevel = schemata_pin_search_path();

	(void) schemata_spi_select("SELECT enumlabel::pg_catalog.text FROM pg_catalog.pg_enum "
							   "WHERE enumtypid OPERATOR(pg_catalog.=) $1 ORDER BY enumsortorder",
							   1, argtypes, values, NULL, false,
							   schemata_append_first_value, &labels);
	schemata_restore_search_path(nestlevel);
	return labels;
}
