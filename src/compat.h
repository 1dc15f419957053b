/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Shims for the PostgreSQL APIs that differ between 13 and 18.
 *
 * The code is written against PostgreSQL 15, where it is built and tested.
 * Each shim below says which versions need it; on 15.1 and the later 15
 * releases none of them is compiled.  The shims that rename a call include the header that
 * declares it first, so that the macro cannot rewrite the declaration.  What
 * cannot be shimmed here is guarded where it is used, with PG_VERSION_NUM.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMATA_COMPAT_H
#define SCHEMATA_COMPAT_H

#if PG_VERSION_NUM < 130000
#error "schemata requires PostgreSQL 13 or later"
#endif

/* 13: catalog index OIDs (ExtensionNameIndexId) are in catalog/indexing.h. */
#if PG_VERSION_NUM < 140000
#include "catalog/indexing.h"
#endif

/* 13: the predefined roles are still named DEFAULT_ROLE_*. */
#if PG_VERSION_NUM < 140000
#define ROLE_PG_READ_SERVER_FILES DEFAULT_ROLE_READ_SERVER_FILES
#endif

/*
 * 13: raw_parser() has no mode argument and parses statements only (the
 * caller of RAW_PARSE_PLPGSQL_EXPR, sqltext.c, has its own guard).
 */
#if PG_VERSION_NUM < 140000
#include "parser/parser.h"
#define RAW_PARSE_DEFAULT 0
#define raw_parser(str, mode) raw_parser(str)
#endif

/*
 * 13: no SPI_execute_extended().  This stand-in covers the options runner.c
 * sets (params, read_only, dest) for the one statement it passes.  A statement that returns rows runs in a cursor whose rows are
 * fetched a batch at a time and handed to dest, so that they are not all
 * held at once (runner.c discards a migration's rows as they come); any
 * other runs as SPI_execute_plan_with_paramlist() runs it.
 */
#if PG_VERSION_NUM < 140000
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/plancache.h"

typedef struct SPIExecuteOptions
{
	ParamListInfo params;
	bool		read_only;
	DestReceiver *dest;
} SPIExecuteOptions;

#define SCHEMATA_SPI_FETCH_BATCH 1000

/* The result code SPI gives a statement that returns rows. */
static inline int
schemata_spi_rows_result(SPIPlanPtr plan)
{
	CachedPlanSource *source = linitial(SPI_plan_get_plan_sources(plan));

	switch (source->commandTag)
	{
		case CMDTAG_SELECT:
			return SPI_OK_SELECT;
		case CMDTAG_INSERT:
			return SPI_OK_INSERT_RETURNING;
		case CMDTAG_UPDATE:
			return SPI_OK_UPDATE_RETURNING;
		case CMDTAG_DELETE:
			return SPI_OK_DELETE_RETURNING;
		default:
			return SPI_OK_UTILITY;
	}
}

typedef struct SchemataSpiStatement
{
	ErrorContextCallback callback;
	const char *query;
} SchemataSpiStatement;

/*
 * Name the statement in an error's CONTEXT as SPI does, unless SPI's own
 * callback (its argument is the same query text) already has: SPI names it
 * while it plans the cursor, not while the cursor starts or runs.
 */
static inline void
schemata_spi_statement_callback(void *arg)
{
	SchemataSpiStatement *statement = (SchemataSpiStatement *) arg;
	int			position = geterrposition();

	for (ErrorContextCallback *e = error_context_stack; e != &statement->callback; e = e->previous)
		if (e->arg == statement->query)
			return;
	if (position > 0)
	{
		errposition(0);
		internalerrposition(position);
		internalerrquery(statement->query);
	}
	else
		errcontext("SQL statement \"%s\"", statement->query);
}

