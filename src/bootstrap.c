/*-------------------------------------------------------------------------
 *
 * bootstrap.c
 *	  bootstrap() creates the models' tables, teardown() drops them; both
 *	  take the tables in foreign-key order.  The DDL text is ddl.c's.
 *
 * bootstrap() runs, through SPI in the caller's transaction: CREATE
 * EXTENSION for each missing extension, CREATE SCHEMA for each missing
 * schema, CREATE TYPE ... AS ENUM for each missing enum, CREATE TABLE for each missing table (referenced tables first),
 * CREATE INDEX for the indexes of the tables it created, and last the
 * foreign keys that close a cycle.  A table that exists is not altered: its
 * constraints and indexes that the model names are reported as existing,
 * the model's indexes it lacks are created (as pg-schemata's createTable()
 * does) when it has their columns, and a NOTICE says how else its columns
 * and named constraints differ from the model, which sync() applies.
 * The statements are pg-schemata's createTable() statements, except that
 * every identifier is quoted properly, schemas are created only when missing,
 * the clauses of CREATE INDEX come in PostgreSQL's order, and an index name
 * that is taken is an error rather than silently skipped.
 *
 * teardown() drops the models' tables that exist in one DROP TABLE, which
 * PostgreSQL orders itself; anything else depending on them is an error
 * naming it, and nothing is dropped, unless cascade is asked for: then it
 * goes too, and is reported (read from pg_depend before the drop).  The
 * models' enums are dropped after the tables, alike.  With
 * drop_schema, the models' schemas left empty are dropped (public never).
 *
 * Both run their statements with search_path pinned to pg_catalog (see
 * searchpath.c), CREATE EXTENSION excepted (see schemata_bootstrap()), so
 * the models' types, defaults and expressions resolve as model.c checked
 * them, and nothing the caller's path holds is called.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/bootstrap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migration.h"
#include "model.h"

/*---- order ----*/

/*
 * Tables in foreign-key order: referenced tables first.  deferred[t][k] says
 * whether foreign key k of table t is left out of its CREATE TABLE and added
 * once every table exists, because it closes a cycle.
 */
typedef struct TableOrder
{
	int		   *order;			/* indexes into ModelSet.tables */
	bool	  **deferred;		/* [table][foreign key] */
} TableOrder;

/* The model table foreign key "fk" references, or -1 for another table. */
static int
referenced_model(const ModelSet *set, const ModelForeignKey *fk)
{
	const ModelTable *target = schemata_find_model(set, fk->ref_schema, fk->ref_table);

	return target != NULL ? (int) (target - set->tables) : -1;
}

/*
 * Whether table t can be created once the tables in "placed" exist: each of
 * its foreign keys references itself, a placed table, a table outside the
 * models, or is deferred.
 */
static bool
can_place(const ModelSet *set, const TableOrder *order, const bool *placed, int t)
{
	const ModelTable *table = &set->tables[t];

	for (int k = 0; k < table->nforeign_keys; k++)
	{
		int			target = referenced_model(set, &table->foreign_keys[k]);

		if (target >= 0 && target != t && !placed[target] && !order->deferred[t][k])
			return false;
	}
	return true;
}

/*
 * Tables in foreign-key order, model order among equals.  When only cycles
 * are left, the first table left is created without the foreign keys that
 * reference tables not yet created; those are added at the end.
 */
static TableOrder *
table_order(const ModelSet *set)
{
	TableOrder *order = palloc(sizeof(TableOrder));
	bool	   *placed = palloc0(Max(set->ntables, 1) * sizeof(bool));

	order->order = palloc(Max(set->ntables, 1) * sizeof(int));
	order->deferred = palloc(Max(set->ntables, 1) * sizeof(bool *));
	for (int t = 0; t < set->ntables; t++)
		order->deferred[t] = palloc0(Max(set->tables[t].nforeign_keys, 1) * sizeof(bool));

	for (int n = 0; n < set->ntables; n++)
	{
		int			next = -1;

		for (int t = 0; t < set->ntables && next < 0; t++)
			if (!placed[t] && can_place(set, order, placed, t))
				next = t;
		if (next < 0)
		{
			/* a cycle: break it at the first table left */
			for (next = 0; placed[next]; next++)
				;
			Assert(next < set->ntables);
			for (int k = 0; k < set->tables[next].nforeign_keys; k++)
			{
				int			target = referenced_model(set, &set->tables[next].foreign_keys[k]);

				if (target >= 0 && target != next && !placed[target])
					order->deferred[next][k] = true;
			}
		}
		Assert(!placed[next]);
		placed[next] = true;
		order->order[n] = next;
	}
	return order;
}

