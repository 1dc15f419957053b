/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  lint(): what the pending migrations would do to the live tables they
 *	  touch, judged with those tables' sizes.
 *
 * The pending migrations are found and checked as plan() finds them; their
 * statements are parsed again with raw_parser() and looked at one by one,
 * in order, without running anything.  A statement is judged against the
 * live catalog: the table it names (resolved as the migration would resolve
 * it: schema given, else the target schema, else the caller's search_path),
 * that table's size (pg_table_size(), when its AccessShareLock is free at
 * once, else pg_class.relpages) and its rows as the planner estimates them.
 * A table created by an earlier statement of the directory is empty when the
 * deploy reaches it, so nothing is said of it.
 *
 * Rules (LintRule): an index built without CONCURRENTLY; a statement that
 * rewrites the table (ADD COLUMN with a volatile default, a stored generated
 * or an identity column; ALTER COLUMN TYPE that is not binary-coercible); a
 * full scan under lock (SET NOT NULL without a validated CHECK (col IS NOT
 * NULL), ADD FOREIGN KEY or CHECK without NOT VALID); ADD PRIMARY KEY or
 * UNIQUE that builds its index under ACCESS EXCLUSIVE; DROP and RENAME of
 * tables and columns that exist (running application code breaks); and an
 * ACCESS EXCLUSIVE lock taken with no lock_timeout in force.  Rules whose
 * cost grows with the table are "warning" from schemata.lint_large_table on,
 * "notice" below it; the others are always "warning".
 *
 * Expressions and type names are looked up in a subtransaction: one that
 * names what an earlier migration creates cannot be resolved yet, and is
 * then not judged (nothing is reported for it).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "migration.h"

/* schemata.lint_large_table, in kB (schemata.c) */
int			schemata_lint_large_table_kb;

/* What is known while the statements of the pending migrations are read. */
typedef struct LintState
{
	const ApplyOptions *options;
	Oid			target_nsp;		/* InvalidOid: the schema does not exist yet */
	List	   *created;		/* "schema.table" of tables created so far */
	List	   *not_null_checks;	/* "relid.column": validated CHECK (col IS
									 * NOT NULL) added so far */
	List	   *unvalidated;	/* "relid.constraint": checks added NOT VALID */
	bool		lock_timeout_set;	/* by the current migration */
	MemoryContext memory;		/* of the lists, for the whole call */
	/* the statement being judged */
	const PlannedMigration *planned;
	const Script *script;
	const ScriptStatement *stmt;
	LintCallback callback;
	void	   *arg;
} LintState;

/* A table a statement acts on, as the live catalog knows it. */
typedef struct LintTable
{
	Oid			relid;
	char	   *name;			/* schema-qualified, quoted */
	int64		size;			/* bytes, or -1 if unknown */
	double		rows;			/* planner's estimate, or -1 if unknown */
} LintTable;

/*---- the tables statements name ----*/

static char *
created_key(const RangeVar *rv, const LintState *st)
{
	return psprintf("%s.%s", rv->schemaname ? rv->schemaname : st->options->target_schema,
					rv->relname);
}

static bool
in_list(List *list, const char *key)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((char *) lfirst(lc), key) == 0)
			return true;
	}
	return false;
}

/* Append "key" to one of st's lists, which outlive each migration's memory. */
static void
remember(const LintState *st, List **list, char *key)
{
	MemoryContext old = MemoryContextSwitchTo(st->memory);

	*list = lappend(*list, pstrdup(key));
	MemoryContextSwitchTo(old);
}

/* Size and estimated rows, without waiting for a lock. */
static void
measure_table(LintTable *table)
{
	if (ConditionalLockRelationOid(table->relid, AccessShareLock))
	{
		Relation	rel = table_open(table->relid, NoLock);
		BlockNumber pages;
		double		tuples;
		double		allvisfrac;

		estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
		table->rows = tuples;
		table_close(rel, NoLock);
		table->size = DatumGetInt64(DirectFunctionCall1(pg_table_size,
														ObjectIdGetDatum(table->relid)));
	}
	else
	{
		HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(table->relid));

		if (!HeapTupleIsValid(tuple))
			return;
		table->size = (int64) ((Form_pg_class) GETSTRUCT(tuple))->relpages * BLCKSZ;
		table->rows = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;
		ReleaseSysCache(tuple);
	}
}

