/*-------------------------------------------------------------------------
 *
 * diff.c
 *	  The operations that bring the live catalog to the models (diff), and
 *	  running them (sync).
 *
 * Every schema a model names is covered: its tables that no model names are
 * dropped (except tables that belong to an extension).  A model table is
 * compared with the live one part by part, both described by catalog.c in
 * PostgreSQL's canonical forms: columns by name (type, NOT NULL, default,
 * generation expression), unique constraints, foreign keys and indexes by
 * name, primary keys and checks by definition.  A changed constraint or index is
 * dropped and added again; a changed generation expression drops and adds
 * its column, and the constraints and indexes that use it (DROP COLUMN
 * drops them, as pg_depend records) are dropped and added with it.  renamedFrom turns what would be a drop and an add into a
 * rename; the names derived from the old names (primary key, checks, serial
 * sequences, and pg-schemata's uidx_/fk_/idx_ names) are renamed with them,
 * so that the catalog becomes the one bootstrap() makes; keys, checks,
 * indexes and generation expressions on renamed columns are compared under
 * the columns' live names, so the rename carries them.  Renames that cannot
 * run (from a name the model also gives, or two from one name) are refused
 * before any step is made.  An index's tablespace is compared only when
 * the model names one; an identity column is NOT NULL whatever the model
 * says.
 *
 * The models' enums are created when missing (their tables are then
 * described inside a subtransaction, rolled back, where they exist), gain
 * the values they lack with ADD VALUE BEFORE/AFTER in the model's order,
 * and are made again (a destructive step: rename, create, convert every
 * column of the type through text, drop the old one) when they lose values,
 * which PostgreSQL cannot drop.
 *
 * Steps are ordered so that their SQL runs as written: schemas, enums, renames,
 * drops of constraints and indexes, of tables, of columns, column changes,
 * new columns, new tables, then constraints, indexes and last foreign keys.
 * destructive marks the steps that can lose data: dropping a table or a
 * column, and changing a column's type unless it only widens it.  A type
 * change that has an assignment cast has no USING clause: that cast fails on
 * a value that does not fit (value too long) instead of cutting it; one that
 * has none gets USING col::type, the explicit cast.
 *
 * The diff is computed and its steps run with search_path pinned to
 * pg_catalog (see searchpath.c): the models' SQL resolves as model.c checked
 * it, and both sides are described under the same path.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/diff.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migration.h"
#include "model.h"

/* Phases, in the order their steps run. */
typedef enum DiffPhase
{
	PHASE_CREATE_SCHEMA,
	PHASE_ENUM,
	PHASE_RENAME_TABLE,
	PHASE_RENAME_COLUMN,
	PHASE_RENAME_DERIVED,
	PHASE_DROP_FOREIGN_KEY,
	PHASE_DROP_CONSTRAINT,
	PHASE_DROP_TABLE,
	PHASE_DROP_COLUMN,
	PHASE_DROP_DEFAULT,
	PHASE_ALTER_TYPE,
	PHASE_ALTER_COLUMN,
	PHASE_ADD_COLUMN,
	PHASE_CREATE_TABLE,
	PHASE_ADD_CONSTRAINT,
	PHASE_CREATE_INDEX,
	PHASE_ADD_FOREIGN_KEY
} DiffPhase;

typedef struct PhasedStep
{
	DiffPhase	phase;
	int			seq;			/* order of discovery, within a phase */
	DiffStep	step;
} PhasedStep;

typedef struct Diff
{
	int			nsteps;
	int			allocated;
	PhasedStep *steps;
	const ModelSet *set;		/* the models */
	CatalogTables *live;		/* the live tables the diff reads */
} Diff;

/* The table being compared: names for SQL and object names. */
typedef struct TableDiff
{
	Diff	   *diff;
	const ModelTable *model;
	char	   *qualified;		/* "schema"."table" */
	const char *live_name;		/* the table's name before a rename */
	Oid			relid;			/* the live table, or InvalidOid */
	bool		renames;		/* the table or one of its columns is renamed */

	/*
	 * Names of the live constraints and indexes that use a column dropped and
	 * added again: DROP COLUMN drops them, so they are added again too.
	 */
	List	   *recreated;

	/*
	 * the model's foreign keys as the live table has them
	 * (live_foreign_key())
	 */
	char	  **live_fk_names;
	char	  **live_fk_definitions;
} TableDiff;

static void
add_step(Diff *diff, DiffPhase phase, const char *operation, char *object_name,
		 bool destructive, char *sql)
{
	PhasedStep *step;

	Assert(operation != NULL && object_name != NULL && sql != NULL);
	schemata_grow(diff->steps, diff->nsteps, diff->allocated, 16);
	step = &diff->steps[diff->nsteps];
	step->phase = phase;
	step->seq = diff->nsteps++;
	step->step.operation = operation;
	step->step.object_name = object_name;
	step->step.destructive = destructive;
	step->step.sql = psprintf("%s;", sql);
}

