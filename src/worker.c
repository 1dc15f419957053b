/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Running a non-transactional migration script (CREATE INDEX
 *	  CONCURRENTLY and its kin) outside any transaction, in a dynamic
 *	  background worker: the launcher, called by migrate and rollback_each,
 *	  and the worker itself.
 *
 * PostgreSQL refuses those statements inside a transaction block, and SPI
 * always runs in one, so the script runs in a background worker connected
 * to the caller's database, each statement at top level in a transaction of
 * its own, as exec_simple_query() runs a query string (the way pg_cron's
 * background-worker mode and pg_background do it).
 *
 * Identity and settings.  The worker connects as the caller's authenticated
 * user (a NOLOGIN role may not connect), then takes the caller's session
 * user, current role (SET ROLE) and user ID with its security context, as a
 * parallel worker does; so it never runs as a more privileged role than
 * the caller's current user.  The caller's settings are copied
 * (SerializeGUCState()/RestoreGUCState()), and search_path is the one every
 * migration gets (schemata_migration_search_path()).  While it runs, the
 * history guards refuse changes to schemata's own tables there too
 * (schemata_enter_migration_worker()).  The worker sits above the runner
 * (runner.c), whose search path and guard state it uses.
 *
 * Messages.  The worker's protocol messages go to a shm_mq read by the
 * caller: notices are relayed as they come; an error is thrown again in the
 * caller with its message, detail, hint and SQLSTATE, its CONTEXT naming the
 * file and line of the statement (from the worker) and how many statements
 * of the script had completed (added by the caller).
 *
 * The caller commits before it starts the worker and holds no snapshot and
 * no transaction ID while it waits, so CREATE INDEX CONCURRENTLY, which
 * waits for older snapshots and for the lockers of its table, never waits
 * for it; the caller keeps only its session-level advisory lock.  It waits
 * on its latch, so a cancel ends the wait; however the caller's transaction
 * or process ends, detaching the shared memory segment terminates the
 * worker (on_dsm_detach), so a FATAL exit is covered too.
 *
 * Before CREATE [UNIQUE] INDEX CONCURRENTLY name ..., an INVALID index of
 * that name in the schema the index would be created in (left by a failed
 * build of the same statement) is dropped with DROP INDEX CONCURRENTLY and a
 * NOTICE, so that a rerun succeeds.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "commands/dbcommands.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "migration.h"

/* Keys of the shared memory segment's table of contents. */
#define WORKER_MAGIC		0x73636d77
#define WORKER_KEY_FIXED	0
#define WORKER_KEY_GUC		1
#define WORKER_KEY_TEXT		2
#define WORKER_KEY_STMTS	3
#define WORKER_KEY_QUEUE	4
#define WORKER_NKEYS		5

/* Size of the queue that carries the worker's messages to the caller. */
#define WORKER_QUEUE_SIZE	16384

/* What the caller tells the worker, and what the worker reports back. */
typedef struct WorkerShared
{
	/* set by the caller */
	Oid			database_id;
	Oid			authenticated_user_id;
	Oid			session_user_id;
	bool		session_user_is_superuser;
	Oid			outer_user_id;	/* the current role (SET ROLE), or InvalidOid:
								 * none set */
	bool		outer_user_is_superuser;
	Oid			user_id;		/* user ID the statements run as */
	int			sec_context;
	int			nparsed;		/* statements in WORKER_KEY_STMTS */
	int			file_len;		/* lengths of the texts in WORKER_KEY_TEXT */
	int			search_path_len;
	int			sql_len;
	/* set by the worker */
	int			completed;		/* statements run and committed */
	bool		done;			/* every statement ran */
} WorkerShared;

/* For the caller's error CONTEXT: how far the worker got. */
typedef struct WorkerProgress
{
	const Script *script;
	volatile WorkerShared *shared;
} WorkerProgress;

PGDLLEXPORT void schemata_worker_main(Datum main_arg);

/* ----------------------------------------------------------------
 * The caller
 * ----------------------------------------------------------------
 */

/*
 * on_dsm_detach callback: stop the worker when the caller's transaction or
 * process ends before the worker has finished (an error, a cancel, a FATAL
 * exit).  Harmless once the worker has exited.
 */