/*---- bootstrap ----*/

static char *
qualified_name3(const char *schema, const char *table, const char *name)
{
	return psprintf("%s.%s", quote_qualified_identifier(schema, table), quote_identifier(name));
}

#if PG_VERSION_NUM < 150000
/*
 * 13 and 14 report an extension the server does not have by the path of its
 * control file; report it as 15 does, the same on every major.
 */
static void
check_extension_available(const char *name, const char *path)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	PathContext ctx;

	schemata_push_path(&ctx, path, NULL);
	if (schemata_spi_execute("SELECT 1 FROM pg_catalog.pg_available_extensions() "
							 "WHERE name::pg_catalog.text OPERATOR(pg_catalog.=) $1",
							 1, argtypes, values, NULL, true, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"%s\" is not available", name),
				 errhint("The extension must first be installed on the system where PostgreSQL is running.")));
	schemata_pop_path(&ctx);
}
#endif

static void
ensure_extensions(ArrayType *extensions, ObjectCallback callback, void *arg)
{
	Datum	   *names;
	bool	   *nulls;
	int			n;

	deconstruct_array(extensions, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("extensions cannot contain null")));
		name = TextDatumGetCString(names[i]);
		if (OidIsValid(get_extension_oid(name, true)))
			callback("extension", quote_identifier(name), "exists", arg);
		else
		{
#if PG_VERSION_NUM < 150000
			check_extension_available(name, psprintf("extensions[%d]", i + 1));
#endif
			schemata_execute_ddl(psprintf("CREATE EXTENSION %s", quote_identifier(name)),
								 psprintf("extensions[%d]", i + 1));
			callback("extension", quote_identifier(name), "created", arg);
		}
	}
}

/* Schema "schema", unless in "seen", created when missing. */
static void
ensure_schema(const char *schema, const char *path, List **seen,
			  ObjectCallback callback, void *arg)
{
	ListCell   *lc;

	foreach(lc, *seen)
	{
		if (strcmp(lfirst(lc), schema) == 0)
			return;
	}
	*seen = lappend(*seen, (char *) schema);
	schemata_check_target_schema(schema);
	if (OidIsValid(get_namespace_oid(schema, true)))
		callback("schema", quote_identifier(schema), "exists", arg);
	else
	{
		schemata_execute_ddl(psprintf("CREATE SCHEMA %s", quote_identifier(schema)), path);
		callback("schema", quote_identifier(schema), "created", arg);
	}
}

/* Each schema of the models (of tables, then of enums), once, created when missing. */
static void
ensure_schemas(const ModelSet *set, ObjectCallback callback, void *arg)
{
	List	   *seen = NIL;

	for (int t = 0; t < set->ntables; t++)
		ensure_schema(set->tables[t].schema, set->tables[t].path, &seen, callback, arg);
	for (int e = 0; e < set->nenums; e++)
		ensure_schema(set->enums[e].schema, set->enums[e].path, &seen, callback, arg);
}

/* Whether enum type "typid" has exactly the labels of "model_enum", in order. */
static bool
same_labels(const ModelEnum *model_enum, Oid typid)
{
	List	   *labels = schemata_enum_labels(typid);

	if (list_length(labels) != model_enum->nvalues)
		return false;
	for (int i = 0; i < model_enum->nvalues; i++)
		if (strcmp(list_nth(labels, i), model_enum->values[i]) != 0)
			return false;
	return true;
}

/*
 * The type of enum "model_enum" if it exists, checked to be an enum; else
 * InvalidOid.
 */
static Oid
existing_enum(const ModelEnum *model_enum)
{
	Oid			typid = schemata_enum_oid(model_enum);

	if (OidIsValid(typid) && get_typtype(typid) != TYPTYPE_ENUM)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("type \"%s.%s\" of %s exists and is not an enum",
						model_enum->schema, model_enum->name, model_enum->path)));
	return typid;
}