static int
step_cmp(const void *a, const void *b)
{
	const PhasedStep *x = (const PhasedStep *) a;
	const PhasedStep *y = (const PhasedStep *) b;

	/* each step has its own seq: the order is total */
	Assert(x == y || x->seq != y->seq);
	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static bool
in_names(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

static char *
member_name(const TableDiff *td, const char *name)
{
	return psprintf("%s.%s", td->qualified, quote_identifier(name));
}

static void
alter_table_step(const TableDiff *td, DiffPhase phase, const char *operation,
				 const char *member, bool destructive, const char *action)
{
	add_step(td->diff, phase, operation, member ? member_name(td, member) : pstrdup(td->qualified),
			 destructive, psprintf("ALTER TABLE %s %s", td->qualified, action));
}

static CatalogItem *
find_item(CatalogTable *table, CatalogItemKind kind, const char *name, const char *definition)
{
	for (int i = 0; i < table->nitems; i++)
	{
		CatalogItem *item = &table->items[i];

		if (item->kind == kind &&
			(name == NULL || strcmp(item->name, name) == 0) &&
			(definition == NULL || strcmp(item->definition, definition) == 0))
			return item;
	}
	return NULL;
}

/* The live table "schema"."name", or InvalidOid. */
static Oid
live_table(const char *schema, const char *name)
{
	Oid			nsp = get_namespace_oid(schema, true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/* Whether the rename of model table "model" has yet to run. */
static bool
table_rename_is_pending(const ModelTable *model)
{
	return model->renamed_from != NULL && !OidIsValid(live_table(model->schema, model->name));
}

/* numeric typmod: precision and scale */
static void
numeric_typmod(int32 typmod, int *precision, int *scale)
{
	*precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
	*scale = (typmod - VARHDRSZ) & 0x7ff;
}

/*
 * Whether changing a column from type "from" to "to" keeps every value:
 * longer lengths, more precision, varchar to text, integers to wider
 * integers or unconstrained numeric, real to double precision.
 */
static bool
is_widening(const CatalogItem *from, const CatalogItem *to)
{
	if (from->type_oid == to->type_oid)
	{
		switch (from->type_oid)
		{
			case VARCHAROID:
			case BPCHAROID:
			case VARBITOID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
			case TIMEOID:
			case TIMETZOID:
				return to->typmod == -1 || (from->typmod != -1 && to->typmod >= from->typmod);
			case NUMERICOID:
				{
					int			p1,
								s1,
								p2,
								s2;

					if (to->typmod == -1)
						return true;
					if (from->typmod == -1)
						return false;
					numeric_typmod(from->typmod, &p1, &s1);
					numeric_typmod(to->typmod, &p2, &s2);
					return s2 >= s1 && p2 - s2 >= p1 - s1;
				}
			default:
				return false;
		}
	}
	switch (from->type_oid)
	{
		case VARCHAROID:
			return to->type_oid == TEXTOID;
		case INT2OID:
			return to->type_oid == INT4OID || to->type_oid == INT8OID ||
				(to->type_oid == NUMERICOID && to->typmod == -1);
		case INT4OID:
			return to->type_oid == INT8OID || (to->type_oid == NUMERICOID && to->typmod == -1);
		case INT8OID:
			return to->type_oid == NUMERICOID && to->typmod == -1;
		case FLOAT4OID:
			return to->type_oid == FLOAT8OID;
		default:
			return false;
	}
}

/*---- columns ----*/

static void
add_column_step(const TableDiff *td, const ModelColumn *column)
{
	alter_table_step(td, PHASE_ADD_COLUMN, "add_column", column->name, false,
					 psprintf("ADD COLUMN %s", schemata_column_definition_sql(column)));
}

static void
drop_column_step(const TableDiff *td, const char *name)
{
	alter_table_step(td, PHASE_DROP_COLUMN, "drop_column", name, true,
					 psprintf("DROP COLUMN %s", quote_identifier(name)));
}

/*
 * Add to td->recreated the constraints and indexes of the live table that
 * use its column "name" (in their columns, expressions or predicates): what
 * DROP COLUMN drops with it, as pg_depend records it.
 */
static void
note_column_dependents(TableDiff *td, const char *name)
{
	AttrNumber	attnum = get_attnum(td->relid, name);
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[3];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(td->relid));
	ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(attnum));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 3, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		char	   *dependent = NULL;

		if (dep->classid == ConstraintRelationId)
			dependent = get_constraint_name(dep->objid);
		else if (dep->classid == RelationRelationId && get_rel_relkind(dep->objid) == RELKIND_INDEX)
			dependent = get_rel_name(dep->objid);
		if (dependent != NULL)
			td->recreated = lappend(td->recreated, dependent);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
}

/*
 * ALTER COLUMN "col" TYPE of "want": as ALTER TABLE converts with an
 * assignment cast, a change that has none gets USING col::type, the
 * explicit cast (as Linkgress writes it).
 */
static char *
alter_type_sql(const char *col, const CatalogItem *live, const CatalogItem *want)
{
	Oid			from = live->type_oid;
	Oid			to = want->type_oid;

	if (can_coerce_type(1, &from, &to, COERCION_ASSIGNMENT))
		return psprintf("ALTER COLUMN %s TYPE %s", col, want->type);
	return psprintf("ALTER COLUMN %s TYPE %s USING %s::%s", col, want->type, col, want->type);
}

/* Compare one column that exists on both sides. */
static void
diff_column(TableDiff *td, const ModelColumn *column, const CatalogItem *want,
			const CatalogItem *live)
{
	const char *col = quote_identifier(column->name);

	/* the model's description has each of its columns */
	Assert(want != NULL && live != NULL);
	if (want->generated != live->generated ||
		(want->generated && !schemata_same_text(want->default_expr, live->default_expr)))
	{
		note_column_dependents(td, live->name);
		drop_column_step(td, column->name);
		add_column_step(td, column);
		return;
	}
	if ((strcmp(want->default_expr ? want->default_expr : "", "serial") == 0) !=
		(strcmp(live->default_expr ? live->default_expr : "", "serial") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change column \"%s\" of table \"%s.%s\" to or from a serial column",
						column->name, td->model->schema, td->model->name),
				 errdetail("The column is defined at %s.", column->path)));
	if (!schemata_same_text(want->default_expr, live->default_expr) && live->default_expr != NULL)
		alter_table_step(td, PHASE_DROP_DEFAULT, "drop_default", column->name, false,
						 psprintf("ALTER COLUMN %s DROP DEFAULT", col));
	if (strcmp(want->type, live->type) != 0)
		alter_table_step(td, PHASE_ALTER_TYPE, "alter_column_type", column->name,
						 !is_widening(live, want), alter_type_sql(col, live, want));
	/* an identity column is NOT NULL, whatever the model says */
	if (want->not_null != live->not_null && !live->identity)
		alter_table_step(td, PHASE_ALTER_COLUMN, want->not_null ? "set_not_null" : "drop_not_null",
						 column->name, false,
						 psprintf("ALTER COLUMN %s %s NOT NULL", col, want->not_null ? "SET" : "DROP"));
	if (!schemata_same_text(want->default_expr, live->default_expr) && want->default_expr != NULL)
		alter_table_step(td, PHASE_ALTER_COLUMN, "set_default", column->name, false,
						 psprintf("ALTER COLUMN %s SET DEFAULT %s", col, column->default_sql));
}

/*
 * Refuse the column renames of the model that cannot be run: from a column
 * the live table does not have, from a column whose name the model also
 * gives another column (renamed away and added again, or a chain of
 * renames), or from a column that another one is renamed from too.  A
 * rename is pending while the live table lacks the column's model name.
 */
static void
check_column_renames(const TableDiff *td, CatalogTable *live)
{
	const ModelTable *model = td->model;

	for (int i = 0; i < model->ncolumns; i++)
	{
		const ModelColumn *column = &model->columns[i];

		if (strcmp(schemata_live_column_name(live, column), column->name) == 0)
			continue;
		if (find_item(live, ITEM_COLUMN, column->renamed_from, NULL) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" named by %s.renamedFrom does not exist in table \"%s.%s\"",
							column->renamed_from, column->path, model->schema, model->name)));
		if (schemata_find_model_column(model, column->renamed_from) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot rename column \"%s\" of table \"%s.%s\" to \"%s\" while the model has another column \"%s\"",
							column->renamed_from, model->schema, model->name, column->name,
							column->renamed_from),
					 errdetail("The rename is at %s.renamedFrom.", column->path),
					 errhint("Sync in two steps: first the model without that other column, then the whole model.")));
		for (int j = 0; j < i; j++)
			if (strcmp(schemata_live_column_name(live, &model->columns[j]),
					   model->columns[j].name) != 0 &&
				strcmp(model->columns[j].renamed_from, column->renamed_from) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("columns \"%s\" and \"%s\" of table \"%s.%s\" are both renamed from \"%s\"",
								model->columns[j].name, column->name, model->schema, model->name,
								column->renamed_from),
						 errdetail("The second rename is at %s.renamedFrom.", column->path)));
	}
}

