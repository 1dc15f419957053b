/*-------------------------------------------------------------------------
 *
 * runner.c
 *	  Running one checked script, statement by statement, through SPI in the
 *	  caller's transaction; and the target schema it runs in.
 *
 * Settings.  Each script runs at a GUC nest level of its own (as a function
 * with SET clauses does): search_path is set to the target schema followed by
 * the caller's path, and when the script ends every setting it changed, with
 * SET or SET LOCAL or set_config(), is restored, so each migration starts
 * from the caller's settings and the caller's session is as it was.
 *
 * Transaction blocks.  Real files wrap statements in BEGIN ... COMMIT, which
 * the checks drop (the migration already runs in a transaction).  A dropped
 * BEGIN opens a GUC nest level of its own, and the dropped COMMIT/END that
 * closes it ends what SET LOCAL (or set_config(..., true)) set since, as the
 * real COMMIT would have, while what SET set stays until the migration ends
 * (end_transaction_block()).  As under psql, a BEGIN inside a block and a
 * COMMIT outside one change nothing; a block still open when the script ends
 * ends with it.
 *
 * Errors keep PostgreSQL's message and SQLSTATE; we add
 * 'migration file "x.sql", line N: statement' to the CONTEXT, the statement
 * shortened as the checks show it (SPI adds it in full, as QUERY or
 * 'SQL statement').  Two errors that come from running many migrations in
 * one transaction get PostgreSQL's hint followed by the way out (RunHints):
 * using an enum value added earlier in the transaction (55P04), and running
 * out of room in the shared lock table.
 *
 * History.  While a script runs (running_scripts > 0, and in a migration
 * worker for its whole life: worker.c) the triggers on the
 * history table and the checksum cache refuse every change to them
 * (schemata_history_guard(), schemata_checksums_guard()): a migration cannot
 * edit the history, nor call baseline() and its kin.  A superuser's
 * migration can get past a trigger (ALTER TABLE ... DISABLE TRIGGER), so the
 * runner also compares, before and after each script, what the transaction
 * wrote to the two tables (its pgstat counts) and which of the locks that
 * TRUNCATE, ALTER TABLE and DROP take it holds on them: any difference is an
 * error (check_own_tables_unchanged()).
 *
 * Rows.  What statements return is discarded as it comes (run_statements()).
 *
 * String syntax.  A script was split with the standard_conforming_strings in
 * force when it was checked; a statement that changes it is an error.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/runner.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "portability/instr_time.h"
#include "storage/lock.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/lsyscache.h"

#include "migration.h"

/*
 * What a script could have done to one of schemata's own tables: this
 * transaction's counts of the rows it inserted, updated and deleted there,
 * and whether it holds each of the lock modes that TRUNCATE, ALTER TABLE
 * (DISABLE TRIGGER among them) and DROP take.
 */
typedef struct TableWatch
{
	Oid			relid;
	int64		changed_rows[3];
	bool		locked[3];
} TableWatch;

/* The two tables watched: the history and the checksum cache. */
typedef struct OwnTablesWatch
{
	TableWatch	history;
	TableWatch	checksums;
} OwnTablesWatch;

typedef struct RunErrorContext
{
	const Script *script;
	const ScriptStatement *statement;
} RunErrorContext;

/*
 * How many scripts are running now: a migration may call a function that
 * runs scripts itself.  While one runs, the history must not change (see
 * schemata_history_guard()).
 */
static int	running_scripts = 0;

/*
 * Whether this process is a background worker running a migration
 * (worker.c): its script runs for as long as the process lives.
 */
static bool in_migration_worker = false;

/* The untranslated message of the lock manager's "lock table full" error. */
#define LOCK_TABLE_FULL_MESSAGE "out of shared memory"

static void
run_error_callback(void *arg)
{
	RunErrorContext *ctx = (RunErrorContext *) arg;

	if (ctx->statement != NULL)
		schemata_statement_context(ctx->script, ctx->statement);
	else
		errcontext("migration file \"%s\"", ctx->script->file);
}

/*
 * Target schemas are ordinary schemas: not empty, not reserved, not the
 * extension's own.
 */
