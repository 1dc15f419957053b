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
 * Errors keep PostgreSQL's message and SQLSTATE; we add
 * 'migration file "x.sql", line N: statement' to the CONTEXT, the statement
 * shortened as the checks show it (SPI adds it in full, as QUERY or
 * 'SQL statement').  Two errors that come from running many migrations in
 * one transaction get PostgreSQL's hint followed by the way out (RunHints):
 * using an enum value added earlier in the transaction (55P04), and running
 * out of room in the shared lock table.
 *
 * History.  While a script runs (running_scripts > 0) the trigger on the
 * history table refuses every change to it (schemata_history_guard()): a
 * migration cannot edit the history, nor call baseline() and its kin.
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
#include "portability/instr_time.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "schemata.h"

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

/* Create the target schema when it does not exist yet. */
void
schemata_ensure_schema(const char *target_schema)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	if (OidIsValid(get_namespace_oid(target_schema, true)))
		return;
	rc = SPI_execute(psprintf("CREATE SCHEMA %s", quote_identifier(target_schema)), false, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "could not create schema \"%s\": %s", target_schema,
			 SPI_result_code_string(rc));
}

/* search_path for a migration: the target schema, then the caller's path. */
static char *
migration_search_path(const char *target_schema)
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
			return psprintf(_("Migration \"%s\" adds an enum value and uses it before it is committed: move the statements that use it to a later migration, then apply up to this one with to_version => '%s' and the rest in a second call, or use CALL schemata.migrate(...), which commits each migration."),
							current->name, current->version.text);
		return psprintf(_("Migration \"%s\" adds an enum value and uses it before it is committed: move the statements that use it to a later migration."),
						current->name);
	}
	if (hints->one_transaction && adder != NULL)
		return psprintf(_("Migration \"%s\" of this call adds an enum value: apply up to it with to_version => '%s' and the rest in a second call, or use CALL schemata.migrate(...), which commits each migration."),
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

/*
 * Run each statement of a script.  The rows a statement returns (SELECT,
 * INSERT ... RETURNING, SHOW, EXPLAIN, ...) go to a receiver that discards
 * them, so memory does not grow with them.
 */
static void
run_statements(const Script *script, RunErrorContext *ctx, MemoryContext cxt)
{
	SPIExecuteOptions discard_rows;

	memset(&discard_rows, 0, sizeof(discard_rows));
	discard_rows.dest = None_Receiver;
	for (int i = 0; i < script->nparsed; i++)
	{
		const ScriptStatement *stmt = &script->statements[i];
		char	   *sql;
		int			rc;

		if (stmt->skip)
			continue;
		ctx->statement = stmt;
		CHECK_FOR_INTERRUPTS();
		sql = schemata_statement_text(script, stmt);
		rc = SPI_execute_extended(sql, &discard_rows);
		MemoryContextSwitchTo(cxt);
		/* the checks refuse what SPI cannot run (COPY to the client, ...) */
		if (rc < 0)
			elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(rc));
		pfree(sql);
	}
}

/* Whether a migration's script (up or down) is running now. */
bool
schemata_script_running(void)
{
	return running_scripts > 0;
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
	instr_time	start;
	instr_time	duration;
	int			nestlevel;

	INSTR_TIME_SET_CURRENT(start);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", migration_search_path(target_schema),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	ctx.script = script;
	ctx.statement = NULL;
	callback.callback = run_error_callback;
	callback.arg = &ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

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

	error_context_stack = callback.previous;

	/* undo every setting the script changed, as a failed function would */
	AtEOXact_GUC(false, nestlevel);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	return INSTR_TIME_GET_MILLISEC(duration);
}
