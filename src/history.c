/*-------------------------------------------------------------------------
 *
 * history.c
 *	  The history table schemata.migrations: reading it, recording in it,
 *	  and the queries that run as the extension's owner.
 *
 * Every call that changes a target schema's history first takes the target
 * lock (lock.c), before reading that history.
 *
 * Snapshots.  In READ COMMITTED every SPI query takes a new snapshot, so the
 * history read after the lock sees what a concurrent apply committed.  In
 * REPEATABLE READ and SERIALIZABLE the transaction's snapshot may predate
 * such a commit; schemata_check_history_snapshot() then compares the history
 * seen by the transaction's snapshot with the latest one and raises a
 * serialization failure (40001) when they differ, so the caller retries
 * rather than applying a migration twice.
 *
 * Privileges.  The history table belongs to the extension's owner and is not
 * granted to anyone; reads and writes here run as that owner
 * (SetUserIdAndSecContext, as pg_cron does), never the migrations themselves.
 * applied_by records the calling user.
 *
 * Baselines.  Rows recorded by baseline() carry batch 0
 * (SCHEMATA_BASELINE_BATCH), which apply never uses (its batches count from
 * max + 1, so from 1): they mark migrations that were adopted, not run, and
 * rollback() without arguments never undoes them.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "migration.h"

typedef struct OwnerSwitch
{
	Oid			saved_user;
	int			saved_context;
	int			guc_nestlevel;	/* of the search_path set for the owner */
} OwnerSwitch;

static Oid
extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(SCHEMATA_SCHEMA));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"schemata\" is not installed in this database")));
	owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * Run what follows as the extension's owner, with search_path set to
 * pg_catalog and then pg_temp, as a SECURITY DEFINER function should be: the
 * caller's search_path must not pick the types, functions or operators of
 * the queries the owner runs.  An error on the way is undone by the abort of
 * the (sub)transaction, which restores the user and the settings.
 */
static void
become_owner(OwnerSwitch *sw)
{
	GetUserIdAndSecContext(&sw->saved_user, &sw->saved_context);
	SetUserIdAndSecContext(extension_owner(),
						   sw->saved_context | SECURITY_LOCAL_USERID_CHANGE);
	sw->guc_nestlevel = schemata_pin_search_path();
}

static void
restore_user(const OwnerSwitch *sw)
{
	schemata_restore_search_path(sw->guc_nestlevel);
	SetUserIdAndSecContext(sw->saved_user, sw->saved_context);
}

/* md5 of the ctids of the schema's history rows seen by "snapshot". */
static char *
history_fingerprint(SPIPlanPtr plan, const char *target_schema, Snapshot snapshot)
{
	Datum		arg = CStringGetDatum(target_schema);
	MemoryContext cxt = CurrentMemoryContext;
	bool		isnull;
	char	   *result;
	int			rc;

	arg = DirectFunctionCall1(namein, arg);
	rc = SPI_execute_snapshot(plan, &arg, NULL, snapshot, InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read history fingerprint: %s", SPI_result_code_string(rc));
	MemoryContextSwitchTo(cxt);
	result = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											   1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return result;
}

/*
 * In REPEATABLE READ and SERIALIZABLE: fail with 40001 when the history of
 * the target schema changed after the transaction's snapshot was taken.
 * Call it after taking the lock.
 */
void
schemata_check_history_snapshot(const char *target_schema)
{
	OwnerSwitch sw;
	SPIPlanPtr	plan;
	Oid			argtype = NAMEOID;
	char	   *seen;
	char	   *latest;

	if (!IsolationUsesXactSnapshot())
		return;

	become_owner(&sw);
	plan = SPI_prepare("SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(ctid::text, ',' ORDER BY ctid), ''))"
					   " FROM schemata.migrations WHERE target_schema OPERATOR(pg_catalog.=) $1",
					   1, &argtype);
	if (plan == NULL)
		elog(ERROR, "could not prepare history fingerprint query: %s",
			 SPI_result_code_string(SPI_result));
	seen = history_fingerprint(plan, target_schema, GetTransactionSnapshot());
	latest = history_fingerprint(plan, target_schema, GetLatestSnapshot());
	SPI_freeplan(plan);
	restore_user(&sw);

	if (strcmp(seen, latest) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration of schema \"%s\"",
						target_schema),
				 errdetail("Another transaction changed the migration history after this transaction's snapshot was taken."),
				 errhint("Retry the transaction.")));
}