static void
diff_columns(TableDiff *td, CatalogTable *want, CatalogTable *live)
{
	for (int i = 0; i < td->model->ncolumns; i++)
	{
		const ModelColumn *column = &td->model->columns[i];
		CatalogItem *have = find_item(live, ITEM_COLUMN, column->name, NULL);

		if (have == NULL && column->renamed_from != NULL)
		{
			have = find_item(live, ITEM_COLUMN, column->renamed_from, NULL);
			alter_table_step(td, PHASE_RENAME_COLUMN, "rename_column", column->name, false,
							 psprintf("RENAME COLUMN %s TO %s", quote_identifier(column->renamed_from),
									  quote_identifier(column->name)));
			td->renames = true;
		}
		if (have == NULL)
			add_column_step(td, column);
		else
		{
			have->matched = true;
			diff_column(td, column, find_item(want, ITEM_COLUMN, column->name, NULL), have);
		}
	}
	for (int i = 0; i < live->nitems; i++)
		if (live->items[i].kind == ITEM_COLUMN && !live->items[i].matched)
			drop_column_step(td, live->items[i].name);
}

/*---- constraints and indexes ----*/

/* Columns "columns" of model table "model" under their names in "live". */
static ModelColumnList
live_column_list(const ModelTable *model, CatalogTable *live, const ModelColumnList *columns)
{
	ModelColumnList list;

	list.n = columns->n;
	list.names = palloc(list.n * sizeof(char *));
	for (int i = 0; i < list.n; i++)
		list.names[i] = (char *) schemata_live_column_name(live,
														   schemata_find_model_column(model,
																					  columns->names[i]));
	return list;
}

/*
 * The primary key and unique constraints of "want" defined with the live
 * names of their columns, so that a key whose column is renamed is kept
 * (the rename carries it) rather than dropped and added.
 */
static void
use_live_column_names(const TableDiff *td, CatalogTable *want, CatalogTable *live)
{
	const ModelTable *model = td->model;
	CatalogItem *pk = find_item(want, ITEM_PRIMARY_KEY, NULL, NULL);

	if (pk != NULL)
	{
		ModelColumnList columns = live_column_list(model, live, &model->primary_key);

		pk->definition = schemata_primary_key_sql(&columns);
	}
	for (int i = 0; i < model->nuniques; i++)
	{
		ModelUnique unique = model->uniques[i];
		CatalogItem *item = find_item(want, ITEM_UNIQUE, unique.name, NULL);

		/* the model's description has each of its unique constraints */
		Assert(item != NULL);
		unique.columns = live_column_list(model, live, &model->uniques[i].columns);
		item->definition = schemata_unique_key_sql(&unique);
	}
}

/*
 * Foreign key "fk" of the model as the live table has it before the renames:
 * its columns under their live names, and when it references a model table,
 * that table and its columns under their live names too.
 */
static ModelForeignKey
live_foreign_key(const TableDiff *td, CatalogTable *live, const ModelForeignKey *fk)
{
	ModelForeignKey copy = *fk;
	const ModelTable *target = schemata_find_model(td->diff->set, fk->ref_schema, fk->ref_table);

	copy.columns = live_column_list(td->model, live, &fk->columns);
	if (target != NULL)
	{
		Oid			relid;

		if (table_rename_is_pending(target))
			copy.ref_table = target->renamed_from;
		relid = live_table(target->schema, copy.ref_table);
		if (OidIsValid(relid))
			copy.ref_columns = live_column_list(target,
												schemata_catalog_table(td->diff->live, relid),
												&fk->ref_columns);
	}
	return copy;
}

/* The live names and definitions of the model's foreign keys, into td. */
static void
describe_live_foreign_keys(TableDiff *td, CatalogTable *live)
{
	int			n = Max(td->model->nforeign_keys, 1);

	td->live_fk_names = palloc(n * sizeof(char *));
	td->live_fk_definitions = palloc(n * sizeof(char *));
	for (int k = 0; k < td->model->nforeign_keys; k++)
	{
		ModelForeignKey fk = live_foreign_key(td, live, &td->model->foreign_keys[k]);

		td->live_fk_names[k] = schemata_foreign_key_name(td->live_name, &fk);
		td->live_fk_definitions[k] = schemata_model_foreign_key_definition(&fk);
	}
}

static void
drop_constraint_step(const TableDiff *td, const CatalogItem *item)
{
	alter_table_step(td, item->kind == ITEM_FOREIGN_KEY ? PHASE_DROP_FOREIGN_KEY : PHASE_DROP_CONSTRAINT,
					 "drop_constraint", item->name, false,
					 psprintf("DROP CONSTRAINT %s", quote_identifier(item->name)));
}