static void
terminate_worker(dsm_segment *seg, Datum arg)
{
	BackgroundWorkerHandle *handle = (BackgroundWorkerHandle *) DatumGetPointer(arg);

	TerminateBackgroundWorker(handle);
	pfree(handle);
}

/*
 * The caller must hold no snapshot and no transaction ID while the worker
 * runs, or a concurrent index build there would wait for it, which waits
 * for the worker.
 */
static void
release_snapshots(void)
{
	InvalidateCatalogSnapshot();
	if (ActiveSnapshotSet() || TransactionIdIsValid(GetTopTransactionIdIfAny()) ||
		TransactionIdIsValid(schemata_backend_xmin()))
		elog(ERROR, "a non-transactional migration must start in a fresh transaction");
}

/* Total size of the segment, and its table of contents estimated. */
static Size
estimate_segment(shm_toc_estimator *e, Size guc_len, Size text_len, int nparsed)
{
	shm_toc_initialize_estimator(e);
	shm_toc_estimate_chunk(e, sizeof(WorkerShared));
	shm_toc_estimate_chunk(e, guc_len);
	shm_toc_estimate_chunk(e, text_len);
	shm_toc_estimate_chunk(e, sizeof(ScriptStatement) * Max(nparsed, 1));
	shm_toc_estimate_chunk(e, WORKER_QUEUE_SIZE);
	shm_toc_estimate_keys(e, WORKER_NKEYS);
	return shm_toc_estimate(e);
}

/* Fill in who the worker is to be. */
static void
set_identity(WorkerShared *shared, Oid role)
{
	Oid			current_user;
	int			sec_context;

	GetUserIdAndSecContext(&current_user, &sec_context);
	shared->database_id = MyDatabaseId;
	shared->authenticated_user_id = GetAuthenticatedUserId();
	shared->session_user_id = GetSessionUserId();
	shared->session_user_is_superuser = superuser_arg(shared->session_user_id);
	shared->outer_user_id = GetCurrentRoleId();
	shared->outer_user_is_superuser = OidIsValid(shared->outer_user_id) &&
		superuser_arg(shared->outer_user_id);
	if (OidIsValid(role) && role != current_user)
	{
		shared->user_id = role;
		shared->sec_context = sec_context | SECURITY_LOCAL_USERID_CHANGE;
	}
	else
	{
		shared->user_id = current_user;
		shared->sec_context = sec_context;
	}
}

/* Copy a string into the text chunk; returns the byte after its NUL. */
static char *
put_text(char *dst, const char *src, int len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	return dst + len + 1;
}

/*
 * Create the segment with everything the worker needs, and the queue it
 * writes to, attached here as its receiver.
 */
static dsm_segment *
create_segment(const Script *script, const char *search_path, Oid role,
			   WorkerShared **shared, shm_mq_handle **mqh)
{
	int			file_len = strlen(script->file);
	int			path_len = strlen(search_path);
	Size		text_len = file_len + path_len + script->len + 3;
	Size		guc_len = EstimateGUCStateSpace();
	shm_toc_estimator e;
	Size		size = estimate_segment(&e, guc_len, text_len, script->nparsed);
	dsm_segment *seg = dsm_create(size, 0);
	shm_toc    *toc = shm_toc_create(WORKER_MAGIC, dsm_segment_address(seg), size);
	char	   *guc = shm_toc_allocate(toc, guc_len);
	char	   *text = shm_toc_allocate(toc, text_len);
	ScriptStatement *stmts = shm_toc_allocate(toc, sizeof(ScriptStatement) * Max(script->nparsed, 1));
	shm_mq	   *mq;
	char	   *next;

	*shared = shm_toc_allocate(toc, sizeof(WorkerShared));
	memset(*shared, 0, sizeof(WorkerShared));
	set_identity(*shared, role);
	(*shared)->nparsed = script->nparsed;
	(*shared)->file_len = file_len;
	(*shared)->search_path_len = path_len;
	(*shared)->sql_len = script->len;
	shm_toc_insert(toc, WORKER_KEY_FIXED, *shared);

	SerializeGUCState(guc_len, guc);
	shm_toc_insert(toc, WORKER_KEY_GUC, guc);

	next = put_text(text, script->file, file_len);
	next = put_text(next, search_path, path_len);
	put_text(next, script->sql, script->len);
	shm_toc_insert(toc, WORKER_KEY_TEXT, text);

	memcpy(stmts, script->statements, sizeof(ScriptStatement) * script->nparsed);
	shm_toc_insert(toc, WORKER_KEY_STMTS, stmts);

	mq = shm_mq_create(shm_toc_allocate(toc, WORKER_QUEUE_SIZE), WORKER_QUEUE_SIZE);
	shm_toc_insert(toc, WORKER_KEY_QUEUE, mq);
	shm_mq_set_receiver(mq, MyProc);
	*mqh = shm_mq_attach(mq, seg, NULL);
	return seg;
}