static int
history_row_name_cmp(const void *a, const void *b)
{
	return strcmp(((const HistoryRow *) a)->version.text,
				  ((const HistoryRow *) b)->version.text);
}

/*
 * Move the rows of repeatable migrations out of history->rows, whose
 * versions are not parsed yet, into history->repeatables, sorted by name.
 */
static void
split_repeatable_rows(History *history)
{
	int			kept = 0;
	int			n = 0;
	int			nrows PG_USED_FOR_ASSERTS_ONLY = history->nrows;

	for (int i = 0; i < history->nrows; i++)
		if (schemata_is_repeatable(history->rows[i].version.text))
			n++;
	history->nrepeatables = n;
	history->repeatables = palloc(sizeof(HistoryRow) * Max(n, 1));
	if (n == 0)
		return;
	n = 0;
	for (int i = 0; i < history->nrows; i++)
	{
		if (schemata_is_repeatable(history->rows[i].version.text))
			history->repeatables[n++] = history->rows[i];
		else
			history->rows[kept++] = history->rows[i];
	}
	history->nrows = kept;
	Assert(kept + n == nrows);
	qsort(history->repeatables, n, sizeof(HistoryRow), history_row_name_cmp);
}

/* The history row of a repeatable migration, by its version text, or NULL. */
const HistoryRow *
schemata_repeatable_row(const History *history, const char *key)
{
	HistoryRow	probe;

	if (history->nrepeatables == 0)
		return NULL;
	probe.version.text = (char *) key;
	return bsearch(&probe, history->repeatables, history->nrepeatables, sizeof(HistoryRow),
				   history_row_name_cmp);
}

static int
history_row_cmp(const void *a, const void *b)
{
	return schemata_version_cmp(&((const HistoryRow *) a)->version,
								&((const HistoryRow *) b)->version);
}

/*
 * Takes the rows of the history query, as schemata_select_as_owner()
 * fetches them, straight into HistoryRows (every column but checksum is NOT
 * NULL), without text output functions: reading a long history back as text
 * cost more than the query itself.  Memory is what remains costly, fresh
 * pages above all, so rows are collected in chunks and copied once into an
 * array of the right size, and their strings are packed end to end.  Versions are parsed once the query
 * is done (parse_history_versions), so that an invalid one is reported
 * without the query as CONTEXT.
 */
#define HISTORY_CHUNK_ROWS 1024
#define STRING_PACK_SIZE (64 * 1024)

typedef struct HistoryReceiver
{
	MemoryContext cxt;			/* of the History */
	int			nrows;
	List	   *chunks;			/* of HistoryRow[HISTORY_CHUNK_ROWS] */
	char	   *pack;			/* free space for strings */
	Size		pack_left;
} HistoryReceiver;

/* A copy of a text or name value in the receiver's string pack. */
static char *
pack_string(HistoryReceiver *receiver, const char *value, Size len)
{
	char	   *copy;

	if (len + 1 > receiver->pack_left)
	{
		receiver->pack_left = Max(len + 1, STRING_PACK_SIZE);
		receiver->pack = palloc(receiver->pack_left);
	}
	copy = receiver->pack;
	memcpy(copy, value, len);
	copy[len] = '\0';
	receiver->pack += len + 1;
	receiver->pack_left -= len + 1;
	return copy;
}

