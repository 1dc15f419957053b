/*-------------------------------------------------------------------------
 *
 * functions.c
 *	  The SQL-callable entry points: argument checks, the SPI connection and
 *	  the rows returned.  The work is done elsewhere.
 *
 * Every entry point brackets its work in one SPI_connect()/SPI_finish() and
 * returns its rows through a materialized tuplestore.  Arguments are checked
 * here: a NULL where a value is needed is an error naming the argument.  So
 * is the caller's right to the target schema's history (access.c), before
 * anything is read or changed.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "migration.h"
#include "model.h"

PG_FUNCTION_INFO_V1(schemata_apply);
PG_FUNCTION_INFO_V1(schemata_plan);
PG_FUNCTION_INFO_V1(schemata_status);
PG_FUNCTION_INFO_V1(schemata_version);
PG_FUNCTION_INFO_V1(schemata_bootstrap_models);
PG_FUNCTION_INFO_V1(schemata_teardown_models);
PG_FUNCTION_INFO_V1(schemata_diff_models);
PG_FUNCTION_INFO_V1(schemata_sync_models);
PG_FUNCTION_INFO_V1(schemata_migrate);
PG_FUNCTION_INFO_V1(schemata_rollback_each);
PG_FUNCTION_INFO_V1(schemata_history_guard);
PG_FUNCTION_INFO_V1(schemata_checksums_guard);

/*
 * The number of columns of each function's result, as its SQL declaration
 * gives them (Asserted where the rows are put).
 */
#define APPLY_COLS 4
#define PLAN_COLS 8
#define STATUS_COLS 10
#define OBJECT_COLS 3
#define DIFF_COLS 5

/* A text argument; NULL is an error unless optional (then returns NULL). */
static char *
text_arg(FunctionCallInfo fcinfo, int n, const char *argname, bool optional)
{
	if (PG_ARGISNULL(n))
	{
		if (optional)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s cannot be null", argname)));
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static char *
name_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s cannot be null", argname)));
	return pstrdup(NameStr(*PG_GETARG_NAME(n)));
}

static bool
bool_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s cannot be null", argname)));
	return PG_GETARG_BOOL(n);
}

/* The arguments shared by apply() and plan(). */
static void
apply_options(FunctionCallInfo fcinfo, ApplyOptions *options)
{
	memset(options, 0, sizeof(ApplyOptions));
	options->dir = text_arg(fcinfo, 0, "dir", false);
	options->target_schema = name_arg(fcinfo, 1, "target_schema");
	options->to_version = text_arg(fcinfo, 2, "to_version", true);
	options->allow_out_of_order = bool_arg(fcinfo, 3, "allow_out_of_order");
}

/* The arguments of lint() and rehearse(): dir, target_schema, to_version. */
static void
pending_options(FunctionCallInfo fcinfo, ApplyOptions *options)
{
	memset(options, 0, sizeof(ApplyOptions));
	options->dir = text_arg(fcinfo, 0, "dir", false);
	options->target_schema = name_arg(fcinfo, 1, "target_schema");
	options->to_version = text_arg(fcinfo, 2, "to_version", true);
}