/*
 * Each enum of the models, created when missing; one that exists is left
 * alone, with a NOTICE when its labels differ from the model's.
 */
static void
ensure_enums(const ModelSet *set, ObjectCallback callback, void *arg)
{
	for (int e = 0; e < set->nenums; e++)
	{
		const ModelEnum *model_enum = &set->enums[e];
		char	   *name = quote_qualified_identifier(model_enum->schema, model_enum->name);
		Oid			typid = existing_enum(model_enum);

		if (!OidIsValid(typid))
		{
			schemata_execute_ddl(schemata_create_enum_sql(model_enum), model_enum->path);
			callback("enum", name, "created", arg);
			continue;
		}
		callback("enum", name, "exists", arg);
		if (!same_labels(model_enum, typid))
			ereport(NOTICE,
					(errmsg("enum \"%s.%s\" differs from its model at %s", model_enum->schema, model_enum->name, model_enum->path),
					 errdetail("The model's values are %s.", schemata_enum_values_sql(model_enum)),
					 errhint("Bootstrap does not change a type that exists; schemata.sync() applies the model, and schemata.diff() lists its steps.")));
	}
}

static bool
table_exists(const ModelTable *table)
{
	Oid			nsp = get_namespace_oid(table->schema, true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(table->name, nsp));
}

/*
 * The names of the constraints "table" names: its primary key (as
 * PostgreSQL names it), unique constraints and foreign keys.
 */
static ArrayType *
named_constraints(const ModelTable *table)
{
	Datum	   *names = palloc((1 + table->nuniques + table->nforeign_keys) * sizeof(Datum));
	int			n = 0;

	if (table->primary_key.n > 0)
		names[n++] = CStringGetTextDatum(makeObjectName(table->name, NULL, "pkey"));
	for (int i = 0; i < table->nuniques; i++)
		names[n++] = CStringGetTextDatum(table->uniques[i].name);
	for (int i = 0; i < table->nforeign_keys; i++)
		names[n++] = CStringGetTextDatum(table->foreign_keys[i].name);
	return construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* The objects a query reports: to whom, with what action; of which table. */
typedef struct ObjectReport
{
	ObjectCallback callback;
	void	   *arg;
	const char *action;
	const ModelTable *table;	/* for constraints */
} ObjectReport;

/* A row of report_constraints(): name, type. */
static void
report_constraint_row(HeapTuple tuple, TupleDesc desc, void *arg)
{
	ObjectReport *report = (ObjectReport *) arg;

	report->callback(SPI_getvalue(tuple, desc, 2),
					 qualified_name3(report->table->schema, report->table->name,
									 SPI_getvalue(tuple, desc, 1)),
					 report->action, report->arg);
}

/*
 * Report the constraints of "table" with "action", as the catalog names
 * them: all of them, or with "names" only those.
 */
static void
report_constraints(const ModelTable *table, ArrayType *names, const char *action,
				   ObjectCallback callback, void *arg)
{
	ObjectReport report = {callback, arg, action, table};
	Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};
	Datum		values[2];
	char		nulls[2] = {' ', names == NULL ? 'n' : ' '};

	values[0] = ObjectIdGetDatum(get_relname_relid(table->name,
												   get_namespace_oid(table->schema, false)));
	/* the table exists: bootstrap found it or has just created it */
	Assert(OidIsValid(DatumGetObjectId(values[0])));
	values[1] = PointerGetDatum(names);
	(void) schemata_spi_select("SELECT conname::pg_catalog.text, "
							   "CASE WHEN contype OPERATOR(pg_catalog.=) 'p' THEN 'primary key' "
							   "WHEN contype OPERATOR(pg_catalog.=) 'u' THEN 'unique' "
							   "WHEN contype OPERATOR(pg_catalog.=) 'f' THEN 'foreign key' "
							   "ELSE 'check' END "
							   "FROM pg_catalog.pg_constraint WHERE conrelid OPERATOR(pg_catalog.=) $1 "
							   "AND contype OPERATOR(pg_catalog.=) ANY ('{p,u,f,c}'::pg_catalog.\"char\"[]) "
							   "AND ($2 IS NULL OR conname OPERATOR(pg_catalog.=) ANY ($2)) "
							   "ORDER BY pg_catalog.strpos('pufc', contype::pg_catalog.text), conname",
							   2, argtypes, values, nulls, false,
							   report_constraint_row, &report);
}