static char *
pack_text(HistoryReceiver *receiver, Datum value)
{
	text	   *t = DatumGetTextPP(value);

	return pack_string(receiver, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static void
receive_history_row(TupleTableSlot *slot, void *arg)
{
	HistoryReceiver *receiver = (HistoryReceiver *) arg;
	MemoryContext outer = MemoryContextSwitchTo(receiver->cxt);
	Datum	   *values = slot->tts_values;
	const char *applied_by;
	HistoryRow *row;

	slot_getallattrs(slot);
	if (receiver->nrows % HISTORY_CHUNK_ROWS == 0)
		receiver->chunks = lappend(receiver->chunks,
								   palloc(sizeof(HistoryRow) * HISTORY_CHUNK_ROWS));
	row = (HistoryRow *) llast(receiver->chunks) + receiver->nrows % HISTORY_CHUNK_ROWS;
	receiver->nrows++;

	memset(row, 0, sizeof(HistoryRow));
	row->version.text = pack_text(receiver, values[0]);
	row->name = pack_text(receiver, values[1]);
	row->checksum = slot->tts_isnull[2] ? NULL : pack_text(receiver, values[2]);
	row->batch = DatumGetInt32(values[3]);
	row->applied_at = DatumGetTimestampTz(values[4]);
	applied_by = NameStr(*DatumGetName(values[5]));
	row->applied_by = pack_string(receiver, applied_by, strlen(applied_by));
	row->duration_ms = DatumGetFloat8(values[6]);
	MemoryContextSwitchTo(outer);
}

/* The received rows, as one array. */
static HistoryRow *
collected_rows(HistoryReceiver *receiver)
{
	HistoryRow *rows = palloc(sizeof(HistoryRow) * Max(receiver->nrows, 1));
	ListCell   *lc;

	foreach(lc, receiver->chunks)
	{
		int			first = foreach_current_index(lc) * HISTORY_CHUNK_ROWS;

		memcpy(rows + first, lfirst(lc),
			   sizeof(HistoryRow) * Min(HISTORY_CHUNK_ROWS, receiver->nrows - first));
	}
	list_free_deep(receiver->chunks);
	return rows;
}

/*
 * Turn the version text each row holds so far into its MigrationVersion;
 * note the highest batch.
 */
static void
parse_history_versions(const char *target_schema, History *history)
{
	for (int i = 0; i < history->nrows; i++)
	{
		HistoryRow *row = &history->rows[i];
		char	   *text = row->version.text;

		if (!schemata_version_from_text(text, &row->version))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("history of schema \"%s\" holds the invalid version \"%s\"",
							target_schema, text)));
		history->max_batch = Max(history->max_batch, row->batch);
	}
}

/* Rows fetched from the cursor of schemata_select_as_owner() at a time. */
#define SELECT_FETCH_ROWS 1024

/*
 * Run a query about one target schema ($1, a name) as the extension owner,
 * through a cursor fetched SELECT_FETCH_ROWS rows at a time, each row handed
 * to row(slot, arg), in the caller's memory context; only one batch is held at once.
 * The cursor's snapshot stays registered until it is closed, so row()
 * may detoast values.  Not read-only, so that in READ COMMITTED the query
 * takes a new snapshot.  Returns the number of rows; CurrentMemoryContext is
 * the caller's again.  (A cursor: schemata_spi_execute() would hold every
 * row at once.)  (A DestReceiver of its own that took the rows from the
 * executor was 1.14 x faster on a no-op apply() with 10,000 applied, 1.03 x
 * on status(), 1.05 x on plan(): bench/results/fastpaths.txt.)
 */
