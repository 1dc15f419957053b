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
 * fields.  To get those forms for a model, the model's table is created as a
 * temporary table inside a subtransaction that is then rolled back
 * (schemata_describe_model()), so a default such as 'pending' compares
 * equal to the stored 'pending'::character varying, and serial columns, casts
 * and now() need no special rules.  A column whose default is the nextval()
 * of a sequence it owns is described as "serial", the same for the live
 * table and the temporary one.
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/resowner.h"

#include "schemata.h"

/* Quoted names of the attributes "nums" of relation "rel", comma-separated. */
#define ATTNAMES_SQL(nums, rel) \
	"(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ',' ORDER BY k.n) " \
	"FROM pg_catalog.unnest(" nums ") WITH ORDINALITY AS k(attnum, n) " \
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = " rel " AND a.attnum = k.attnum)"

/*
 * One row per column, constraint and index (those that back no constraint)
 * of relation $1: kind, name, definition, type, type oid, typmod, not null,
 * default, generated.
 */
static const char *const describe_sql =
"SELECT 0, a.attname::text, NULL::text, pg_catalog.format_type(a.atttypid, a.atttypmod), "
"       a.atttypid, a.atttypmod, a.attnotnull, "
"       CASE WHEN a.attidentity = '' AND a.attgenerated = '' AND "
"                 pg_catalog.pg_get_serial_sequence($1::pg_catalog.regclass::text, a.attname) IS NOT NULL "
"            THEN 'serial' ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END, "
"       a.attgenerated <> '', a.attnum "
"FROM pg_catalog.pg_attribute a "
"LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
"WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
"UNION ALL "
"SELECT CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 WHEN 'c' THEN 3 ELSE 4 END, "
"       c.conname::text, "
"       CASE WHEN c.contype = 'f' THEN pg_catalog.concat_ws('|', "
ATTNAMES_SQL("c.conkey", "c.conrelid") ", "
"           (SELECT pg_catalog.quote_ident(rn.nspname) || '.' || pg_catalog.quote_ident(rc.relname) "
"            FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
"            WHERE rc.oid = c.confrelid), "
ATTNAMES_SQL("c.confkey", "c.confrelid") ", "
"           c.confdeltype, c.confupdtype) "
"       ELSE pg_catalog.pg_get_constraintdef(c.oid) END, "
"       NULL, NULL, NULL, NULL, NULL, NULL, 0 "
"FROM pg_catalog.pg_constraint c "
"WHERE c.conrelid = $1 AND c.contype IN ('p', 'u', 'c', 'f') "
"UNION ALL "
"SELECT 5, i.relname::text, pg_catalog.concat_ws('|', x.indisunique, x.indnullsnotdistinct, am.amname, "
ATTNAMES_SQL("x.indkey::pg_catalog.int2[]", "x.indrelid") ", "
"           x.indclass::text, x.indoption::text, pg_catalog.pg_get_expr(x.indpred, x.indrelid), "
"           i.reloptions::text, i.reltablespace), "
"       NULL, NULL, NULL, NULL, NULL, NULL, 0 "
"FROM pg_catalog.pg_index x "
"JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
"JOIN pg_catalog.pg_am am ON am.oid = i.relam "
"WHERE x.indrelid = $1 AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c "
"                                      WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) "
"ORDER BY 1, 10, 2";

/* A table as the catalog describes it (see describe_sql). */
CatalogTable *
schemata_describe_table(Oid relid)
{
	MemoryContext cxt = CurrentMemoryContext;
	CatalogTable *table = palloc0(sizeof(CatalogTable));
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	int			rc;

	rc = SPI_execute_with_args(describe_sql, 1, argtypes, values, NULL, false, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not describe table %u: %s", relid, SPI_result_code_string(rc));
	table->nitems = (int) SPI_processed;
	table->items = palloc0(Max(table->nitems, 1) * sizeof(CatalogItem));
	for (int i = 0; i < table->nitems; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CatalogItem *item = &table->items[i];
		bool		isnull;

		item->kind = (CatalogItemKind) DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		item->name = SPI_getvalue(tuple, desc, 2);
		item->definition = SPI_getvalue(tuple, desc, 3);
		if (item->kind != ITEM_COLUMN)
			continue;
		item->type = SPI_getvalue(tuple, desc, 4);
		item->type_oid = DatumGetObjectId(SPI_getbinval(tuple, desc, 5, &isnull));
		item->typmod = DatumGetInt32(SPI_getbinval(tuple, desc, 6, &isnull));
		item->not_null = DatumGetBool(SPI_getbinval(tuple, desc, 7, &isnull));
		item->default_expr = SPI_getvalue(tuple, desc, 8);
		item->generated = DatumGetBool(SPI_getbinval(tuple, desc, 9, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return table;
}

/*
 * The table "model" would create, as the catalog would describe it: it is
 * created as a temporary table, with its indexes but without foreign keys,
 * in a subtransaction that is rolled back.
 *
 * An error (the model's default does not fit its type, ...) rolls back that
 * subtransaction before it propagates.  Left open, the caller's exception
 * block would roll back this subtransaction in place of its own, and the
 * session would stay inside a subtransaction for good: nothing it did
 * afterwards would ever commit, and the backend crashed at exit.
 */
CatalogTable *
schemata_describe_model(const ModelTable *model)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ModelTable	scratch = *model;
	CatalogTable *table;

	scratch.schema = "pg_temp";
	scratch.nforeign_keys = 0;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);

	PG_TRY();
	{
		schemata_execute_ddl(schemata_create_table_sql(&scratch, NULL), model->path);
		for (int i = 0; i < scratch.nindexes; i++)
			schemata_execute_ddl(schemata_create_index_sql(&scratch, &scratch.indexes[i]),
								 scratch.indexes[i].path);
		table = schemata_describe_table(RangeVarGetRelid(makeRangeVar("pg_temp", scratch.name, -1),
														 NoLock, false));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ReThrowError(edata);
	}
	PG_END_TRY();

	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return table;
}

/* A model's foreign key in the form schemata_describe_table() gives. */
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
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(schema)};
	List	   *names = NIL;
	int			rc;

	rc = SPI_execute_with_args("SELECT c.relname::text FROM pg_catalog.pg_class c "
							   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
							   "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
							   "AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d "
							   "                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							   "                AND d.objid = c.oid AND d.deptype = 'e') "
							   "ORDER BY 1",
							   1, argtypes, values, NULL, false, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not list tables: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
		names = lappend(names, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	SPI_freetuptable(SPI_tuptable);
	return names;
}