/*
 * Append to "differences" a sentence for each constraint existing "table"
 * lacks among those its model names (see named_constraints()).
 */
static void
describe_missing_constraints(const ModelTable *table, StringInfo differences)
{
	Oid			relid = get_relname_relid(table->name, get_namespace_oid(table->schema, false));
	ArrayType  *names = named_constraints(table);
	Datum	   *values;
	int			n;

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &values, NULL, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name = TextDatumGetCString(values[i]);

		if (!OidIsValid(get_relation_constraint_oid(relid, name, true)))
			appendStringInfo(differences, "\nConstraint %s is missing.", quote_identifier(name));
	}
}

/* Whether the table "relid" has every column index "index" uses. */
static bool
has_index_columns(Oid relid, const ModelIndex *index)
{
	ListCell   *lc;

	for (int i = 0; i < index->ncolumns; i++)
		if (get_attnum(relid, index->columns[i].name) == InvalidAttrNumber)
			return false;
	if (index->where_sql != NULL)
	{
		foreach(lc, schemata_expression_columns(index->where_sql, index->path))
		{
			if (get_attnum(relid, strVal(lfirst(lc))) == InvalidAttrNumber)
				return false;
		}
	}
	return true;
}

/*
 * The indexes of existing "table" that the model names: those that exist
 * are reported with "exists", those missing are created (pg-schemata's
 * createTable() runs CREATE INDEX IF NOT EXISTS on a table that exists) when
 * the table has the columns they use.  Appends to "differences" a sentence
 * for each index left missing.
 */
static void
complete_indexes(const ModelTable *table, StringInfo differences,
				 ObjectCallback callback, void *arg)
{
	Oid			nsp = get_namespace_oid(table->schema, false);
	Oid			relid = get_relname_relid(table->name, nsp);

	Assert(OidIsValid(relid));
	for (int i = 0; i < table->nindexes; i++)
	{
		const ModelIndex *index = &table->indexes[i];
		Oid			index_oid = get_relname_relid(index->name, nsp);
		const char *name = quote_qualified_identifier(table->schema, index->name);

		if (OidIsValid(index_oid) && get_rel_relkind(index_oid) == RELKIND_INDEX &&
			IndexGetRelation(index_oid, false) == relid)
			callback("index", name, "exists", arg);
		else if (has_index_columns(relid, index))
		{
			/* a name taken by another relation is an error, as for new tables */
			schemata_execute_ddl(schemata_create_index_sql(table, index), index->path);
			callback("index", name, "created", arg);
		}
		else
			appendStringInfo(differences, "\nIndex %s is missing; it uses columns the table does not have.",
							 quote_identifier(index->name));
	}
}

/*
 * Append to "differences" a sentence for each way the columns of existing
 * "table" differ from its model's by name, type or NOT NULL, and for each
 * primary key, unique constraint or foreign key of the model (by name) it
 * lacks.  Defaults, checks and the definitions of constraints and indexes
 * are for diff() to compare.
 */
static void
describe_differences(const ModelTable *table, StringInfo differences)
{
	Oid			relid = get_relname_relid(table->name, get_namespace_oid(table->schema, false));
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < table->ncolumns; i++)
	{
		const ModelColumn *column = &table->columns[i];
		AttrNumber	attnum = get_attnum(relid, column->name);
		Form_pg_attribute att;
		bool		not_null;

		if (attnum == InvalidAttrNumber)
		{
			appendStringInfo(differences, "\nColumn %s is missing.", quote_identifier(column->name));
			continue;
		}
		att = TupleDescAttr(desc, attnum - 1);
		if (att->atttypid != column->type_oid || att->atttypmod != column->typmod)
			appendStringInfo(differences, "\nColumn %s is %s, the model has %s.",
							 quote_identifier(column->name),
							 format_type_with_typemod(att->atttypid, att->atttypmod),
							 format_type_with_typemod(column->type_oid, column->typmod));
		not_null = column->not_null || column->is_serial ||
			schemata_in_column_list(&table->primary_key, column->name);
		if (att->attnotnull != not_null)
			appendStringInfo(differences,
							 att->attnotnull ? "\nColumn %s is NOT NULL, the model's is not." :
							 "\nColumn %s can be null, the model's is NOT NULL.",
							 quote_identifier(column->name));
	}
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && schemata_find_model_column(table, NameStr(att->attname)) == NULL)
			appendStringInfo(differences, "\nColumn %s is not in the model.",
							 quote_identifier(NameStr(att->attname)));
	}
	table_close(rel, AccessShareLock);
	describe_missing_constraints(table, differences);
}