uint64
schemata_select_as_owner(const char *sql, const char *target_schema,
						 OwnerRowCallback row, void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtype = NAMEOID;
	Datum		schema = DirectFunctionCall1(namein, CStringGetDatum(target_schema));
	TupleTableSlot *slot = NULL;
	uint64		total = 0;
	Portal		portal;
	OwnerSwitch sw;

	become_owner(&sw);
	portal = SPI_cursor_open_with_args(NULL, sql, 1, &argtype, &schema, NULL, false,
									   CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPITupleTable *batch;
		uint64		nrows;

		SPI_cursor_fetch(portal, true, SELECT_FETCH_ROWS);
		batch = SPI_tuptable;
		nrows = SPI_processed;
		if (nrows == 0)
			break;
		total += nrows;
		MemoryContextSwitchTo(cxt);
		if (slot == NULL)
			slot = MakeSingleTupleTableSlot(batch->tupdesc, &TTSOpsHeapTuple);
		for (uint64 i = 0; i < nrows; i++)
		{
			ExecStoreHeapTuple(batch->vals[i], slot, false);
			row(slot, arg);
			MemoryContextSwitchTo(cxt);
		}
		SPI_freetuptable(batch);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	restore_user(&sw);
	if (slot != NULL)
		ExecDropSingleTupleTableSlot(slot);
	MemoryContextSwitchTo(cxt);
	return total;
}

/*
 * All history rows of a target schema, sorted by version, in the current
 * memory context.  The query is not read-only so that, in READ COMMITTED, it
 * takes a new snapshot: one taken after the lock was granted.
 */
History *
schemata_load_history(const char *target_schema)
{
	MemoryContext cxt = CurrentMemoryContext;
	History    *history = palloc0(sizeof(History));
	HistoryReceiver receiver;

	receiver.cxt = cxt;
	receiver.nrows = 0;
	receiver.chunks = NIL;
	receiver.pack = NULL;
	receiver.pack_left = 0;

	(void) schemata_select_as_owner("SELECT version, name, checksum, batch, applied_at, applied_by, duration_ms"
									" FROM schemata.migrations WHERE target_schema OPERATOR(pg_catalog.=) $1",
									target_schema, receive_history_row, &receiver);

	history->nrows = receiver.nrows;
	history->rows = collected_rows(&receiver);

	split_repeatable_rows(history);
	parse_history_versions(target_schema, history);
	if (history->nrows > 1)
		qsort(history->rows, history->nrows, sizeof(HistoryRow), history_row_cmp);
	for (int i = 0; i < history->nrows; i++)
		if (history->rows[i].batch == SCHEMATA_BASELINE_BATCH)
			history->baseline = &history->rows[i].version;
	return history;
}

/*
 * Whether a file that has no history row counts as applied because a
 * baseline at or above its version adopted the database: baseline() without
 * a directory records only the version it was given.
 */
bool
schemata_covered_by_baseline(const History *history, const MigrationFile *file)
{
	return history->baseline != NULL &&
		schemata_version_cmp(&file->version, history->baseline) <= 0;
}

/* The applied migration with the highest version, or NULL. */
const HistoryRow *
schemata_history_latest(const History *history)
{
	return history->nrows > 0 ? &history->rows[history->nrows - 1] : NULL;
}

/*
 * Run one statement with parameters as the extension owner, as
 * schemata_spi_execute() does: it must return "expected".  Returns
 * SPI_processed; CurrentMemoryContext is the caller's again.
 */
uint64
schemata_execute_as_owner(const char *sql, int nargs, Oid *argtypes, Datum *args,
						  const char *nulls, bool read_only, int expected)
{
	OwnerSwitch sw;
	uint64		processed;

	become_owner(&sw);
	processed = schemata_spi_execute(sql, nargs, argtypes, args, nulls, read_only, expected);
	restore_user(&sw);
	return processed;
}

/*
 * History rows are inserted in batches, by one INSERT ... SELECT FROM
 * unnest() of up to HISTORY_QUEUE_ROWS rows or HISTORY_QUEUE_BYTES of text:
 * apply() runs all its migrations in one transaction, and one INSERT per
 * migration, even prepared, cost a tenth of applying thousands of small
 * ones.  Callers flush the queue before their transaction commits: apply()
 * at its end, migrate() after each migration.  Inserted as the owner, who
 * alone may write the table.  Measured (bench/fastpath.sh,
 * bench/results/fastpaths.txt; 2026-12-06, on 9354606, a machine under
 * load): apply() of 2,000 migrations, 5 runs each, a build inserting each
 * row at once (HISTORY_QUEUE_ROWS 1) against this one: median 2.43 s
 * against 2.23 s of backend CPU, 1.16 x paired (wall 1.24 x).  Under the
 * 1.3 x that keeps a fast path, but kept: without the queue a migration
 * would see the history rows of the earlier migrations of its own call,
 * which the README documents it does not.
 */
#define HISTORY_QUEUE_ROWS 1024
#define HISTORY_QUEUE_BYTES (1024 * 1024)

struct HistoryQueue
{
	const char *target_schema;
	MemoryContext strings;		/* of the queued rows, reset by each flush */
	int			n;
	Size		bytes;
	char	   *version[HISTORY_QUEUE_ROWS];
	char	   *name[HISTORY_QUEUE_ROWS];
	char	   *checksum[HISTORY_QUEUE_ROWS];	/* may be NULL */
	char	   *down_sql[HISTORY_QUEUE_ROWS];	/* may be NULL */
	Datum		batch[HISTORY_QUEUE_ROWS];	/* int4 */
	Datum		duration_ms[HISTORY_QUEUE_ROWS];	/* float8 */
};

/* An empty queue of history rows for a target schema, in the current context. */
HistoryQueue *
schemata_history_queue(const char *target_schema)
{
	HistoryQueue *queue = palloc0(sizeof(HistoryQueue));

	queue->target_schema = pstrdup(target_schema);
	queue->strings = AllocSetContextCreate(CurrentMemoryContext, "schemata history queue",
										   ALLOCSET_DEFAULT_SIZES);
	return queue;
}

/* Insert the queued rows, and empty the queue. */
void
schemata_flush_history(HistoryQueue *queue)
{
	Oid			argtypes[8] = {NAMEOID, NAMEOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID};
	Datum		args[8];
	MemoryContext outer;

	if (queue->n == 0)
		return;
	outer = MemoryContextSwitchTo(queue->strings);
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(queue->target_schema));
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	args[2] = schemata_text_array((const char *const *) queue->version, queue->n);
	args[3] = schemata_text_array((const char *const *) queue->name, queue->n);
	args[4] = schemata_text_array((const char *const *) queue->checksum, queue->n);
	args[5] = schemata_text_array((const char *const *) queue->down_sql, queue->n);
	args[6] = schemata_datum_array(queue->batch, queue->n, INT4OID);
	args[7] = schemata_datum_array(queue->duration_ms, queue->n, FLOAT8OID);
	(void) schemata_execute_as_owner("INSERT INTO schemata.migrations"
									 " (target_schema, version, name, checksum, down_sql, batch, applied_by, duration_ms)"
									 " SELECT $1, r.version, r.name, r.checksum, r.down_sql, r.batch, $2, r.duration_ms"
									 " FROM unnest($3, $4, $5, $6, $7, $8)"
									 " AS r(version, name, checksum, down_sql, batch, duration_ms)",
									 8, argtypes, args, NULL, false, SPI_OK_INSERT);
	MemoryContextSwitchTo(outer);
	queue->n = 0;
	queue->bytes = 0;
	MemoryContextReset(queue->strings);
}