void
schemata_check_target_schema(const char *target_schema)
{
	if (target_schema[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target_schema cannot be empty")));
	if (strncmp(target_schema, "pg_", 3) == 0 ||
		strcmp(target_schema, "information_schema") == 0 ||
		strcmp(target_schema, SCHEMATA_SCHEMA) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("\"%s\" cannot be a target schema", target_schema),
				 errdetail("System schemas and the schema of the extension itself cannot be migrated.")));
}

/* The relation "relname" of the extension's schema, or InvalidOid. */
static Oid
own_table(const char *relname)
{
	Oid			nsp = get_namespace_oid(SCHEMATA_SCHEMA, true);

	return OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
}

/*
 * Read the signs of a change to a table: O(1), whatever its size, so that
 * it can be taken before and after each of ten thousand migrations.
 */
static void
watch_table(TableWatch *watch, Oid relid)
{
	static const LOCKMODE modes[3] = {ShareRowExclusiveLock, ExclusiveLock, AccessExclusiveLock};
	Datum		rel = ObjectIdGetDatum(relid);
	LOCKTAG		tag;

	memset(watch, 0, sizeof(TableWatch));
	watch->relid = relid;
	if (!OidIsValid(relid))
		return;
	watch->changed_rows[0] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_inserted, rel));
	watch->changed_rows[1] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_updated, rel));
	watch->changed_rows[2] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_deleted, rel));
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	for (int i = 0; i < 3; i++)
		watch->locked[i] = schemata_lock_held_by_me(&tag, modes[i]);
}

static void
watch_own_tables(OwnTablesWatch *watch)
{
	watch_table(&watch->history, own_table("migrations"));
	watch_table(&watch->checksums, own_table("file_checksums"));
}

/*
 * After a script has run: refuse it if it changed the history or the
 * checksum cache, past the triggers that guard them (a superuser may disable
 * a trigger).  The tables' guard triggers fire whatever
 * session_replication_role says (ENABLE ALWAYS).
 */
static void
check_own_tables_unchanged(const Script *script, const OwnTablesWatch *before)
{
	OwnTablesWatch after;

	watch_own_tables(&after);
	if (memcmp(&before->history, &after.history, sizeof(TableWatch)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration file \"%s\" changed the history in %s.migrations",
						script->file, SCHEMATA_SCHEMA),
				 errdetail("It wrote to the table, or took a lock that TRUNCATE, ALTER TABLE or DROP takes on it. The history is recorded by schemata itself, after each migration has run."),
				 errhint("Change the history outside migrations, with schemata.rollback(), schemata.baseline() or schemata.repair().")));
	if (memcmp(&before->checksums, &after.checksums, sizeof(TableWatch)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration file \"%s\" changed the checksum cache in %s.file_checksums",
						script->file, SCHEMATA_SCHEMA),
				 errdetail("It wrote to the table, or took a lock that TRUNCATE, ALTER TABLE or DROP takes on it. The cache is written by schemata itself, between migrations.")));
}