/*
 * Existing "table": create the indexes of its model it lacks, and say in a
 * NOTICE what else differs from the model, which sync() applies.
 */
static void
complete_existing_table(const ModelTable *table, ObjectCallback callback, void *arg)
{
	StringInfoData differences;

	initStringInfo(&differences);
	describe_differences(table, &differences);
	complete_indexes(table, &differences, callback, arg);
	if (differences.len > 0)
		ereport(NOTICE,
				(errmsg("table \"%s.%s\" differs from its model at %s", table->schema, table->name, table->path),
				 errdetail_internal("%s", differences.data + 1),
				 errhint("Bootstrap does not change a table that exists; schemata.sync() applies the model, and schemata.diff() lists its steps.")));
}

/*
 * Create what the models describe and is missing: extensions, schemas,
 * tables with their constraints, indexes, and the foreign keys that close
 * cycles.  Reports each object with "created" or "exists".
 */
void
schemata_bootstrap(ModelSet *set, ArrayType *extensions, ObjectCallback callback,
				   void *arg)
{
	TableOrder *order = table_order(set);
	bool	   *created = palloc0(Max(set->ntables, 1) * sizeof(bool));
	int			nestlevel;

	/*
	 * CREATE EXTENSION, alone, runs under the caller's search_path: without a
	 * SCHEMA clause it installs into the schema its control file names, else
	 * into the first schema of the path, as it would outside schemata; under
	 * the pinned path that would be pg_catalog.  (A SCHEMA clause naming the
	 * caller's schema would fail for an extension whose control file names
	 * another.)  The statement resolves no function, operator or type, and
	 * the extension's script runs with the search_path CREATE EXTENSION sets
	 * for it.
	 */
	ensure_extensions(extensions, callback, arg);
	nestlevel = schemata_pin_search_path();
	ensure_schemas(set, callback, arg);
	ensure_enums(set, callback, arg);
	schemata_resolve_enum_columns(set);
	for (int n = 0; n < set->ntables; n++)
	{
		int			t = order->order[n];
		const ModelTable *table = &set->tables[t];

		if (table_exists(table))
		{
			callback("table", schemata_qualified_table(table), "exists", arg);
			report_constraints(table, named_constraints(table), "exists", callback, arg);
			complete_existing_table(table, callback, arg);
			continue;
		}
		schemata_execute_ddl(schemata_create_table_sql(table, order->deferred[t]), table->path);
		created[t] = true;
		callback("table", schemata_qualified_table(table), "created", arg);
		report_constraints(table, NULL, "created", callback, arg);
	}
	for (int n = 0; n < set->ntables; n++)
	{
		const ModelTable *table = &set->tables[order->order[n]];

		if (!created[order->order[n]])
			continue;
		for (int i = 0; i < table->nindexes; i++)
		{
			schemata_execute_ddl(schemata_create_index_sql(table, &table->indexes[i]),
								 table->indexes[i].path);
			callback("index", quote_qualified_identifier(table->schema, table->indexes[i].name),
					 "created", arg);
		}
	}
	for (int t = 0; t < set->ntables; t++)
		for (int k = 0; k < set->tables[t].nforeign_keys; k++)
		{
			const ModelTable *table = &set->tables[t];
			const ModelForeignKey *fk = &table->foreign_keys[k];

			if (!created[t] || !order->deferred[t][k])
				continue;
			schemata_execute_ddl(schemata_add_foreign_key_sql(table, fk), fk->path);
			callback("foreign key", qualified_name3(table->schema, table->name, fk->name),
					 "created", arg);
		}
	schemata_restore_search_path(nestlevel);
}

/*---- teardown ----*/