/*
 * Start the worker; no free slot is an error.  The handle lives in
 * TopMemoryContext, for the on_dsm_detach callback that terminates the
 * worker when the segment goes away.
 */
static BackgroundWorkerHandle *
start_worker(dsm_segment *seg, const Script *script)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext outer;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "schemata");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "schemata_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "schemata migration for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "schemata migration");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	outer = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a background worker for migration file \"%s\"",
						script->file),
				 errdetail("A migration that cannot run inside a transaction runs in a background worker, and every worker slot is taken."),
				 errhint("Try again when fewer background workers run, or raise \"max_worker_processes\".")));
	MemoryContextSwitchTo(outer);
	on_dsm_detach(seg, terminate_worker, PointerGetDatum(handle));
	return handle;
}

/* CONTEXT of an error from the worker: how many statements completed. */
static void
progress_callback(void *arg)
{
	WorkerProgress *progress = (WorkerProgress *) arg;
	int			completed = progress->shared->completed;

	errcontext("%d of %d statements of migration file \"%s\" completed and stay committed",
			   completed, progress->script->nstatements, progress->script->file);
}

/* Relay a notice, or throw an error, that the worker sent. */
static void
relay_message(StringInfo msg, WorkerProgress *progress)
{
	ErrorData	edata;
	ErrorContextCallback callback;

	pq_parse_errornotice(msg, &edata);
	if (edata.elevel >= ERROR)
	{
		edata.elevel = ERROR;
		schemata_push_context(&callback, progress_callback, progress);
		ThrowErrorData(&edata);
	}
	/* a notice, warning, ...: with the worker's CONTEXT, as it is */
	ThrowErrorData(&edata);
}

/*
 * Read the worker's messages until it detaches from the queue: notices are
 * relayed, the first error is kept.  Returns the error message, or NULL.
 */
static StringInfo
read_messages(shm_mq_handle *mqh, WorkerProgress *progress)
{
	StringInfo	error = NULL;

	for (;;)
	{
		Size		nbytes;
		void	   *data;
		StringInfoData msg;
		char		type;

		if (shm_mq_receive(mqh, &nbytes, &data, false) != SHM_MQ_SUCCESS)
			return error;
		initStringInfo(&msg);
		appendBinaryStringInfo(&msg, data, nbytes);
		type = pq_getmsgbyte(&msg);
		if (type == 'E' && error == NULL)
		{
			error = makeStringInfo();
			appendBinaryStringInfo(error, msg.data + msg.cursor, msg.len - msg.cursor);
		}
		else if (type == 'N')
			relay_message(&msg, progress);
		pfree(msg.data);
	}
}

/*
 * Run a parsed script outside any transaction, in a background worker, as
 * role (InvalidOid: the caller's current user), with search_path set for
 * target_schema as for every migration.  The caller's transaction must be
 * fresh: nothing written, no snapshot.  Returns the time it took, in
 * milliseconds.  An error of a statement is thrown here, after the worker
 * has exited; the statements before it stay committed.
 */