static void
drop_index_step(const TableDiff *td, const CatalogItem *item)
{
	add_step(td->diff, PHASE_DROP_CONSTRAINT, "drop_index",
			 quote_qualified_identifier(td->model->schema, item->name), false,
			 psprintf("DROP INDEX %s", quote_qualified_identifier(td->model->schema, item->name)));
}

static void
create_index_step(const TableDiff *td, const ModelIndex *index)
{
	add_step(td->diff, PHASE_CREATE_INDEX, "create_index",
			 quote_qualified_identifier(td->model->schema, index->name), false,
			 schemata_create_index_sql(td->model, index));
}

static void
add_foreign_key_step(const TableDiff *td, const ModelForeignKey *fk)
{
	alter_table_step(td, PHASE_ADD_FOREIGN_KEY, "add_constraint", fk->name, false,
					 psprintf("ADD %s", schemata_foreign_key_sql(fk)));
}

/*
 * Whether live "item" is as "wanted" describes it: the same definition and,
 * for an index whose model names a tablespace, that tablespace.
 */
static bool
is_as_wanted(const CatalogItem *item, const CatalogItem *wanted)
{
	return strcmp(wanted->definition, item->definition) == 0 &&
		(wanted->tablespace == NULL || schemata_same_text(wanted->tablespace, item->tablespace));
}

/*
 * Items of kind "kind" of "live" that "want" has with the same definition
 * are kept and marked matched in "want"; the others are dropped.  Checks
 * and primary keys, whose names PostgreSQL chooses (and keeps when a table
 * is renamed), are matched by definition alone, the others by name.
 */
static void
drop_unwanted(const TableDiff *td, CatalogTable *want, CatalogTable *live, CatalogItemKind kind)
{
	for (int i = 0; i < live->nitems; i++)
	{
		CatalogItem *item = &live->items[i];
		CatalogItem *wanted;

		if (item->kind != kind)
			continue;
		wanted = (kind == ITEM_CHECK || kind == ITEM_PRIMARY_KEY) ?
			find_item(want, kind, NULL, item->definition) : find_item(want, kind, item->name, NULL);
		if (wanted != NULL && !wanted->matched && is_as_wanted(item, wanted) &&
			!in_names(td->recreated, item->name))
		{
			wanted->matched = true;
			continue;
		}
		if (kind == ITEM_INDEX)
			drop_index_step(td, item);
		else
			drop_constraint_step(td, item);
	}
}

static void
diff_constraints(const TableDiff *td, CatalogTable *want, CatalogTable *live)
{
	const ModelTable *model = td->model;
	CatalogItem *pk;

	use_live_column_names(td, want, live);

	drop_unwanted(td, want, live, ITEM_PRIMARY_KEY);
	pk = find_item(want, ITEM_PRIMARY_KEY, NULL, NULL);
	if (pk != NULL && !pk->matched)
		alter_table_step(td, PHASE_ADD_CONSTRAINT, "add_constraint", pk->name, false,
						 psprintf("ADD %s", schemata_primary_key_sql(&model->primary_key)));

	drop_unwanted(td, want, live, ITEM_UNIQUE);
	for (int i = 0; i < model->nuniques; i++)
		if (!find_item(want, ITEM_UNIQUE, model->uniques[i].name, NULL)->matched)
			alter_table_step(td, PHASE_ADD_CONSTRAINT, "add_constraint", model->uniques[i].name,
							 false, psprintf("ADD %s", schemata_unique_sql(&model->uniques[i])));

	drop_unwanted(td, want, live, ITEM_CHECK);
	for (int i = 0; i < want->nitems; i++)
		if (want->items[i].kind == ITEM_CHECK && !want->items[i].matched)
			alter_table_step(td, PHASE_ADD_CONSTRAINT, "add_constraint", want->items[i].name,
							 false, psprintf("ADD %s", want->items[i].model_definition));

	/* foreign keys: a model's description has none, so compare with the model */
	for (int i = 0; i < live->nitems; i++)
	{
		CatalogItem *item = &live->items[i];
		bool		keep = false;

		if (item->kind != ITEM_FOREIGN_KEY)
			continue;
		for (int k = 0; k < model->nforeign_keys && !keep; k++)
			keep = strcmp(model->foreign_keys[k].name, item->name) == 0 &&
				strcmp(td->live_fk_definitions[k], item->definition) == 0 &&
				!in_names(td->recreated, item->name);
		if (keep)
			item->matched = true;
		else
			drop_constraint_step(td, item);
	}
	for (int k = 0; k < model->nforeign_keys; k++)
		if (find_item(live, ITEM_FOREIGN_KEY, model->foreign_keys[k].name,
					  td->live_fk_definitions[k]) == NULL ||
			in_names(td->recreated, model->foreign_keys[k].name))
			add_foreign_key_step(td, &model->foreign_keys[k]);

	drop_unwanted(td, want, live, ITEM_INDEX);
	for (int i = 0; i < model->nindexes; i++)
		if (!find_item(want, ITEM_INDEX, model->indexes[i].name, NULL)->matched)
			create_index_step(td, &model->indexes[i]);
}

/*---- names derived from a renamed table or column ----*/

/* The live constraint or index named "name", or NULL. */
static CatalogItem *
find_named(CatalogTable *table, const char *name)
{
	for (int i = 0; i < table->nitems; i++)
		if (table->items[i].kind != ITEM_COLUMN && strcmp(table->items[i].name, name) == 0)
			return &table->items[i];
	return NULL;
}

/*
 * Rename live constraint or index "item" to "name": a constraint with ALTER
 * TABLE ... RENAME CONSTRAINT (which renames a key's index too), an index
 * with ALTER INDEX.  The item takes the new name for the rest of the diff.
 */