/* A row of report_cascade(): type, identity. */
static void
report_dropped_row(HeapTuple tuple, TupleDesc desc, void *arg)
{
	ObjectReport *report = (ObjectReport *) arg;

	report->callback(SPI_getvalue(tuple, desc, 1), SPI_getvalue(tuple, desc, 2),
					 report->action, report->arg);
}

/*
 * Report with "dropped" what DROP TABLE ... CASCADE of the tables "relids"
 * and DROP TYPE ... CASCADE of the types "typids" drop besides them, as
 * PostgreSQL's NOTICE lists it: the objects that depend on them (or on their
 * parts, such as a table's row type or a column) through a normal
 * dependency, and recursively what depends on those, each object named by
 * the one it is part of (a view for its rewrite rule).  The tables' own
 * parts (their columns, indexes, constraints, sequences, and the foreign
 * keys between them) go with them and are not listed; a column of another
 * table of an enum type is.
 */
static void
report_cascade(ArrayType *relids, ArrayType *typids, ObjectCallback callback, void *arg)
{
	ObjectReport report = {callback, arg, "dropped", NULL};
	Oid			argtypes[2] = {OIDARRAYOID, OIDARRAYOID};
	Datum		values[2] = {PointerGetDatum(relids), PointerGetDatum(typids)};

	(void) schemata_spi_select(
							   "WITH RECURSIVE gone(classid, objid, objsubid, reported) AS ("
							   " SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, t, 0, false"
							   " FROM pg_catalog.unnest($1) AS t"
							   " UNION"
							   " SELECT 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid, t, 0, false"
							   " FROM pg_catalog.unnest($2) AS t"
							   " UNION"
							   " SELECT COALESCE(o.refclassid, d.classid), COALESCE(o.refobjid, d.objid),"
							   " COALESCE(o.refobjsubid, d.objsubid), d.deptype OPERATOR(pg_catalog.=) 'n'"
							   " FROM gone g JOIN pg_catalog.pg_depend d"
							   " ON d.refclassid OPERATOR(pg_catalog.=) g.classid"
							   " AND d.refobjid OPERATOR(pg_catalog.=) g.objid"
							   " AND (g.objsubid OPERATOR(pg_catalog.=) 0 OR d.refobjsubid OPERATOR(pg_catalog.=) g.objsubid)"
							   " LEFT JOIN pg_catalog.pg_depend o"
							   " ON d.deptype OPERATOR(pg_catalog.=) 'n'"
							   " AND o.classid OPERATOR(pg_catalog.=) d.classid"
							   " AND o.objid OPERATOR(pg_catalog.=) d.objid"
							   " AND o.deptype OPERATOR(pg_catalog.=) 'i'"
							   " WHERE d.deptype OPERATOR(pg_catalog.=) ANY ('{n,a,i}'::pg_catalog.\"char\"[]))"
							   " SELECT DISTINCT i.type, i.identity"
							   " FROM gone g, pg_catalog.pg_identify_object(g.classid, g.objid, g.objsubid) AS i"
							   " WHERE g.reported AND NOT (g.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
							   " AND g.objid OPERATOR(pg_catalog.=) ANY ($1))"
							   " AND NOT (g.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass"
							   " AND g.objid OPERATOR(pg_catalog.=) ANY ($2))"
							   " AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend p"
							   " WHERE p.classid OPERATOR(pg_catalog.=) g.classid"
							   " AND p.objid OPERATOR(pg_catalog.=) g.objid"
							   " AND p.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}'::pg_catalog.\"char\"[])"
							   " AND p.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
							   " AND p.refobjid OPERATOR(pg_catalog.=) ANY ($1))"
							   " ORDER BY 1, 2",
							   2, argtypes, values, NULL, true, report_dropped_row, &report);
}

/* Whether schema "nsp" holds no object (nothing depends on it). */
static bool
schema_is_empty(Oid nsp)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	bool		empty;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(NamespaceRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(nsp));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	empty = !HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return empty;
}

/*
 * Drop each schema the models name that is now empty ("dropped"); one that
 * is not, and public, are "kept".  Schemas that do not exist are skipped.
 */