/* Run "plan" in a cursor, handing its rows to "dest" a batch at a time. */
static inline int
schemata_spi_stream_rows(SPIPlanPtr plan, const SPIExecuteOptions *options)
{
	SchemataSpiStatement statement;
	Portal		portal;
	DestReceiver *dest = options->dest;
	TupleTableSlot *slot;
	uint64		processed = 0;

	statement.query = ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(plan)))->query_string;
	statement.callback.callback = schemata_spi_statement_callback;
	statement.callback.arg = &statement;
	statement.callback.previous = error_context_stack;
	error_context_stack = &statement.callback;
	portal = SPI_cursor_open_with_paramlist(NULL, plan, options->params, options->read_only);
	slot = MakeSingleTupleTableSlot(portal->tupDesc, &TTSOpsHeapTuple);
	dest->rStartup(dest, CMD_SELECT, portal->tupDesc);
	do
	{
		SPI_cursor_fetch(portal, true, SCHEMATA_SPI_FETCH_BATCH);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			ExecStoreHeapTuple(SPI_tuptable->vals[i], slot, false);
			dest->receiveSlot(slot, dest);
		}
		processed += SPI_processed;
		SPI_freetuptable(SPI_tuptable);
	} while (SPI_processed > 0);
	dest->rShutdown(dest);
	ExecDropSingleTupleTableSlot(slot);
	SPI_cursor_close(portal);
	error_context_stack = statement.callback.previous;
	SPI_processed = processed;
	SPI_tuptable = NULL;
	return schemata_spi_rows_result(plan);
}

static inline int
SPI_execute_extended(const char *src, const SPIExecuteOptions *options)
{
	int			nargs = options->params != NULL ? options->params->numParams : 0;
	Oid		   *argtypes = palloc(Max(nargs, 1) * sizeof(Oid));
	SPIPlanPtr	plan;
	int			rc;

	for (int i = 0; i < nargs; i++)
		argtypes[i] = options->params->params[i].ptype;
	plan = SPI_prepare(src, nargs, argtypes);
	if (plan == NULL)
		return SPI_result;
	if (options->dest != NULL && SPI_is_cursor_plan(plan))
		rc = schemata_spi_stream_rows(plan, options);
	else
		rc = SPI_execute_plan_with_paramlist(plan, options->params, options->read_only, 0);
	SPI_freeplan(plan);
	return rc;
}
#endif

/*
 * 13, 14: pg_md5_hash() has no errstr argument and does not say why it
 * failed.
 */
#if PG_VERSION_NUM < 150000
#include "common/md5.h"
#define pg_md5_hash(buff, len, hexsum, errstr) \
	(*(errstr) = "reason unknown", pg_md5_hash(buff, len, hexsum))
#endif

/*
 * 14: no pg_cryptohash_error(), so no reason for a failure.  (13 has no
 * pg_cryptohash_*() at all; script.c has its own guard.)
 */
#if PG_VERSION_NUM >= 140000 && PG_VERSION_NUM < 150000
#include "common/cryptohash.h"
#define pg_cryptohash_error(ctx) "reason unknown"
#endif

/*
 * 13, 14: no MarkGUCPrefixReserved().  EmitWarningsOnPlaceholders() warns
 * about unknown schemata.* settings alike, but keeps them as placeholders.
 */
#if PG_VERSION_NUM < 150000
#include "utils/guc.h"
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * 13, 14: no InitMaterializedSRF().  The materialize-mode setup it does for
 * flags 0: a tuplestore for the rows and the function's declared row type,
 * both in the query's memory, put in the caller's ReturnSetInfo.
 *
 * 15.0: it is still called SetSingleFuncCall() (renamed in 15.1).
 */
#if PG_VERSION_NUM < 150000
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

static inline void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller;
	TupleDesc	desc;

	Assert(flags == 0);
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if ((rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	caller = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult =
		tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							  false, work_mem);
	rsinfo->setDesc = desc;
	MemoryContextSwitchTo(caller);
}
#elif PG_VERSION_NUM < 150001
#include "funcapi.h"
#define InitMaterializedSRF(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#endif

/*
 * 16 and later: these parsers take a soft-error context; NULL makes them
 * throw, as they always do on 13-15.
 */
#if PG_VERSION_NUM >= 160000
#include "parser/parse_type.h"
#include "utils/regproc.h"
#define typeStringToTypeName(str) typeStringToTypeName(str, NULL)
#define stringToQualifiedNameList(string) stringToQualifiedNameList(string, NULL)
#endif

/*
 * 17 and later: LockHeldByMe() takes an "orstronger" argument; false asks
 * for the exact mode, as 13-16 do.
 */
#include "storage/lock.h"
#if PG_VERSION_NUM >= 170000
#define schemata_lock_held_by_me(tag, mode) LockHeldByMe(tag, mode, false)
#else
#define schemata_lock_held_by_me(tag, mode) LockHeldByMe(tag, mode)
#endif

