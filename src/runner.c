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
 * Errors keep PostgreSQL's message and SQLSTATE; SPI adds the statement and
 * we add 'migration file "x.sql", line N' to the CONTEXT.
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
#include "utils/builtins.h"
#include "utils/guc.h"

#include "schemata.h"

typedef struct RunErrorContext
{
	const Script *script;
	const ScriptStatement *statement;
} RunErrorContext;

static void
run_error_callback(void *arg)
{
	RunErrorContext *ctx = (RunErrorContext *) arg;

	errcontext("migration file \"%s\", line %d",
			   ctx->script->file, ctx->statement->line);
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

/*
 * Run the statements of a parsed script in the target schema.  Returns the
 * time it took, in milliseconds.
 */
double
schemata_run_script(const Script *script, const char *target_schema)
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
	callback.callback = run_error_callback;
	callback.arg = &ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

	for (int i = 0; i < script->nparsed; i++)
	{
		const ScriptStatement *stmt = &script->statements[i];
		char	   *sql;
		int			rc;

		if (stmt->skip)
			continue;
		CHECK_FOR_INTERRUPTS();
		ctx.statement = stmt;
		sql = schemata_statement_text(script, stmt);
		rc = SPI_execute(sql, false, 0);
		MemoryContextSwitchTo(cxt);
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("statement cannot run in a migration: %s", SPI_result_code_string(rc))));
		SPI_freetuptable(SPI_tuptable);
		pfree(sql);
	}

	error_context_stack = callback.previous;

	/* undo every setting the script changed, as a failed function would */
	AtEOXact_GUC(false, nestlevel);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	return INSTR_TIME_GET_MILLISEC(duration);
}