static void
drop_empty_schemas(const ModelSet *set, ObjectCallback callback, void *arg)
{
	List	   *seen = NIL;

	for (int i = 0; i < set->ntables + set->nenums; i++)
	{
		const char *schema = i < set->ntables ? set->tables[i].schema
		: set->enums[i - set->ntables].schema;
		Oid			nsp = get_namespace_oid(schema, true);

		if (!OidIsValid(nsp) || list_member_oid(seen, nsp))
			continue;
		seen = lappend_oid(seen, nsp);
		if (strcmp(schema, "public") != 0 && schema_is_empty(nsp))
		{
			schemata_execute_ddl(psprintf("DROP SCHEMA %s", quote_identifier(schema)), "models");
			callback("schema", quote_identifier(schema), "dropped", arg);
		}
		else
			callback("schema", quote_identifier(schema), "kept", arg);
	}
}

/*
 * Drop the models' tables, referencing tables first, in one DROP TABLE (so
 * cycles need nothing special), then their enums in one DROP TYPE.  Tables
 * and enums that do not exist are reported as "absent".  With "cascade",
 * what depends on them is dropped too and reported first; with
 * "drop_schema", the models' schemas left empty go too.
 */
void
schemata_teardown(const ModelSet *set, bool cascade, bool drop_schema,
				  ObjectCallback callback, void *arg)
{
	TableOrder *order = table_order(set);
	StringInfoData tables_sql;
	StringInfoData types_sql;
	bool	   *exists = palloc0(Max(set->ntables, 1) * sizeof(bool));
	bool	   *enum_exists = palloc0(Max(set->nenums, 1) * sizeof(bool));
	Datum	   *relids = palloc(Max(set->ntables, 1) * sizeof(Datum));
	Datum	   *typids = palloc(Max(set->nenums, 1) * sizeof(Datum));
	int			nrelids = 0;
	int			ntypids = 0;
	const char *drop_behavior = cascade ? " CASCADE" : "";
	int			nestlevel = schemata_pin_search_path();

	initStringInfo(&tables_sql);
	initStringInfo(&types_sql);
	for (int n = set->ntables - 1; n >= 0; n--)
	{
		int			t = order->order[n];
		const ModelTable *table = &set->tables[t];

		schemata_check_target_schema(table->schema);
		exists[t] = table_exists(table);
		if (!exists[t])
			continue;
		appendStringInfo(&tables_sql, "%s%s", tables_sql.len == 0 ? "DROP TABLE " : ", ",
						 schemata_qualified_table(table));
		relids[nrelids++] = ObjectIdGetDatum(get_relname_relid(table->name,
															   get_namespace_oid(table->schema, false)));
	}
	for (int e = 0; e < set->nenums; e++)
	{
		const ModelEnum *model_enum = &set->enums[e];
		Oid			typid;

		schemata_check_target_schema(model_enum->schema);
		typid = existing_enum(model_enum);
		enum_exists[e] = OidIsValid(typid);
		if (!enum_exists[e])
			continue;
		appendStringInfo(&types_sql, "%s%s", types_sql.len == 0 ? "DROP TYPE " : ", ",
						 quote_qualified_identifier(model_enum->schema, model_enum->name));
		typids[ntypids++] = ObjectIdGetDatum(typid);
	}
	if (cascade)
		report_cascade(construct_array(relids, nrelids, OIDOID, sizeof(Oid), true, TYPALIGN_INT),
					   construct_array(typids, ntypids, OIDOID, sizeof(Oid), true, TYPALIGN_INT),
					   callback, arg);
	if (tables_sql.len > 0)
		schemata_execute_ddl(psprintf("%s%s", tables_sql.data, drop_behavior), "models");
	if (types_sql.len > 0)
		schemata_execute_ddl(psprintf("%s%s", types_sql.data, drop_behavior), "models");
	for (int n = set->ntables - 1; n >= 0; n--)
	{
		int			t = order->order[n];

		callback("table", schemata_qualified_table(&set->tables[t]), exists[t] ? "dropped" : "absent", arg);
	}
	for (int e = 0; e < set->nenums; e++)
		callback("enum", quote_qualified_identifier(set->enums[e].schema, set->enums[e].name),
				 enum_exists[e] ? "dropped" : "absent", arg);
	if (drop_schema)
		drop_empty_schemas(set, callback, arg);
	schemata_restore_search_path(nestlevel);
}