/* apply()'s and migrate()'s lock_timeout and lock_retries, after the others. */
static void
lock_options(FunctionCallInfo fcinfo, ApplyOptions *options)
{
	if (PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lock_retries cannot be null")));
	schemata_check_lock_options(options, text_arg(fcinfo, 4, "lock_timeout", true),
								PG_GETARG_INT32(5));
}

static void
connect_spi(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
}

static void
put_applied_row(const PlannedMigration *migration, double duration_ms, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[APPLY_COLS];
	bool		nulls[APPLY_COLS] = {0};

	Assert(rsinfo->setDesc->natts == APPLY_COLS);
	values[0] = CStringGetTextDatum(migration->file->version.text);
	values[1] = CStringGetTextDatum(migration->file->name);
	values[2] = CStringGetTextDatum(migration->checksum);
	values[3] = Float8GetDatum(duration_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * apply(dir, target_schema, to_version, allow_out_of_order, lock_timeout,
 *		 lock_retries)
 */
Datum
schemata_apply(PG_FUNCTION_ARGS)
{
	ApplyOptions options;

	apply_options(fcinfo, &options);
	lock_options(fcinfo, &options);
	schemata_check_may_apply(options.target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_apply_pending(&options, put_applied_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * plan(dir, target_schema, to_version, allow_out_of_order)
 */
Datum
schemata_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ApplyOptions options;
	MigrationPlan *plan;

	apply_options(fcinfo, &options);
	schemata_check_may_read_history(options.target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	plan = schemata_build_plan(&options, PLAN_TO_SHOW);
	Assert(rsinfo->setDesc->natts == PLAN_COLS);
	for (int i = 0; i < plan->npending; i++)
	{
		const PlannedMigration *planned = &plan->pending[i];
		Datum		values[PLAN_COLS];
		bool		nulls[PLAN_COLS] = {0};

		values[0] = CStringGetTextDatum(planned->file->version.text);
		values[1] = CStringGetTextDatum(planned->file->name);
		values[2] = CStringGetTextDatum(planned->checksum);
		values[3] = Int32GetDatum(planned->nstatements);
		values[4] = BoolGetDatum(planned->has_down);
		values[5] = CStringGetTextDatum(planned->up_sql);
		values[6] = BoolGetDatum(planned->non_transactional);
		if (planned->down_problem != NULL)
			values[7] = CStringGetTextDatum(planned->down_problem);
		else
			nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

static void
put_status_row(const MigrationFile *file, const HistoryRow *row, const MigrationStatus *status,
			   void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[STATUS_COLS];
	bool		nulls[STATUS_COLS] = {0};

	Assert(rsinfo->setDesc->natts == STATUS_COLS);
	values[0] = CStringGetTextDatum(row ? row->version.text : file->version.text);
	values[1] = CStringGetTextDatum(row ? row->name : file->name);
	values[2] = CStringGetTextDatum(status->state);
	if (row != NULL)
	{
		values[3] = Int32GetDatum(row->batch);
		values[4] = TimestampTzGetDatum(row->applied_at);
		values[5] = DirectFunctionCall1(namein, CStringGetDatum(row->applied_by));
		values[7] = Float8GetDatum(row->duration_ms);
	}
	else
		nulls[3] = nulls[4] = nulls[5] = nulls[7] = true;
	if (status->checksum != NULL)
		values[6] = CStringGetTextDatum(status->checksum);
	else
		nulls[6] = true;
	values[8] = BoolGetDatum(status->non_transactional);
	nulls[8] = !status->non_transactional_known;
	if (status->down_problem != NULL)
		values[9] = CStringGetTextDatum(status->down_problem);
	else
		nulls[9] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * status(dir, target_schema)
 */
Datum
schemata_status(PG_FUNCTION_ARGS)
{
	char	   *dir = text_arg(fcinfo, 0, "dir", true);
	char	   *target_schema = name_arg(fcinfo, 1, "target_schema");

	schemata_check_may_read_history(target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_report_status(dir, target_schema, put_status_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * version(target_schema)
 */
Datum
schemata_version(PG_FUNCTION_ARGS)
{
	char	   *target_schema = name_arg(fcinfo, 0, "target_schema");
	MemoryContext caller = CurrentMemoryContext;
	char	   *version;
	text	   *result = NULL;

	schemata_check_may_read_history(target_schema);
	connect_spi();
	version = schemata_current_version(target_schema);
	if (version != NULL)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = cstring_to_text(version);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(result);
}

#define ROLLBACK_COLS 3

static void
put_rolled_back_row(const HistoryRow *row, double duration_ms, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[ROLLBACK_COLS];
	bool		nulls[ROLLBACK_COLS] = {0};

	Assert(rsinfo->setDesc->natts == ROLLBACK_COLS);
	values[0] = CStringGetTextDatum(row->version.text);
	values[1] = CStringGetTextDatum(row->name);
	values[2] = Float8GetDatum(duration_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(schemata_rollback);
PG_FUNCTION_INFO_V1(schemata_baseline);
PG_FUNCTION_INFO_V1(schemata_repair);

/* The arguments shared by rollback() and rollback_each(). */
static void
rollback_options(FunctionCallInfo fcinfo, RollbackOptions *options)
{
	options->target_schema = name_arg(fcinfo, 0, "target_schema");
	options->has_steps = !PG_ARGISNULL(1);
	options->steps = options->has_steps ? PG_GETARG_INT32(1) : 0;
	options->to_version = text_arg(fcinfo, 2, "to_version", true);
	options->dir = text_arg(fcinfo, 3, "dir", true);
}

/*
 * rollback(target_schema, steps, to_version, dir)
 */
Datum
schemata_rollback(PG_FUNCTION_ARGS)
{
	RollbackOptions options;

	rollback_options(fcinfo, &options);
	schemata_check_may_change_history(options.target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_rollback_migrations(&options, put_rolled_back_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * baseline(version, target_schema, dir)
 */
Datum
schemata_baseline(PG_FUNCTION_ARGS)
{
	char	   *version = text_arg(fcinfo, 0, "version", false);
	char	   *target_schema = name_arg(fcinfo, 1, "target_schema");
	char	   *dir = text_arg(fcinfo, 2, "dir", true);
	int			recorded;

	schemata_check_may_change_history(target_schema);
	connect_spi();
	recorded = schemata_baseline_migrations(version, target_schema, dir);
	SPI_finish();
	PG_RETURN_INT32(recorded);
}

/*
 * repair(dir, target_schema)
 */
Datum
schemata_repair(PG_FUNCTION_ARGS)
{
	char	   *dir = text_arg(fcinfo, 0, "dir", false);
	char	   *target_schema = name_arg(fcinfo, 1, "target_schema");
	int			changed;

	schemata_check_may_change_history(target_schema);
	connect_spi();
	changed = schemata_repair_history(dir, target_schema);
	SPI_finish();
	PG_RETURN_INT32(changed);
}

/* models and target_schema, the arguments shared by the model functions. */
static ModelSet *
models_arg(FunctionCallInfo fcinfo)
{
	Jsonb	   *models;
	char	   *target_schema = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("models cannot be null")));
	models = PG_GETARG_JSONB_P(0);
	if (!PG_ARGISNULL(1))
	{
		target_schema = pstrdup(NameStr(*PG_GETARG_NAME(1)));
		schemata_check_target_schema(target_schema);
	}
	return schemata_read_models(models, target_schema);
}

static void
put_object_row(const char *object_type, const char *object_name, const char *action,
			   void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[OBJECT_COLS];
	bool		nulls[OBJECT_COLS] = {0};

	Assert(rsinfo->setDesc->natts == OBJECT_COLS);
	values[0] = CStringGetTextDatum(object_type);
	values[1] = CStringGetTextDatum(object_name);
	values[2] = CStringGetTextDatum(action);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * bootstrap(models, target_schema, extensions)
 */
Datum
schemata_bootstrap_models(PG_FUNCTION_ARGS)
{
	ModelSet   *set;
	ArrayType  *extensions;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("extensions cannot be null"),
				 errhint("Pass '{}' for no extensions.")));
	extensions = PG_GETARG_ARRAYTYPE_P(2);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	set = models_arg(fcinfo);
	schemata_bootstrap(set, extensions, put_object_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * teardown(models, target_schema, cascade, drop_schema)
 */
Datum
schemata_teardown_models(PG_FUNCTION_ARGS)
{
	ModelSet   *set;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s cannot be null", PG_ARGISNULL(2) ? "cascade" : "drop_schema")));
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	set = models_arg(fcinfo);
	schemata_teardown(set, PG_GETARG_BOOL(2), PG_GETARG_BOOL(3), put_object_row,
					  fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

static void
put_step_row(int step, const DiffStep *diff_step, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[DIFF_COLS];
	bool		nulls[DIFF_COLS] = {0};

	Assert(rsinfo->setDesc->natts == DIFF_COLS);
	values[0] = Int32GetDatum(step);
	values[1] = CStringGetTextDatum(diff_step->operation);
	values[2] = CStringGetTextDatum(diff_step->object_name);
	values[3] = BoolGetDatum(diff_step->destructive);
	values[4] = CStringGetTextDatum(diff_step->sql);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * diff(models, target_schema)
 */
Datum
schemata_diff_models(PG_FUNCTION_ARGS)
{
	ModelSet   *set;

	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	set = models_arg(fcinfo);
	schemata_diff(set, false, false, put_step_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * sync(models, target_schema, allow_destructive)
 */
Datum
schemata_sync_models(PG_FUNCTION_ARGS)
{
	bool		allow_destructive = bool_arg(fcinfo, 2, "allow_destructive");
	ModelSet   *set;

	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	set = models_arg(fcinfo);
	schemata_diff(set, true, allow_destructive, put_step_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * migrate() and rollback_each() commit, so they must be CALLed where a
 * procedure may: not inside a transaction block, not from a function (the
 * check plpgsql makes), and not in a subtransaction, such as a PL/pgSQL
 * block with an EXCEPTION clause, where a CALL is non-atomic but
 * SPI_commit() would refuse to commit.  "name" is the procedure, "instead"
 * the function that does its work in the current transaction, for the hint.
 */
static void
check_nonatomic_call(FunctionCallInfo fcinfo, const char *name, const char *instead)
{
	bool		subtransaction = IsSubTransaction();

	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		((CallContext *) fcinfo->context)->atomic || subtransaction)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 subtransaction ?
				 errmsg("%s() cannot run inside a subtransaction", name) :
				 errmsg("%s() cannot run inside a transaction block or a function", name),
				 subtransaction ?
				 errdetail("The procedure commits after each migration, and a subtransaction, such as a PL/pgSQL block with an EXCEPTION clause, cannot commit.") :
				 errdetail("The procedure commits after each migration."),
				 errhint("Run CALL %s(...) on its own, or use %s.", name, instead)));
}

/*
 * migrate(dir, target_schema, to_version, allow_out_of_order, lock_timeout,
 *		   lock_retries), a procedure
 */
Datum
schemata_migrate(PG_FUNCTION_ARGS)
{
	ApplyOptions options;
	int			rc;

	check_nonatomic_call(fcinfo, "schemata.migrate",
						 "SELECT * FROM schemata.apply(...), which applies everything in the current transaction");
	apply_options(fcinfo, &options);
	lock_options(fcinfo, &options);
	schemata_check_may_apply(options.target_schema);
	rc = SPI_connect_ext(SPI_OPT_NONATOMIC);
	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed: %s", SPI_result_code_string(rc));
	schemata_migrate_pending(&options);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * CALL rollback_each(target_schema, steps, to_version, dir): rollback(),
 * committing after each migration undone.
 */
Datum
schemata_rollback_each(PG_FUNCTION_ARGS)
{
	RollbackOptions options;
	int			rc;

	check_nonatomic_call(fcinfo, "schemata.rollback_each",
						 "SELECT * FROM schemata.rollback(...), which undoes everything in the current transaction");
	rollback_options(fcinfo, &options);
	schemata_check_may_change_history(options.target_schema);
	rc = SPI_connect_ext(SPI_OPT_NONATOMIC);
	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed: %s", SPI_result_code_string(rc));
	schemata_rollback_committing(&options);
	SPI_finish();
	PG_RETURN_VOID();
}

/* A trigger function must be called by the trigger manager. */
static void
check_called_as_trigger(FunctionCallInfo fcinfo, const char *function)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", function)));
}

/*
 * The statement trigger of schemata.migrations (before INSERT, UPDATE,
 * DELETE and TRUNCATE).  schemata writes the history between migrations,
 * never while one runs: a change while a migration's script runs comes from
 * the migration, directly or through a function such as baseline(), and
 * would let a migration be applied twice.  Outside migrations it lets
 * everything through (pg_restore loads the table with COPY).
 */
Datum
schemata_history_guard(PG_FUNCTION_ARGS)
{
	check_called_as_trigger(fcinfo, "schemata.history_guard()");
	if (schemata_script_running())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a migration cannot change the history in schemata.migrations"),
				 errdetail("The history is recorded by schemata itself, after each migration has run."),
				 errhint("Change the history outside migrations, with schemata.rollback(), schemata.baseline() or schemata.repair().")));
	return PointerGetDatum(NULL);
}

/*
 * The statement trigger of schemata.file_checksums (before INSERT, UPDATE,
 * DELETE and TRUNCATE): no change while a migration's script runs (see
 * checksums.c).  Outside migrations it lets everything through.
 */
Datum
schemata_checksums_guard(PG_FUNCTION_ARGS)
{
	check_called_as_trigger(fcinfo, "schemata.checksums_guard()");
	if (schemata_script_running())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a migration cannot change the checksum cache in schemata.file_checksums"),
				 errdetail("The cache is written by schemata itself, between migrations.")));
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(schemata_adopt);

#define ADOPT_COLS 3

static void
put_adopted_row(const MigrationFile *file, const char *checksum, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[ADOPT_COLS];
	bool		nulls[ADOPT_COLS] = {0};

	Assert(rsinfo->setDesc->natts == ADOPT_COLS);
	values[0] = CStringGetTextDatum(file->version.text);
	values[1] = CStringGetTextDatum(file->name);
	values[2] = CStringGetTextDatum(checksum);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * adopt(dir, target_schema, from_tool)
 */
Datum
schemata_adopt(PG_FUNCTION_ARGS)
{
	char	   *dir = text_arg(fcinfo, 0, "dir", false);
	char	   *target_schema = name_arg(fcinfo, 1, "target_schema");
	char	   *from_tool = text_arg(fcinfo, 2, "from_tool", true);

	schemata_check_may_change_history(target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_adopt_history(dir, target_schema, from_tool, put_adopted_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(schemata_lint);

#define LINT_COLS 11

static void
put_lint_row(const LintFinding *finding, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[LINT_COLS];
	bool		nulls[LINT_COLS] = {0};

	Assert(rsinfo->setDesc->natts == LINT_COLS);
	values[0] = CStringGetTextDatum(finding->planned->file->version.text);
	values[1] = CStringGetTextDatum(finding->file);
	values[2] = Int32GetDatum(finding->line);
	values[3] = CStringGetTextDatum(finding->statement);
	values[4] = CStringGetTextDatum(finding->rule);
	values[5] = CStringGetTextDatum(finding->severity);
	values[6] = CStringGetTextDatum(finding->table_name);
	nulls[7] = finding->lock_mode == NULL;
	if (!nulls[7])
		values[7] = CStringGetTextDatum(finding->lock_mode);
	nulls[8] = finding->table_size < 0;
	values[8] = Int64GetDatum(finding->table_size);
	nulls[9] = finding->estimated_rows < 0;
	values[9] = Int64GetDatum((int64) finding->estimated_rows);
	values[10] = CStringGetTextDatum(finding->message);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * lint(dir, target_schema, to_version)
 */
Datum
schemata_lint(PG_FUNCTION_ARGS)
{
	ApplyOptions options;

	pending_options(fcinfo, &options);
	schemata_check_may_read_history(options.target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_lint_pending(&options, put_lint_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(schemata_rehearse);

#define REHEARSE_COLS 9

static Datum
string_list_array(List *strings)
{
	int			n = list_length(strings);
	const char **items = palloc(Max(n, 1) * sizeof(const char *));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, strings)
		items[i++] = (const char *) lfirst(lc);
	return schemata_text_array(items, n);
}

/* {"public.t": {"inserted": 1, "updated": 0, "deleted": 0}, ...} */
static Datum
row_counts_jsonb(const RehearsedMigration *r)
{
	StringInfoData json;
	ListCell   *table;
	ListCell   *counts;

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	forboth(table, r->row_tables, counts, r->row_counts)
	{
		long long	inserted,
					updated,
					deleted;

		if (sscanf((const char *) lfirst(counts), "%lld %lld %lld",
				   &inserted, &updated, &deleted) != 3)
			elog(ERROR, "malformed row counts");
		if (json.len > 1)
			appendStringInfoString(&json, ", ");
		escape_json(&json, (const char *) lfirst(table));
		appendStringInfo(&json, ": {\"inserted\": %lld, \"updated\": %lld, \"deleted\": %lld}",
						 inserted, updated, deleted);
	}
	appendStringInfoChar(&json, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
}

static void
put_rehearsed_row(const RehearsedMigration *r, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[REHEARSE_COLS];
	bool		nulls[REHEARSE_COLS] = {0};

	Assert(rsinfo->setDesc->natts == REHEARSE_COLS);
	values[0] = CStringGetTextDatum(r->planned->file->version.text);
	values[1] = CStringGetTextDatum(r->planned->file->name);
	values[2] = Float8GetDatum(r->duration_ms);
	values[3] = string_list_array(r->locks);
	values[4] = string_list_array(r->rewritten);
	values[5] = row_counts_jsonb(r);
	values[6] = string_list_array(r->created);
	values[7] = string_list_array(r->altered);
	values[8] = string_list_array(r->dropped);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * rehearse(dir, target_schema, to_version)
 */
Datum
schemata_rehearse(PG_FUNCTION_ARGS)
{
	ApplyOptions options;

	pending_options(fcinfo, &options);
	schemata_check_may_apply(options.target_schema);
	InitMaterializedSRF(fcinfo, 0);
	connect_spi();
	schemata_rehearse_pending(&options, put_rehearsed_row, fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}