static void
rename_item_step(const TableDiff *td, CatalogItem *item, const char *name)
{
	if (item->kind == ITEM_INDEX)
		add_step(td->diff, PHASE_RENAME_DERIVED, "rename_index",
				 quote_qualified_identifier(td->model->schema, name), false,
				 psprintf("ALTER INDEX %s RENAME TO %s",
						  quote_qualified_identifier(td->model->schema, item->name),
						  quote_identifier(name)));
	else
		alter_table_step(td, PHASE_RENAME_DERIVED, "rename_constraint", name, false,
						 psprintf("RENAME CONSTRAINT %s TO %s", quote_identifier(item->name),
								  quote_identifier(name)));
	item->name = pstrdup(name);
}

/*
 * Rename the live item of kind "kind" named "old_name", the name derived
 * from the table's live name, to "new_name", derived from the model's name;
 * nothing when the two are the same or "new_name" is taken, or when
 * "definition" is given and the item has another.
 */
static void
rename_derived(const TableDiff *td, CatalogTable *live, CatalogItemKind kind,
			   const char *old_name, const char *new_name, const char *definition)
{
	CatalogItem *item;

	if (strcmp(old_name, new_name) == 0 || find_named(live, new_name) != NULL)
		return;
	item = find_item(live, kind, old_name, definition);
	if (item != NULL)
		rename_item_step(td, item, new_name);
}

/*
 * Checks, which PostgreSQL names <table>_<column>_check: a live check that
 * carries the table's live name and has the definition of a wanted check
 * takes that check's name.
 */
static void
rename_derived_checks(const TableDiff *td, CatalogTable *want, CatalogTable *live)
{
	char	   *old_prefix = psprintf("%s_", td->live_name);
	char	   *new_prefix = psprintf("%s_", td->model->name);
	bool	   *taken = palloc0(Max(want->nitems, 1) * sizeof(bool));

	for (int i = 0; i < live->nitems; i++)
	{
		CatalogItem *item = &live->items[i];

		if (item->kind != ITEM_CHECK || strncmp(item->name, old_prefix, strlen(old_prefix)) != 0)
			continue;
		for (int w = 0; w < want->nitems; w++)
		{
			CatalogItem *wanted = &want->items[w];

			if (wanted->kind != ITEM_CHECK || taken[w] ||
				strcmp(wanted->definition, item->definition) != 0)
				continue;
			taken[w] = true;
			if (strcmp(wanted->name, item->name) != 0 &&
				strncmp(wanted->name, new_prefix, strlen(new_prefix)) == 0 &&
				find_named(live, wanted->name) == NULL)
				rename_item_step(td, item, wanted->name);
			break;
		}
	}
}

/*
 * The sequences of serial columns, which PostgreSQL names
 * <table>_<column>_seq: one that carries the live names of its table and
 * column is renamed for the model's.
 */
static void
rename_derived_sequences(const TableDiff *td, Oid relid, CatalogTable *live)
{
	ListCell   *lc;

	foreach(lc, getOwnedSequences(relid))
	{
		Oid			seq = lfirst_oid(lc);
		Oid			owner;
		int32		attnum;
		char	   *live_column;
		char	   *old_name;
		char	   *new_name = NULL;
		char	   *schema;

		if (!sequenceIsOwned(seq, DEPENDENCY_AUTO, &owner, &attnum))
			continue;			/* an identity column's */
		live_column = get_attname(relid, attnum, false);
		for (int i = 0; i < td->model->ncolumns && new_name == NULL; i++)
		{
			const ModelColumn *column = &td->model->columns[i];

			if (column->is_serial && strcmp(schemata_live_column_name(live, column), live_column) == 0)
				new_name = makeObjectName(td->model->name, column->name, "seq");
		}
		old_name = makeObjectName(td->live_name, live_column, "seq");
		schema = get_namespace_name(get_rel_namespace(seq));
		if (new_name == NULL || strcmp(get_rel_name(seq), old_name) != 0 ||
			strcmp(old_name, new_name) == 0 ||
			OidIsValid(get_relname_relid(new_name, get_rel_namespace(seq))))
			continue;
		add_step(td->diff, PHASE_RENAME_DERIVED, "rename_sequence",
				 quote_qualified_identifier(schema, new_name), false,
				 psprintf("ALTER SEQUENCE %s RENAME TO %s",
						  quote_qualified_identifier(schema, old_name),
						  quote_identifier(new_name)));
	}
}

/* pg-schemata's name for "index" from the live names of its table and columns. */
static char *
live_index_name(const TableDiff *td, CatalogTable *live, const ModelIndex *index)
{
	ModelIndex	copy = *index;

	copy.columns = palloc(copy.ncolumns * sizeof(ModelIndexColumn));
	for (int c = 0; c < copy.ncolumns; c++)
	{
		copy.columns[c] = index->columns[c];
		copy.columns[c].name = (char *)
			schemata_live_column_name(live, schemata_find_model_column(td->model,
																	   index->columns[c].name));
	}
	return schemata_index_name(td->live_name, &copy);
}

/*
 * After a rename of the table or of columns, the names that PostgreSQL or
 * pg-schemata derived from the old names follow, so that the catalog is the
 * one bootstrap() makes: the primary key, checks, serial sequences, and the
 * unique constraints, foreign keys and indexes whose names the model does
 * not give.  A foreign key's name follows the renames of the table and
 * columns it references too, whether or not its own table is renamed, when
 * nothing else about it changes.
 */
static void
rename_derived_names(const TableDiff *td, Oid relid, CatalogTable *want, CatalogTable *live)
{
	const ModelTable *model = td->model;

	for (int i = 0; i < model->nforeign_keys; i++)
		rename_derived(td, live, ITEM_FOREIGN_KEY, td->live_fk_names[i],
					   model->foreign_keys[i].name, td->live_fk_definitions[i]);
	if (!td->renames)
		return;
	rename_derived(td, live, ITEM_PRIMARY_KEY, makeObjectName(td->live_name, NULL, "pkey"),
				   makeObjectName(model->name, NULL, "pkey"), NULL);
	rename_derived_checks(td, want, live);
	rename_derived_sequences(td, relid, live);
	for (int i = 0; i < model->nuniques; i++)
		if (model->uniques[i].derived_name)
		{
			ModelColumnList columns = live_column_list(model, live, &model->uniques[i].columns);

			rename_derived(td, live, ITEM_UNIQUE, schemata_unique_name(td->live_name, &columns),
						   model->uniques[i].name, NULL);
		}
	for (int i = 0; i < model->nindexes; i++)
		if (model->indexes[i].derived_name)
			rename_derived(td, live, ITEM_INDEX, live_index_name(td, live, &model->indexes[i]),
						   model->indexes[i].name, NULL);
}