/*
 * The live table "rv" names, as the migration would find it; false when it
 * does not exist, is not a table, or was created earlier in the directory.
 */
static bool
find_table(const LintState *st, const RangeVar *rv, LintTable *table)
{
	Oid			relid = InvalidOid;
	char		relkind;

	if (rv == NULL || in_list(st->created, created_key(rv, st)))
		return false;
	if (rv->schemaname != NULL)
	{
		Oid			nsp = get_namespace_oid(rv->schemaname, true);

		if (OidIsValid(nsp))
			relid = get_relname_relid(rv->relname, nsp);
	}
	else
	{
		if (OidIsValid(st->target_nsp))
			relid = get_relname_relid(rv->relname, st->target_nsp);
		if (!OidIsValid(relid))
			relid = RelnameGetRelid(rv->relname);
	}
	if (!OidIsValid(relid))
		return false;
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW)
		return false;
	table->relid = relid;
	table->name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											 get_rel_name(relid));
	table->size = -1;
	table->rows = -1;
	measure_table(table);
	return true;
}

/*---- findings ----*/

static bool
is_large(const LintTable *table)
{
	return table->size >= (int64) schemata_lint_large_table_kb * 1024;
}

static void
report(const LintState *st, const char *rule, bool sized, const LintTable *table,
	   LOCKMODE lockmode, const char *message)
{
	LintFinding finding;

	finding.planned = st->planned;
	finding.file = st->script->file;
	finding.line = st->stmt->line;
	finding.statement = schemata_statement_text(st->script, st->stmt);
	finding.rule = rule;
	finding.severity = (!sized || is_large(table)) ? "warning" : "notice";
	finding.table_name = table->name;
	finding.lock_mode = lockmode == NoLock ? NULL : GetLockmodeName(DEFAULT_LOCKMETHOD, lockmode);
	finding.table_size = table->size;
	finding.estimated_rows = table->rows;
	finding.message = message;
	st->callback(&finding, st->arg);
}

/*
 * Run fn(arg) in a subtransaction; false (and no error) if it failed, as it
 * does on a name that an earlier migration has yet to create.
 */
static bool
try_in_subtransaction(bool (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool result = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		result = fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		result = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return result;
}

/*---- ALTER TABLE ----*/

static bool
volatile_default(void *arg)
{
	Node	   *raw = (Node *) arg;
	ParseState *pstate = make_parsestate(NULL);
	Node	   *expr = transformExpr(pstate, copyObject(raw), EXPR_KIND_COLUMN_DEFAULT);

	return contain_volatile_functions(expr);
}

/* Why ADD COLUMN rewrites the table, or NULL. */
static const char *
add_column_rewrite(ColumnDef *def)
{
	ListCell   *lc;

	if (def->raw_default != NULL && try_in_subtransaction(volatile_default, def->raw_default))
		return "its default is volatile";
	foreach(lc, def->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		if (c->contype == CONSTR_DEFAULT && c->raw_expr != NULL &&
			try_in_subtransaction(volatile_default, c->raw_expr))
			return "its default is volatile";
		if (c->contype == CONSTR_GENERATED)
			return "it is a stored generated column";
		if (c->contype == CONSTR_IDENTITY)
			return "it is an identity column";
	}
	return NULL;
}

typedef struct TypeChange
{
	Oid			relid;
	ColumnDef  *def;
	Oid			oldtype;
	Oid			newtype;
	bool		rewrites;
} TypeChange;

/*
 * Whether a type change keeps every stored value as it is: the same type
 * with a typmod that only widens (varchar, varbit, numeric of the same
 * scale) or none, or a binary-coercible type without a typmod, and no USING.
 */
static bool
keeps_values(Oid oldtype, int32 oldmod, Oid newtype, int32 newmod)
{
	if (oldtype != newtype)
		return IsBinaryCoercible(oldtype, newtype) && newmod < 0;
	if (newmod == oldmod)
		return true;
	if (oldtype == VARCHAROID || oldtype == VARBITOID)
		return newmod < 0 || (oldmod >= 0 && newmod >= oldmod);
	if (oldtype == NUMERICOID)
		return newmod < 0 ||
			(oldmod >= 0 &&
			 ((newmod - VARHDRSZ) & 0xffff) == ((oldmod - VARHDRSZ) & 0xffff) &&
			 ((newmod - VARHDRSZ) >> 16) >= ((oldmod - VARHDRSZ) >> 16));
	return false;
}

static bool
judge_type_change(void *arg)
{
	TypeChange *change = (TypeChange *) arg;
	AttrNumber	attnum = get_attnum(change->relid, change->def->colname);
	Oid			oldcoll;
	int32		oldmod;
	int32		newmod;

	if (attnum == InvalidAttrNumber)
		return false;
	get_atttypetypmodcoll(change->relid, attnum, &change->oldtype, &oldmod, &oldcoll);
	typenameTypeIdAndMod(NULL, change->def->typeName, &change->newtype, &newmod);
	change->rewrites = change->def->raw_default != NULL ||
		!keeps_values(change->oldtype, oldmod, change->newtype, newmod);
	return true;
}

/* Whether "expr" is "column IS NOT NULL". */
static bool
is_not_null_test(Node *expr, const char **column)
{
	NullTest   *test;
	ColumnRef  *ref;

	if (expr == NULL || !IsA(expr, NullTest))
		return false;
	test = (NullTest *) expr;
	if (test->nulltesttype != IS_NOT_NULL || !IsA(test->arg, ColumnRef))
		return false;
	ref = (ColumnRef *) test->arg;
	if (list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String))
		return false;
	*column = strVal(linitial(ref->fields));
	return true;
}