double
schemata_run_outside_transaction(const Script *script, const char *target_schema, Oid role)
{
	char	   *search_path = schemata_migration_search_path(target_schema);
	WorkerShared *shared;
	shm_mq_handle *mqh;
	dsm_segment *seg;
	BackgroundWorkerHandle *handle;
	WorkerProgress progress;
	StringInfo	error;
	instr_time	start;
	instr_time	duration;

	INSTR_TIME_SET_CURRENT(start);
	seg = create_segment(script, search_path, role, &shared, &mqh);
	release_snapshots();
	handle = start_worker(seg, script);
	shm_mq_set_handle(mqh, handle);

	progress.script = script;
	progress.shared = shared;
	error = read_messages(mqh, &progress);
	/* so that no worker is left when the call returns or fails */
	(void) WaitForBackgroundWorkerShutdown(handle);
	if (error != NULL)
		relay_message(error, &progress);
	if (!shared->done)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the background worker running migration file \"%s\" exited before it finished",
						script->file),
				 errdetail("%d of %d statements completed and stay committed.",
						   shared->completed, script->nstatements)));
	/* done: the worker ran every statement not skipped */
	Assert(shared->completed == script->nstatements);
	/* the worker has exited: nothing to terminate */
	cancel_on_dsm_detach(seg, terminate_worker, PointerGetDatum(handle));
	pfree(handle);
	dsm_detach(seg);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	return INSTR_TIME_GET_MILLISEC(duration);
}

/* ----------------------------------------------------------------
 * The worker
 * ----------------------------------------------------------------
 */

typedef struct WorkerScript
{
	Script		script;
	const ScriptStatement *statement;	/* running now, or NULL */
} WorkerScript;

static void
worker_error_callback(void *arg)
{
	WorkerScript *ws = (WorkerScript *) arg;

	if (ws->statement != NULL)
		schemata_statement_context(&ws->script, ws->statement);
}

/* Become who the caller is (see the top of the file). */
static void
take_identity(const WorkerShared *shared, char *guc, const char *search_path)
{
	StartTransactionCommand();
	RestoreGUCState(guc);
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
	CommitTransactionCommand();
	/* messages go to the caller as they are: no conversion */
	SetClientEncoding(GetDatabaseEncoding());
	SetSessionAuthorization(shared->session_user_id, shared->session_user_is_superuser);
	SetCurrentRoleId(shared->outer_user_id, shared->outer_user_is_superuser);
	SetUserIdAndSecContext(shared->user_id, shared->sec_context);
}