static char *
queued_string(HistoryQueue *queue, const char *value)
{
	if (value == NULL)
		return NULL;
	queue->bytes += strlen(value);
	return MemoryContextStrdup(queue->strings, value);
}

/* Queue one history row; checksum and down_sql may be NULL. */
static void
queue_history_row(HistoryQueue *queue, const char *version, const char *name,
				  const char *checksum, const char *down_sql, int batch, double duration_ms)
{
	int			i = queue->n++;

	queue->version[i] = queued_string(queue, version);
	queue->name[i] = queued_string(queue, name);
	queue->checksum[i] = queued_string(queue, checksum);
	queue->down_sql[i] = queued_string(queue, down_sql);
	queue->batch[i] = Int32GetDatum(batch);
	queue->duration_ms[i] = Float8GetDatum(duration_ms);
	if (queue->n == HISTORY_QUEUE_ROWS || queue->bytes >= HISTORY_QUEUE_BYTES)
		schemata_flush_history(queue);
}

/* Record one applied migration (inserted at the latest by the next flush). */
void
schemata_queue_migration(HistoryQueue *queue, const MigrationFile *file,
						 const MigrationScripts *scripts, int batch, double duration_ms)
{
	/* apply's batches count from max + 1: never the baseline's */
	Assert(batch > SCHEMATA_BASELINE_BATCH);
	queue_history_row(queue, file->version.text, file->name, scripts->up.checksum,
					  scripts->has_down ? scripts->down.sql : NULL, batch, duration_ms);
}