/*
 * 13-15: guc.c does not export find_option(); this stand-in finds a variable
 * or placeholder (never creating one) in the array it does export.
 */
#if PG_VERSION_NUM < 160000
#include "utils/guc.h"
#include "utils/guc_tables.h"

static inline struct config_generic *
find_option(const char *name, bool create_placeholders, bool skip_errors, int elevel)
{
	struct config_generic **vars = get_guc_variables();
	int			nvars = GetNumConfigOptions();

	Assert(!create_placeholders && skip_errors);
	for (int i = 0; i < nvars; i++)
		if (pg_strcasecmp(vars[i]->name, name) == 0)
			return vars[i];
	return NULL;
}
#endif

/*
 * 13: no pg_encoding_verifymbstr(); the same from its per-character check:
 * how many bytes at the start of mbstr are valid in the encoding.
 */
#if PG_VERSION_NUM < 140000
#include "mb/pg_wchar.h"

static inline int
pg_encoding_verifymbstr(int encoding, const char *mbstr, int len)
{
	const char *start = mbstr;

	while (len > 0)
	{
		int			l = 1;

		if (*mbstr == '\0')
			break;
		if (IS_HIGHBIT_SET(*mbstr) &&
			(l = pg_encoding_verifymb(encoding, mbstr, len)) < 0)
			break;
		mbstr += l;
		len -= l;
	}
	return mbstr - start;
}
#endif

/*
 * 18: pg_attribute_noreturn(), written after a declaration, gave way to
 * pg_noreturn, written before it.
 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * 16 and later: the owner and privilege checks of schemas are
 * object_ownercheck() and object_aclcheck() on pg_namespace.
 */
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_namespace.h"
#include "utils/acl.h"
#define pg_namespace_ownercheck(nsp, role) \
	object_ownercheck(NamespaceRelationId, nsp, role)
#define pg_namespace_aclcheck(nsp, role, mode) \
	object_aclcheck(NamespaceRelationId, nsp, role, mode)
#endif

/*
 * All the settings (the runner reads their stacks of saved values):
 * 16 and later return a sorted copy and its length, 13 to 15 the array
 * itself, as long as GetNumConfigOptions() says.
 */
#include "utils/guc.h"
#include "utils/guc_tables.h"
static inline struct config_generic **
schemata_guc_variables(int *num_vars)
{
#if PG_VERSION_NUM >= 160000
	return get_guc_variables(num_vars);
#else
	*num_vars = GetNumConfigOptions();
	return get_guc_variables();
#endif
}

/*
 * 13, 14: no set_config_option_ext(), and a setting does not record the role
 * that set it (the srole argument is dropped unevaluated).
 */
#if PG_VERSION_NUM < 150000
#define set_config_option_ext(name, value, context, source, srole, action, changeVal, elevel, is_reload) \
	set_config_option(name, value, context, source, action, changeVal, elevel, is_reload)
#endif

/*
 * 13, 14: no pg_prng.  A fraction in [0, 1), for jitter (retry.c).
 */
#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#define schemata_random_fraction() pg_prng_double(&pg_global_prng_state)
#else
#define schemata_random_fraction() ((double) random() / ((double) MAX_RANDOM_VALUE + 1))
#endif

/*
 * Running a statement as exec_simple_query() does (worker.c).  13, 14: no
 * pg_analyze_and_rewrite_fixedparams(), it is pg_analyze_and_rewrite(); 13: a
 * backend's xmin is in PGXACT.  18: PortalRun() has no run_once argument.
 */
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "storage/proc.h"
#if PG_VERSION_NUM < 140000
#define schemata_backend_xmin() (MyPgXact->xmin)
#else
#define schemata_backend_xmin() (MyProc->xmin)
#endif
#if PG_VERSION_NUM < 150000
#define pg_analyze_and_rewrite_fixedparams(raw, sql, types, ntypes, env) \
	pg_analyze_and_rewrite(raw, sql, types, ntypes, env)
#endif
#if PG_VERSION_NUM >= 180000
#define schemata_portal_run(portal, receiver, qc) \
	PortalRun(portal, FETCH_ALL, true, receiver, receiver, qc)
#else
#define schemata_portal_run(portal, receiver, qc) \
	PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, qc)
#endif

#endif							/* SCHEMATA_COMPAT_H */