/* Whether the live table has a validated CHECK (column IS NOT NULL). */
static bool
has_not_null_check(Oid relid, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);
	Relation	rel;
	TupleConstr *constr;
	bool		found = false;

	if (attnum == InvalidAttrNumber)
		return false;
	rel = table_open(relid, NoLock);
	constr = rel->rd_att->constr;
	for (int i = 0; constr != NULL && i < constr->num_check && !found; i++)
	{
		Node	   *expr = stringToNode(constr->check[i].ccbin);

		found = constr->check[i].ccvalid && IsA(expr, NullTest) &&
			((NullTest *) expr)->nulltesttype == IS_NOT_NULL &&
			!((NullTest *) expr)->argisrow &&
			IsA(((NullTest *) expr)->arg, Var) &&
			((Var *) ((NullTest *) expr)->arg)->varattno == attnum;
	}
	table_close(rel, NoLock);
	return found;
}

static char *
column_key(Oid relid, const char *name)
{
	return psprintf("%u.%s", relid, name);
}

static void
lint_add_constraint(LintState *st, const LintTable *table, Constraint *c)
{
	const char *column;

	switch (c->contype)
	{
		case CONSTR_FOREIGN:
			if (!c->skip_validation)
				report(st, "foreign_key_validation", true, table, ShareRowExclusiveLock,
					   psprintf("ADD FOREIGN KEY scans table %s to validate it, blocking writes to it and to the referenced table meanwhile; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
								table->name));
			break;
		case CONSTR_CHECK:
			if (is_not_null_test(c->raw_expr, &column))
			{
				if (!c->skip_validation)
					remember(st, &st->not_null_checks, column_key(table->relid, column));
				else if (c->conname != NULL)
					remember(st, &st->unvalidated,
							 psprintf("%u.%s=%s", table->relid, c->conname, column));
			}
			if (!c->skip_validation)
				report(st, "check_validation", true, table, AccessExclusiveLock,
					   psprintf("ADD CHECK scans table %s under ACCESS EXCLUSIVE lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
								table->name));
			break;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
			if (c->indexname == NULL)
				report(st, "index_under_lock", true, table, AccessExclusiveLock,
					   psprintf("ADD %s builds its index on table %s under ACCESS EXCLUSIVE lock; build a unique index CONCURRENTLY in a migration of its own first, then ADD %s USING INDEX",
								c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
								table->name,
								c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE"));
			break;
		default:
			break;
	}
}

/* VALIDATE CONSTRAINT of a NOT VALID check (col IS NOT NULL) added earlier. */
static void
note_validated(LintState *st, Oid relid, const char *conname)
{
	char	   *prefix = psprintf("%u.%s=", relid, conname);
	ListCell   *lc;

	foreach(lc, st->unvalidated)
	{
		char	   *entry = (char *) lfirst(lc);

		if (strncmp(entry, prefix, strlen(prefix)) == 0)
			remember(st, &st->not_null_checks, column_key(relid, entry + strlen(prefix)));
	}
}

static void
lint_alter_command(LintState *st, const LintTable *table, AlterTableCmd *cmd)
{
	const char *why;
	TypeChange	change;

	switch (cmd->subtype)
	{
		case AT_AddColumn:
			why = add_column_rewrite(castNode(ColumnDef, cmd->def));
			if (why != NULL)
				report(st, "table_rewrite", true, table, AccessExclusiveLock,
					   psprintf("ADD COLUMN %s rewrites table %s under ACCESS EXCLUSIVE lock: %s; add the column without it, then fill it in batches",
								quote_identifier(castNode(ColumnDef, cmd->def)->colname),
								table->name, why));
			break;
		case AT_AlterColumnType:
			change.relid = table->relid;
			change.def = castNode(ColumnDef, cmd->def);
			change.def->colname = cmd->name;
			if (try_in_subtransaction(judge_type_change, &change) && change.rewrites)
				report(st, "table_rewrite", true, table, AccessExclusiveLock,
					   psprintf("ALTER COLUMN %s TYPE %s rewrites table %s and its indexes under ACCESS EXCLUSIVE lock (from %s); add a new column, fill it in batches and switch over",
								quote_identifier(cmd->name), format_type_be(change.newtype),
								table->name, format_type_be(change.oldtype)));
			break;
		case AT_SetNotNull:
			if (!in_list(st->not_null_checks, column_key(table->relid, cmd->name)) &&
				!has_not_null_check(table->relid, cmd->name))
				report(st, "set_not_null_scan", true, table, AccessExclusiveLock,
					   psprintf("SET NOT NULL scans table %s under ACCESS EXCLUSIVE lock; add CHECK (%s IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL uses it",
								table->name, quote_identifier(cmd->name)));
			break;
		case AT_AddConstraint:
			lint_add_constraint(st, table, castNode(Constraint, cmd->def));
			break;
		case AT_ValidateConstraint:
			note_validated(st, table->relid, cmd->name);
			break;
		case AT_DropColumn:
			if (get_attnum(table->relid, cmd->name) != InvalidAttrNumber)
				report(st, "drop_column", false, table, AccessExclusiveLock,
					   psprintf("dropping column %s of table %s breaks application code that still uses it; deploy code that no longer reads it first",
								quote_identifier(cmd->name), table->name));
			break;
		default:
			break;
	}
}

/*---- statements ----*/

static bool
lock_timeout_in_force(const LintState *st)
{
	return st->lock_timeout_set || LockTimeout > 0;
}

static void
report_lock_timeout(const LintState *st, const LintTable *table)
{
	if (!lock_timeout_in_force(st))
		report(st, "no_lock_timeout", false, table, AccessExclusiveLock,
			   psprintf("an ACCESS EXCLUSIVE lock on table %s is taken with no lock_timeout: while it waits for a long query, every query on the table queues behind it; SET lock_timeout (for example to '2s') at the top of the migration",
						table->name));
}

static void
lint_alter_table(LintState *st, AlterTableStmt *stmt)
{
	LintTable	table;
	ListCell   *lc;

	if (!find_table(st, stmt->relation, &table))
		return;
	foreach(lc, stmt->cmds)
		lint_alter_command(st, &table, lfirst_node(AlterTableCmd, lc));
	if (AlterTableGetLockLevel(stmt->cmds) == AccessExclusiveLock)
		report_lock_timeout(st, &table);
}

static void
lint_index(LintState *st, IndexStmt *stmt)
{
	LintTable	table;

	if (stmt->concurrent || !find_table(st, stmt->relation, &table))
		return;
	report(st, "index_without_concurrently", true, &table, ShareLock,
		   psprintf("CREATE INDEX blocks writes to table %s while it builds; use CREATE INDEX CONCURRENTLY, in a migration of its own run by CALL schemata.migrate",
					table.name));
}

static void
lint_rename(LintState *st, RenameStmt *stmt)
{
	LintTable	table;

	if ((stmt->renameType != OBJECT_TABLE && stmt->renameType != OBJECT_COLUMN) ||
		!find_table(st, stmt->relation, &table))
		return;
	if (stmt->renameType == OBJECT_COLUMN &&
		get_attnum(table.relid, stmt->subname) == InvalidAttrNumber)
		return;
	report(st, "rename", false, &table, AccessExclusiveLock,
		   stmt->renameType == OBJECT_TABLE ?
		   psprintf("renaming table %s breaks application code that uses the old name; add a view under the old name, or deploy code that uses both first",
					table.name) :
		   psprintf("renaming column %s of table %s breaks application code that uses the old name; add the new column and switch over in steps",
					quote_identifier(stmt->subname), table.name));
	report_lock_timeout(st, &table);
}

static void
lint_drop(LintState *st, DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_TABLE)
		return;
	foreach(lc, stmt->objects)
	{
		LintTable	table;

		if (!find_table(st, makeRangeVarFromNameList((List *) lfirst(lc)), &table))
			continue;
		report(st, "drop_table", false, &table, AccessExclusiveLock,
			   psprintf("dropping table %s breaks application code that still uses it; deploy code that no longer reads it first",
						table.name));
		report_lock_timeout(st, &table);
	}
}

static void
lint_set(LintState *st, VariableSetStmt *stmt)
{
	char	   *value;
	int			ms;

	if (stmt->name == NULL || strcmp(stmt->name, "lock_timeout") != 0)
		return;
	if (stmt->kind != VAR_SET_VALUE)
	{
		st->lock_timeout_set = false;
		return;
	}
	value = ExtractSetVariableArgs(stmt);
	st->lock_timeout_set = value != NULL && parse_int(value, &ms, GUC_UNIT_MS, NULL) && ms > 0;
}

static void
lint_statement(LintState *st, Node *node)
{
	switch (nodeTag(node))
	{
		case T_CreateStmt:
			remember(st, &st->created, created_key(((CreateStmt *) node)->relation, st));
			break;
		case T_CreateTableAsStmt:
			remember(st, &st->created,
					 created_key(((CreateTableAsStmt *) node)->into->rel, st));
			break;
		case T_IndexStmt:
			lint_index(st, (IndexStmt *) node);
			break;
		case T_AlterTableStmt:
			lint_alter_table(st, (AlterTableStmt *) node);
			break;
		case T_RenameStmt:
			lint_rename(st, (RenameStmt *) node);
			break;
		case T_DropStmt:
			lint_drop(st, (DropStmt *) node);
			break;
		case T_VariableSetStmt:
			lint_set(st, (VariableSetStmt *) node);
			break;
		default:
			break;
	}
}

/* The statements of one pending migration's up script, in order. */
static void
lint_migration(LintState *st, const MigrationDir *dir, const PlannedMigration *planned)
{
	MigrationScripts scripts;

	schemata_read_migration(dir, planned->file, &scripts);
	schemata_scan_script(&scripts.up);
	schemata_parse_script(&scripts.up, false);
	st->planned = planned;
	st->script = &scripts.up;
	st->lock_timeout_set = false;
	for (int i = 0; i < scripts.up.nparsed; i++)
	{
		const ScriptStatement *stmt = &scripts.up.statements[i];
		List	   *parsed;

		if (stmt->skip)
			continue;
		st->stmt = stmt;
		parsed = raw_parser(schemata_statement_text(&scripts.up, stmt), RAW_PARSE_DEFAULT);
		if (list_length(parsed) == 1)
			lint_statement(st, linitial_node(RawStmt, parsed)->stmt);
	}
}

/*
 * lint(): call "callback" for each finding of the pending migrations of
 * options->dir, in the order apply() would run them.  Runs nothing.
 */
void
schemata_lint_pending(const ApplyOptions *options, LintCallback callback, void *arg)
{
	MigrationPlan *plan = schemata_build_plan(options, PLAN_TO_SHOW);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata lint migration",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);
	LintState	st;

	memset(&st, 0, sizeof(st));
	st.memory = old;
	st.options = options;
	st.target_nsp = get_namespace_oid(options->target_schema, true);
	st.callback = callback;
	st.arg = arg;
	schemata_open_directory(plan->dir);
	for (int i = 0; i < plan->npending; i++)
	{
		lint_migration(&st, plan->dir, &plan->pending[i]);
		MemoryContextReset(work);
	}
	schemata_close_directory(plan->dir);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
}