/*---- tables ----*/

static void
create_table_steps(TableDiff *td)
{
	const ModelTable *model = td->model;
	bool	   *no_foreign_keys = palloc(Max(model->nforeign_keys, 1) * sizeof(bool));

	for (int k = 0; k < model->nforeign_keys; k++)
		no_foreign_keys[k] = true;
	add_step(td->diff, PHASE_CREATE_TABLE, "create_table", pstrdup(td->qualified), false,
			 schemata_create_table_sql(model, no_foreign_keys));
	for (int i = 0; i < model->nindexes; i++)
		create_index_step(td, &model->indexes[i]);
	for (int k = 0; k < model->nforeign_keys; k++)
		add_foreign_key_step(td, &model->foreign_keys[k]);
}

/*
 * Refuse the table renames that cannot be run, as check_column_renames()
 * does for columns: from a table whose name another model gives, or from a
 * table that another model is renamed from too.  A rename from a table that
 * does not exist is diff_table()'s to report.
 */
static void
check_table_renames(const ModelSet *set)
{
	for (int t = 0; t < set->ntables; t++)
	{
		const ModelTable *model = &set->tables[t];

		if (!table_rename_is_pending(model))
			continue;
		if (schemata_find_model(set, model->schema, model->renamed_from) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot rename table \"%s.%s\" to \"%s\" while another model is named \"%s\"",
							model->schema, model->renamed_from, model->name, model->renamed_from),
					 errdetail("The rename is at %s.renamedFrom.", model->path),
					 errhint("Sync in two steps: first the models without that other one, then all of them.")));
		for (int u = 0; u < t; u++)
			if (table_rename_is_pending(&set->tables[u]) &&
				strcmp(set->tables[u].schema, model->schema) == 0 &&
				strcmp(set->tables[u].renamed_from, model->renamed_from) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("tables \"%s\" and \"%s\" of schema \"%s\" are both renamed from \"%s\"",
								set->tables[u].name, model->name, model->schema, model->renamed_from),
						 errdetail("The second rename is at %s.renamedFrom.", model->path)));
	}
}

/* Compare one model table with the live catalog.  Returns the live name. */
static const char *
diff_table(Diff *diff, const ModelTable *model)
{
	TableDiff	td;
	Oid			relid = live_table(model->schema, model->name);

	td.diff = diff;
	td.model = model;
	td.qualified = quote_qualified_identifier(model->schema, model->name);
	td.live_name = model->name;
	td.relid = InvalidOid;
	td.renames = false;
	td.recreated = NIL;
	if (!OidIsValid(relid) && model->renamed_from != NULL)
	{
		relid = live_table(model->schema, model->renamed_from);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s.%s\" named by %s.renamedFrom does not exist",
							model->schema, model->renamed_from, model->path)));
		td.live_name = model->renamed_from;
		td.renames = true;
		add_step(diff, PHASE_RENAME_TABLE, "rename_table", pstrdup(td.qualified), false,
				 psprintf("ALTER TABLE %s RENAME TO %s",
						  quote_qualified_identifier(model->schema, model->renamed_from),
						  quote_identifier(model->name)));
	}
	if (!OidIsValid(relid))
		create_table_steps(&td);
	else
	{
		CatalogTable *live = schemata_catalog_table(diff->live, relid);
		CatalogTable *want;

		td.relid = relid;
		check_column_renames(&td, live);
		want = schemata_describe_model(model, live);
		describe_live_foreign_keys(&td, live);

		diff_columns(&td, want, live);
		rename_derived_names(&td, relid, want, live);
		diff_constraints(&td, want, live);
	}
	return td.live_name;
}

/* Tables of a covered schema that no model names are dropped. */
static void
drop_other_tables(Diff *diff, const char *schema, List *modelled)
{
	List	   *tables = schemata_schema_tables(schema);
	ListCell   *lc;

	foreach(lc, tables)
	{
		const char *name = lfirst(lc);
		char	   *qualified = quote_qualified_identifier(schema, name);
		CatalogTable *live;

		if (in_names(modelled, name))
			continue;
		/* their foreign keys first, so that they can go in any order */
		live = schemata_catalog_table(diff->live, live_table(schema, name));
		for (int i = 0; i < live->nitems; i++)
			if (live->items[i].kind == ITEM_FOREIGN_KEY)
				add_step(diff, PHASE_DROP_FOREIGN_KEY, "drop_constraint",
						 psprintf("%s.%s", qualified, quote_identifier(live->items[i].name)), false,
						 psprintf("ALTER TABLE %s DROP CONSTRAINT %s", qualified,
								  quote_identifier(live->items[i].name)));
		add_step(diff, PHASE_DROP_TABLE, "drop_table", qualified, true,
				 psprintf("DROP TABLE %s", qualified));
	}
}

static List *
append_live_table(List *relids, const char *schema, const char *name)
{
	Oid			relid = live_table(schema, name);

	return OidIsValid(relid) ? lappend_oid(relids, relid) : relids;
}

/*
 * The live tables the diff reads, described in one catalog query: every
 * table of the covered schemas, and each model's table under its name and
 * its former name.
 */
static CatalogTables *
describe_live_tables(const ModelSet *set, List *schemas)
{
	List	   *relids = NIL;
	Oid		   *array;
	ListCell   *lc;
	int			n = 0;

	foreach(lc, schemas)
	{
		ListCell   *name;

		foreach(name, schemata_schema_tables(lfirst(lc)))
			relids = append_live_table(relids, lfirst(lc), lfirst(name));
	}
	for (int t = 0; t < set->ntables; t++)
	{
		relids = append_live_table(relids, set->tables[t].schema, set->tables[t].name);
		if (set->tables[t].renamed_from != NULL)
			relids = append_live_table(relids, set->tables[t].schema,
									   set->tables[t].renamed_from);
	}
	array = palloc(Max(list_length(relids), 1) * sizeof(Oid));
	foreach(lc, relids)
		array[n++] = lfirst_oid(lc);
	return schemata_describe_tables(array, n);
}