/*
 * Record a migration as applied by baseline(), without running it: batch
 * SCHEMATA_BASELINE_BATCH, duration 0.  checksum and down_sql may be NULL.
 */
void
schemata_queue_baseline(HistoryQueue *queue, const char *version, const char *name,
						const char *checksum, const char *down_sql)
{
	queue_history_row(queue, version, name, checksum, down_sql, SCHEMATA_BASELINE_BATCH, 0.0);
}

/* The parameters ($1, $2) that select one history row. */
static void
row_key(const char *target_schema, const HistoryRow *row, Oid *argtypes, Datum *args)
{
	argtypes[0] = NAMEOID;
	argtypes[1] = TEXTOID;
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(target_schema));
	args[1] = CStringGetTextDatum(row->version.text);
}

#define ROW_KEY_CONDITION \
	" WHERE target_schema OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.=) $2"

/*
 * Run a statement on one history row, $1 and $2 its key, as the extension
 * owner; it must find the row.  Not read-only, for the reason given at
 * schemata_load_history(): the row may have been inserted by an apply that
 * committed while this call waited for the lock.
 */
static void
execute_on_row(const char *sql, const char *target_schema, const HistoryRow *row,
			   int expected_rc)
{
	Oid			argtypes[2];
	Datum		args[2];

	row_key(target_schema, row, argtypes, args);
	if (schemata_execute_as_owner(sql, 2, argtypes, args, NULL, false, expected_rc) != 1)
		elog(ERROR, "could not find the history row of migration \"%s\"", row->name);
}

/*
 * The down script recorded for a history row, in the current memory
 * context, or NULL when it has none.
 */
char *
schemata_load_down_sql(const char *target_schema, const HistoryRow *row)
{
	char	   *down_sql;

	execute_on_row("SELECT down_sql FROM schemata.migrations" ROW_KEY_CONDITION,
				   target_schema, row, SPI_OK_SELECT);
	down_sql = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	return down_sql;
}

/* Delete the history row of a migration that has been rolled back. */
void
schemata_delete_migration(const char *target_schema, const HistoryRow *row)
{
	execute_on_row("DELETE FROM schemata.migrations" ROW_KEY_CONDITION,
				   target_schema, row, SPI_OK_DELETE);
}

/* A text parameter, or a NULL one. */
static void
text_param(const char *value, Datum *arg, char *null)
{
	if (value != NULL)
		*arg = CStringGetTextDatum(value);
	else
		*null = 'n';
}

/*
 * Re-record the name, checksum and down script of an applied migration.
 * Returns whether anything differed from what was recorded.
 */
bool
schemata_update_recorded(const char *target_schema, const HistoryRow *row, const char *name,
						 const char *checksum, const char *down_sql)
{
	Oid			argtypes[5];
	Datum		args[5];
	char		nulls[5] = "     ";

	if (strcmp(name, row->name) == 0 && schemata_same_text(checksum, row->checksum) &&
		schemata_same_text(down_sql, schemata_load_down_sql(target_schema, row)))
		return false;

	row_key(target_schema, row, argtypes, args);
	argtypes[2] = argtypes[3] = argtypes[4] = TEXTOID;
	args[2] = CStringGetTextDatum(name);
	text_param(checksum, &args[3], &nulls[3]);
	text_param(down_sql, &args[4], &nulls[4]);
	if (schemata_execute_as_owner("UPDATE schemata.migrations SET name = $3, checksum = $4, down_sql = $5"
								  ROW_KEY_CONDITION,
								  5, argtypes, args, nulls, false, SPI_OK_UPDATE) != 1)
		elog(ERROR, "could not update the history row of migration \"%s\"", row->name);
	return true;
}