/* Run one statement's raw parse tree at top level, its rows discarded. */
static void
run_parsetree(RawStmt *raw, const char *sql)
{
	CommandTag	tag = CreateCommandTag(raw->stmt);
	bool		snapshot_set = false;
	List	   *queries;
	List	   *plans;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;

	set_ps_display(GetCommandTagName(tag));
	if (analyze_requires_snapshot(raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	queries = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
	plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();
	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plans, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	receiver = CreateDestReceiver(DestNone);
	(void) schemata_portal_run(portal, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
}

/*
 * Run a statement as exec_simple_query() runs one: in a transaction of its
 * own (which the statement may commit and restart itself), at top level.
 * The parse trees live in "cxt", outside the transaction.
 */
static void
run_top_level(const char *sql, MemoryContext cxt)
{
	MemoryContext outer;
	List	   *parsed;
	ListCell   *lc;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (StatementTimeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
	pgstat_report_activity(STATE_RUNNING, sql);
	outer = MemoryContextSwitchTo(cxt);
	parsed = pg_parse_query(sql);
	foreach(lc, parsed)
		run_parsetree(lfirst_node(RawStmt, lc), sql);
	MemoryContextSwitchTo(outer);
	disable_timeout(STATEMENT_TIMEOUT, false);
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextReset(cxt);
}

/*
 * The qualified name of an INVALID index that the statement, a CREATE
 * INDEX CONCURRENTLY with an index name, would create, or NULL.  Looked up
 * in a transaction of its own.
 */
static char *
invalid_index_in_the_way(const IndexStmt *stmt, MemoryContext cxt)
{
	char	   *name = NULL;
	Oid			relid;

	if (!stmt->concurrent || stmt->idxname == NULL)
		return NULL;
	StartTransactionCommand();
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (OidIsValid(relid))
	{
		Oid			nsp = get_rel_namespace(relid);
		Oid			index = get_relname_relid(stmt->idxname, nsp);
		HeapTuple	tuple = OidIsValid(index) ?
		SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index)) : NULL;

		if (HeapTupleIsValid(tuple))
		{
			if (!((Form_pg_index) GETSTRUCT(tuple))->indisvalid)
				name = MemoryContextStrdup(cxt,
										   quote_qualified_identifier(get_namespace_name(nsp),
																	  stmt->idxname));
			ReleaseSysCache(tuple);
		}
	}
	CommitTransactionCommand();
	return name;
}

/*
 * Before CREATE INDEX CONCURRENTLY name: drop an INVALID index of that
 * name, left by a failed build, concurrently.
 */
static void
drop_invalid_index(const char *sql, MemoryContext cxt)
{
	MemoryContext outer = MemoryContextSwitchTo(cxt);
	List	   *parsed = pg_parse_query(sql);
	char	   *index = NULL;

	if (list_length(parsed) == 1 && IsA(linitial_node(RawStmt, parsed)->stmt, IndexStmt))
		index = invalid_index_in_the_way((IndexStmt *) linitial_node(RawStmt, parsed)->stmt,
										 cxt);
	MemoryContextSwitchTo(outer);
	if (index != NULL)
	{
		ereport(NOTICE,
				(errmsg("dropping invalid index %s, left by an earlier failed build, before building it again",
						index)));
		run_top_level(psprintf("DROP INDEX CONCURRENTLY %s", index), cxt);
	}
	MemoryContextReset(cxt);
}

/* Run the script's statements, counting in shared those committed. */
static void
run_script(WorkerShared *shared, WorkerScript *ws)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "schemata worker statement",
											  ALLOCSET_DEFAULT_SIZES);
	bool		string_syntax = standard_conforming_strings;

	for (int i = 0; i < ws->script.nparsed; i++)
	{
		const ScriptStatement *stmt = &ws->script.statements[i];
		char	   *sql;

		if (stmt->skip)
			continue;
		ws->statement = stmt;
		CHECK_FOR_INTERRUPTS();
		sql = MemoryContextStrdup(TopMemoryContext, schemata_statement_text(&ws->script, stmt));
		drop_invalid_index(sql, cxt);
		run_top_level(sql, cxt);
		pfree(sql);
		if (standard_conforming_strings != string_syntax)
			schemata_refuse_string_syntax_change();
		shared->completed++;
		pg_write_barrier();
	}
	ws->statement = NULL;
}

/*
 * The worker's entry point: attach the segment, send messages to the
 * caller, connect as the caller, run the script, say so.
 */
void
schemata_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	WorkerShared *shared;
	char	   *strings;
	shm_mq	   *mq;
	shm_mq_handle *mqh;
	WorkerScript ws;
	ErrorContextCallback callback;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "schemata worker");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the dynamic shared memory segment of a schemata migration")));
	toc = shm_toc_attach(WORKER_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		elog(ERROR, "bad magic number in the shared memory segment of a schemata migration");
	shared = shm_toc_lookup(toc, WORKER_KEY_FIXED, false);
	strings = shm_toc_lookup(toc, WORKER_KEY_TEXT, false);

	mq = shm_toc_lookup(toc, WORKER_KEY_QUEUE, false);
	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);
	pq_redirect_to_shm_mq(seg, mqh);

	BackgroundWorkerInitializeConnectionByOid(shared->database_id,
											  shared->authenticated_user_id, 0);
	schemata_enter_migration_worker();
	take_identity(shared, shm_toc_lookup(toc, WORKER_KEY_GUC, false),
				  strings + shared->file_len + 1);

	memset(&ws, 0, sizeof(ws));
	ws.script.file = strings;
	ws.script.sql = strings + shared->file_len + shared->search_path_len + 2;

	ws.script.len = shared->sql_len;
	ws.script.nparsed = shared->nparsed;
	ws.script.statements = shm_toc_lookup(toc, WORKER_KEY_STMTS, false);
	schemata_push_context(&callback, worker_error_callback, &ws);

	run_script(shared, &ws);

	schemata_pop_context(&callback);
	shared->done = true;
	pg_write_barrier();
	pgstat_report_stat(true);
	proc_exit(0);
}