/*---- enums ----*/

/* The position of "label" in "labels", or -1. */
static int
label_index(List *labels, const char *label)
{
	ListCell   *lc;

	foreach(lc, labels)
	{
		if (strcmp(lfirst(lc), label) == 0)
			return foreach_current_index(lc);
	}
	return -1;
}

/*
 * Whether the live labels the model keeps come in the model's order (so
 * that adding values is enough).
 */
static bool
kept_labels_in_order(const ModelEnum *model_enum, List *labels)
{
	int			last = -1;

	for (int i = 0; i < model_enum->nvalues; i++)
	{
		int			at = label_index(labels, model_enum->values[i]);

		if (at < 0)
			continue;
		if (at < last)
			return false;
		last = at;
	}
	return true;
}

/*
 * ALTER TYPE ... ADD VALUE for each value of the model that enum "typid"
 * lacks, placed AFTER the model's value before it (BEFORE the next one for
 * the first value), so that the labels end up in the model's order.
 */
static void
add_enum_values(Diff *diff, const ModelEnum *model_enum, const char *name, List *labels)
{
	for (int i = 0; i < model_enum->nvalues; i++)
	{
		const char *value = model_enum->values[i];
		char	   *place = "";

		if (label_index(labels, value) >= 0)
			continue;
		if (i > 0)
			place = psprintf(" AFTER %s", quote_literal_cstr(model_enum->values[i - 1]));
		else if (model_enum->nvalues > 1)
			place = psprintf(" BEFORE %s", quote_literal_cstr(model_enum->values[1]));
		add_step(diff, PHASE_ENUM, "add_enum_value",
				 psprintf("%s.%s", name, quote_literal_cstr(value)), false,
				 psprintf("ALTER TYPE %s ADD VALUE %s%s", name, quote_literal_cstr(value), place));
	}
}

/* append_enum_column_changes(): the statements, and the recreated type. */
typedef struct EnumColumnChanges
{
	StringInfo	sql;
	const char *name;
} EnumColumnChanges;

/* A row of append_enum_column_changes(): table, column, default. */
static void
append_enum_column_change(HeapTuple tuple, TupleDesc desc, void *arg)
{
	EnumColumnChanges *changes = (EnumColumnChanges *) arg;
	StringInfo	sql = changes->sql;
	const char *name = changes->name;
	char	   *table = SPI_getvalue(tuple, desc, 1);
	char	   *col = SPI_getvalue(tuple, desc, 2);
	char	   *def = SPI_getvalue(tuple, desc, 3);

	appendStringInfo(sql, ";\nALTER TABLE %s ", table);
	if (def != NULL)
		appendStringInfo(sql, "ALTER COLUMN %s DROP DEFAULT, ", col);
	appendStringInfo(sql, "ALTER COLUMN %s TYPE %s USING %s::pg_catalog.text::%s",
					 col, name, col, name);
	if (def != NULL)
		appendStringInfo(sql, ", ALTER COLUMN %s SET DEFAULT %s", col, def);
}

/*
 * The statements that give the live columns of enum type "typid" the
 * recreated type "name": ALTER COLUMN ... TYPE name USING col::text::name,
 * with their defaults dropped before and set again after.
 */
static void
append_enum_column_changes(StringInfo sql, Oid typid, const char *name)
{
	EnumColumnChanges changes = {sql, name};
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(typid)};

	(void) schemata_spi_select("SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
							   "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname), "
							   "pg_catalog.quote_ident(a.attname), pg_catalog.pg_get_expr(d.adbin, d.adrelid) "
							   "FROM pg_catalog.pg_attribute a "
							   "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
							   "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
							   "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid "
							   "AND d.adnum OPERATOR(pg_catalog.=) a.attnum "
							   "WHERE a.atttypid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 "
							   "AND NOT a.attisdropped "
							   "AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::pg_catalog.\"char\"[]) "
							   "ORDER BY 1, a.attnum",
							   1, argtypes, values, NULL, false,
							   append_enum_column_change, &changes);
}

/*
 * An enum that loses values (or whose kept values change order) is made
 * again: PostgreSQL cannot drop an enum value.  The old type is renamed, the
 * new one created, every column of the old type converted through text (a
 * row holding a dropped value fails the step), and the old type dropped.
 */
static void
recreate_enum(Diff *diff, const ModelEnum *model_enum, const char *name, Oid typid)
{
	StringInfoData sql;
	char	   *old_name = psprintf("%s_schemata_old", model_enum->name);

	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER TYPE %s RENAME TO %s;\n%s", name, quote_identifier(old_name),
					 schemata_create_enum_sql(model_enum));
	append_enum_column_changes(&sql, typid, name);
	appendStringInfo(&sql, ";\nDROP TYPE %s",
					 quote_qualified_identifier(model_enum->schema, old_name));
	add_step(diff, PHASE_ENUM, "recreate_enum", pstrdup(name), true, sql.data);
}

/*
 * The steps of the models' enums: create those missing, add the values
 * they lack, make again those that lose values.  Returns whether one is
 * missing.
 */
static bool
diff_enums(Diff *diff, const ModelSet *set)
{
	bool		missing = false;

	for (int e = 0; e < set->nenums; e++)
	{
		const ModelEnum *model_enum = &set->enums[e];
		char	   *name = quote_qualified_identifier(model_enum->schema, model_enum->name);
		Oid			typid = schemata_enum_oid(model_enum);
		List	   *labels;
		bool		loses = false;
		ListCell   *lc;

		if (!OidIsValid(typid))
		{
			missing = true;
			add_step(diff, PHASE_ENUM, "create_enum", pstrdup(name), false,
					 schemata_create_enum_sql(model_enum));
			continue;
		}
		if (get_typtype(typid) != TYPTYPE_ENUM)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("type \"%s.%s\" of %s exists and is not an enum", model_enum->schema, model_enum->name, model_enum->path)));
		labels = schemata_enum_labels(typid);
		foreach(lc, labels)
		{
			bool		kept = false;

			for (int i = 0; i < model_enum->nvalues && !kept; i++)
				kept = strcmp(model_enum->values[i], lfirst(lc)) == 0;
			loses = loses || !kept;
		}
		if (loses || !kept_labels_in_order(model_enum, labels))
			recreate_enum(diff, model_enum, name, typid);
		else
			add_enum_values(diff, model_enum, name, labels);
	}
	return missing;
}