/* Create the target schema when it does not exist yet. */
void
schemata_ensure_schema(const char *target_schema)
{
	if (OidIsValid(get_namespace_oid(target_schema, true)))
		return;
	(void) schemata_spi_execute(psprintf("CREATE SCHEMA %s", quote_identifier(target_schema)),
								0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
}

/* search_path for a migration: the target schema, then the caller's path. */
char *
schemata_migration_search_path(const char *target_schema)
{
	const char *caller_path = namespace_search_path;

	if (caller_path == NULL || caller_path[0] == '\0')
		return pstrdup(quote_identifier(target_schema));
	return psprintf("%s, %s", quote_identifier(target_schema), caller_path);
}

/* Whether a statement of the script before "stmt" adds an enum value. */
static bool
enum_value_added_before(const Script *script, const ScriptStatement *stmt)
{
	for (const ScriptStatement *s = script->statements; s < stmt; s++)
		if (s->adds_enum_value)
			return true;
	return false;
}

/*
 * The way out of using an enum value before the transaction that added it
 * has committed (55P04), or NULL when no migration of this call added one.
 */
static const char *
new_enum_value_way_out(const RunErrorContext *ctx, const RunHints *hints)
{
	const MigrationFile *current = hints->migration;
	const MigrationFile *adder = hints->enum_added_by;

	if (enum_value_added_before(ctx->script, ctx->statement))
	{
		if (hints->one_transaction)
			return psprintf(_("Migration \"%s\" adds an enum value and uses it before it is committed: move the statements that use it to a later migration, then apply up to this one with to_version => '%s', then the rest, each call stopping at the next migration that adds an enum value a later one uses; or use CALL schemata.migrate(...), which commits each migration."),
							current->name, current->version.text);
		return psprintf(_("Migration \"%s\" adds an enum value and uses it before it is committed: move the statements that use it to a later migration."),
						current->name);
	}
	if (hints->one_transaction && adder != NULL)
		return psprintf(_("Migration \"%s\" of this call adds an enum value: apply up to it with to_version => '%s', then the rest, each call stopping at the next migration that adds an enum value a later one uses; or use CALL schemata.migrate(...), which commits each migration."),
						adder->name, adder->version.text);
	return NULL;
}

/*
 * Whether an error is the lock manager's "shared lock table is full": its
 * hint names max_locks_per_transaction (quoted or not, as versions differ).
 */
static bool
is_lock_table_full(const ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY &&
		edata->message_id != NULL &&
		strcmp(edata->message_id, LOCK_TABLE_FULL_MESSAGE) == 0 &&
		edata->hint != NULL &&
		strstr(edata->hint, "max_locks_per_transaction") != NULL;
}

/* The way out of an error, or NULL to keep the error as is. */
static const char *
way_out(const ErrorData *edata, const RunErrorContext *ctx, const RunHints *hints)
{
	if (edata->sqlerrcode == ERRCODE_UNSAFE_NEW_ENUM_VALUE_USAGE)
		return new_enum_value_way_out(ctx, hints);
	if (hints->one_transaction && is_lock_table_full(edata))
		return _("This call runs all its migrations in one transaction, which holds every lock they take until it ends: apply in steps with to_version, or use CALL schemata.migrate(...), which commits each migration.");
	return NULL;
}

/* PostgreSQL's own hint, if the error has one, followed by the way out. */
static char *
hint_with_way_out(const ErrorData *edata, const char *way)
{
	if (edata->hint == NULL)
		return pstrdup(way);
	return psprintf("%s %s", edata->hint, way);
}

/*
 * Called while an error propagates out of a statement: when a way out is
 * known, re-throw the error with it added to the hint, keeping everything
 * else (message, SQLSTATE, CONTEXT).  Otherwise return; the caller
 * re-throws.
 */
static void
rethrow_with_hint(const RunErrorContext *ctx, const RunHints *hints, MemoryContext cxt)
{
	ErrorData  *edata;
	const char *way;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	way = way_out(edata, ctx, hints);
	if (way == NULL)
		return;
	FlushErrorState();
	edata->hint = hint_with_way_out(edata, way);
	ReThrowError(edata);
}

/* The text of a setting's saved value, as SET takes it. */
static char *
setting_value_text(struct config_generic *gconf, const config_var_value *value)
{
	switch (gconf->vartype)
	{
		case PGC_BOOL:
			return pstrdup(value->val.boolval ? "on" : "off");
		case PGC_INT:
			return psprintf("%d", value->val.intval);
		case PGC_REAL:
			return psprintf("%.17g", value->val.realval);
		case PGC_STRING:
			return value->val.stringval ? pstrdup(value->val.stringval) : NULL;
		case PGC_ENUM:
			return pstrdup(config_enum_lookup_by_value((struct config_enum *) gconf,
													   value->val.enumval));
	}
	elog(ERROR, "unexpected type %d of setting \"%s\"", (int) gconf->vartype, gconf->name);
	return NULL;				/* keep compiler quiet */
}

/*
 * A dropped COMMIT/END closes the block its dropped BEGIN opened at GUC nest
 * level "level", as a transaction's commit ends its top level: a setting
 * last changed by SET LOCAL goes back to its value at BEGIN, a setting
 * changed by SET keeps its value (SET then SET LOCAL: the SET's), and the
 * level's changes pass to the script's level, undone when the script ends.
 * AtEOXact_GUC() restores at a commit only what a function's SET clause
 * saved (GUC_SAVE), so SET LOCAL entries are turned into such ones first;
 * a masked SET value is set again.
 */
static void
end_transaction_block(int level)
{
	int			nvars;
	struct config_generic **vars = schemata_guc_variables(&nvars);

	for (int i = 0; i < nvars; i++)
	{
		struct config_generic *gconf = vars[i];
		GucStack   *stack = gconf->stack;

		if (stack == NULL || stack->nest_level < level)
			continue;
		if (stack->state == GUC_LOCAL)
			stack->state = GUC_SAVE;
		else if (stack->state == GUC_SET_LOCAL)
			(void) set_config_option_ext(gconf->name,
										 setting_value_text(gconf, &stack->masked),
										 stack->masked_scontext, PGC_S_SESSION,
										 stack->masked_srole, GUC_ACTION_SET,
										 true, 0, false);
	}
	AtEOXact_GUC(true, level);
}

/*
 * A dropped BEGIN or COMMIT/END: open or close a block.  Returns the GUC
 * nest level of the block now open, or 0.
 */
static int
dropped_transaction_statement(const ScriptStatement *stmt, int block_level)
{
	if (!stmt->ends_block)
		return block_level > 0 ? block_level : NewGUCNestLevel();
	if (block_level > 0)
		end_transaction_block(block_level);
	return 0;
}

/*
 * Run each statement of a script.  The rows a statement returns (SELECT,
 * INSERT ... RETURNING, SHOW, EXPLAIN, ...) go to a receiver that discards
 * them, so memory does not grow with them.
 */
static void
run_statements(const Script *script, RunErrorContext *ctx, MemoryContext cxt)
{
	SPIExecuteOptions discard_rows;
	bool		string_syntax = standard_conforming_strings;
	int			block_level = 0;

	memset(&discard_rows, 0, sizeof(discard_rows));
	discard_rows.dest = None_Receiver;
	for (int i = 0; i < script->nparsed; i++)
	{
		const ScriptStatement *stmt = &script->statements[i];
		char	   *sql;
		int			rc;

		if (stmt->skip)
		{
			block_level = dropped_transaction_statement(stmt, block_level);
			continue;
		}
		ctx->statement = stmt;
		CHECK_FOR_INTERRUPTS();
		sql = schemata_statement_text(script, stmt);
		rc = SPI_execute_extended(sql, &discard_rows);
		MemoryContextSwitchTo(cxt);
		/* the checks refuse what SPI cannot run (COPY to the client, ...) */
		if (rc < 0)
			elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(rc));
		/* the checks refuse SET; this catches set_config() and the like */
		if (standard_conforming_strings != string_syntax)
			schemata_refuse_string_syntax_change();
		pfree(sql);
	}
}