/*
 * Create the models' missing enums (and their schemas), for the tables'
 * columns of them to be described; the caller rolls it back.
 */
static void
create_missing_enums(const ModelSet *set)
{
	for (int e = 0; e < set->nenums; e++)
	{
		const ModelEnum *model_enum = &set->enums[e];

		if (OidIsValid(schemata_enum_oid(model_enum)))
			continue;
		if (!OidIsValid(get_namespace_oid(model_enum->schema, true)))
			schemata_execute_ddl(psprintf("CREATE SCHEMA %s", quote_identifier(model_enum->schema)),
								 model_enum->path);
		schemata_execute_ddl(schemata_create_enum_sql(model_enum), model_enum->path);
	}
}

/*---- the diff ----*/

/* Add the steps of the models' tables (see compute_diff()) to "diff". */
static void
diff_tables(Diff *diff, const ModelSet *set, List *schemas)
{
	ListCell   *lc;

	check_table_renames(set);
	diff->set = set;
	diff->live = describe_live_tables(set, schemas);
	foreach(lc, schemas)
	{
		const char *schema = lfirst(lc);
		List	   *modelled = NIL;

		for (int t = 0; t < set->ntables; t++)
			if (strcmp(set->tables[t].schema, schema) == 0)
				modelled = lappend(modelled, (char *) diff_table(diff, &set->tables[t]));
		drop_other_tables(diff, schema, modelled);
	}
}

/* What diff_tables_with_enums() passes through schemata_run_rolled_back(). */
typedef struct EnumDiff
{
	Diff	   *diff;
	ModelSet   *set;
	List	   *schemas;
} EnumDiff;

static void
diff_tables_with_new_enums(void *arg)
{
	EnumDiff   *e = (EnumDiff *) arg;

	create_missing_enums(e->set);
	schemata_resolve_enum_columns(e->set);
	diff_tables(e->diff, e->set, e->schemas);
}

/*
 * diff_tables() with the models' missing enums created in a subtransaction
 * that is then rolled back (subxact.c): the steps are text, kept in the
 * caller's memory context.
 */
static void
diff_tables_with_enums(Diff *diff, ModelSet *set, List *schemas)
{
	EnumDiff	e = {diff, set, schemas};

	schemata_run_rolled_back(diff_tables_with_new_enums, &e);
	schemata_resolve_enum_columns(set);
	/* what was described of the scratch catalog is not to be read again */
	diff->live = NULL;
}

/*
 * Schemas first (those of tables and enums that are missing), enums, then
 * the tables of every schema a table model names.
 */
static Diff *
compute_diff(ModelSet *set)
{
	Diff	   *diff = palloc0(sizeof(Diff));
	List	   *schemas = NIL;
	List	   *created = NIL;

	for (int i = 0; i < set->ntables + set->nenums; i++)
	{
		bool		is_table = i < set->ntables;
		const char *schema = is_table ? set->tables[i].schema : set->enums[i - set->ntables].schema;

		schemata_check_target_schema(schema);
		if (is_table && !in_names(schemas, schema))
			schemas = lappend(schemas, (char *) schema);
		if (in_names(created, schema) || OidIsValid(get_namespace_oid(schema, true)))
			continue;
		created = lappend(created, (char *) schema);
		add_step(diff, PHASE_CREATE_SCHEMA, "create_schema", pstrdup(quote_identifier(schema)),
				 false, psprintf("CREATE SCHEMA %s", quote_identifier(schema)));
	}
	if (diff_enums(diff, set))
		diff_tables_with_enums(diff, set, schemas);
	else
		diff_tables(diff, set, schemas);
	if (diff->nsteps > 0)
		qsort(diff->steps, diff->nsteps, sizeof(PhasedStep), step_cmp);
	return diff;
}

/*---- sync ----*/

typedef struct StepErrorContext
{
	int			step;
	const DiffStep *diff_step;
} StepErrorContext;

static void
step_error_callback(void *arg)
{
	StepErrorContext *ctx = (StepErrorContext *) arg;

	errcontext("sync step %d: %s %s", ctx->step, ctx->diff_step->operation,
			   ctx->diff_step->object_name);
}

static void
refuse_destructive(const Diff *diff)
{
	StringInfoData detail;

	initStringInfo(&detail);
	for (int i = 0; i < diff->nsteps; i++)
		if (diff->steps[i].step.destructive)
			appendStringInfo(&detail, "%sStep %d (%s %s) is destructive.", detail.len > 0 ? "\n" : "",
							 i + 1, diff->steps[i].step.operation, diff->steps[i].step.object_name);
	if (detail.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sync would run destructive steps"),
				 errdetail("%s", detail.data),
				 errhint("Review them with schemata.diff(), then call sync with allow_destructive => true.")));
}

static void
run_steps(const Diff *diff)
{
	for (int i = 0; i < diff->nsteps; i++)
	{
		ErrorContextCallback callback;
		StepErrorContext ctx;

		ctx.step = i + 1;
		ctx.diff_step = &diff->steps[i].step;
		schemata_push_context(&callback, step_error_callback, &ctx);
		(void) schemata_spi_execute(diff->steps[i].step.sql, 0, NULL, NULL, NULL, false,
									SPI_OK_UTILITY);
		schemata_pop_context(&callback);
	}
}

/*
 * The steps from the live catalog to "set", reported in order; with "run",
 * also run them (refusing destructive ones unless allowed).
 */
void
schemata_diff(ModelSet *set, bool run, bool allow_destructive,
			  StepCallback callback, void *arg)
{
	int			nestlevel = schemata_pin_search_path();
	Diff	   *diff = compute_diff(set);

	if (run)
	{
		if (!allow_destructive)
			refuse_destructive(diff);
		run_steps(diff);
	}
	schemata_restore_search_path(nestlevel);
	for (int i = 0; i < diff->nsteps; i++)
		callback(i + 1, &diff->steps[i].step, arg);
}