/*
 * Whether a migration's script (up or down) is running now: here, or in
 * this process as a migration worker (worker.c).
 */
bool
schemata_script_running(void)
{
	Assert(running_scripts >= 0);
	return running_scripts > 0 || in_migration_worker;
}

/*
 * This process is a migration worker (worker.c), from its connection to its
 * exit: the history guards refuse changes to schemata's own tables here.
 */
void
schemata_enter_migration_worker(void)
{
	Assert(!in_migration_worker);
	Assert(running_scripts == 0);
	in_migration_worker = true;
}

/*
 * Run the statements of a parsed script in the target schema.  Returns the
 * time it took, in milliseconds.
 */
double
schemata_run_script(const Script *script, const char *target_schema)
{
	return schemata_run_migration(script, target_schema, NULL);
}

/*
 * schemata_run_script() for the up script of a migration: with hints, an
 * error the hints know a way out of gets a hint saying so.
 */
double
schemata_run_migration(const Script *script, const char *target_schema,
					   const RunHints *hints)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorContextCallback callback;
	RunErrorContext ctx;
	OwnTablesWatch watch;
	instr_time	start;
	instr_time	duration;
	int			nestlevel;

	INSTR_TIME_SET_CURRENT(start);
	watch_own_tables(&watch);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", schemata_migration_search_path(target_schema),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	ctx.script = script;
	ctx.statement = NULL;
	schemata_push_context(&callback, run_error_callback, &ctx);

	running_scripts++;
	PG_TRY();
	{
		run_statements(script, &ctx, cxt);
	}
	PG_CATCH();
	{
		running_scripts--;
		if (hints != NULL && ctx.statement != NULL)
			rethrow_with_hint(&ctx, hints, cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	running_scripts--;

	schemata_pop_context(&callback);
	check_own_tables_unchanged(script, &watch);

	/* undo every setting the script changed, as a failed function would */
	AtEOXact_GUC(false, nestlevel);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	return INSTR_TIME_GET_MILLISEC(duration);
}
