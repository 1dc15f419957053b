/*-------------------------------------------------------------------------
 *
 * checksums.c
 *	  The checksum cache: for each migration file of a directory that a target
 *	  schema's apply() has read, its stat data and the checksum of its up
 *	  script, in the table schemata.file_checksums.
 *
 * Checking applied migrations for drift means the checksum of every applied
 * file on every apply(), status() and plan().  Reading and scanning ten
 * thousand small files costs about ten times what a stat() of each does, so
 * a file whose stat data (device, inode, size, mtime, ctime) are those
 * recorded with its checksum is taken to hold what it held then, as git's
 * index does.  Any write to a file sets its ctime to the current time, and
 * no user can set it back; a stamp is recorded only once its ctime and mtime
 * are SCHEMATA_STAMP_SETTLE_NS old, so that a second change within the
 * timestamp granularity of the file system cannot go unseen.  With
 * schemata.cache_checksums off, every file is read.  Measured
 * (bench/fastpath.sh, bench/results/fastpaths.txt; 2026-12-06, on 9354606,
 * a machine under load): with 10,000 migrations applied, 5 runs of 5 calls
 * each with the cache and with it off, ms per call, medians: no-op apply()
 * 184 against 583 (3.14 x paired), status() 347 against 689 (1.99 x),
 * plan() 210 against 506 (2.43 x).
 *
 * Writes.  apply() and migrate() record the stamps of the files they read, as
 * the extension's owner, under the target schema's advisory lock (the key
 * begins with the target schema, so no two writers meet), and only in READ
 * COMMITTED and in a read-write transaction outside recovery: elsewhere they
 * would turn a harmless race into a serialization failure, or fail.  plan()
 * and status() only read; so does an apply() that a migration calls, as the
 * guard of the table refuses every change while a migration runs (see
 * runner.c).  The table is not dumped: after a restore, files
 * are read again and the cache fills anew.
 *
 * Layout.  One row per target schema and directory, its files in parallel
 * arrays: one row of arrays is read in half the time ten thousand rows took.
 * In memory, the cache is an array beside the directory's files, with no
 * hash table to build.  A save rewrites the row with the files of the
 * directory as scanned now, in its order (so files gone from it drop out,
 * and the next load finds each file where the previous one ended); apply()
 * saves once, at its end, and migrate() after its plan, every SAVE_BATCH
 * changes and at its end, not after each migration.
 *
 * Guard.  While a migration runs, the statement trigger checksums_guard
 * refuses every change to the table (schemata_checksums_guard() in
 * functions.c), as history_guard does for the history: a migration that
 * wrote stamps of its own could make a changed file pass for an unchanged
 * one.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/checksums.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "migration.h"

/* How old a stamp's times must be before it is recorded: two seconds. */
#define SCHEMATA_STAMP_SETTLE_NS INT64CONST(2000000000)

/* migrate() saves the cache once this many files have changed, or at its end. */
#define SAVE_BATCH 1024

/*
 * What is recorded of one file of the directory.  The checksum points into
 * the loaded row, or to a copy of what was offered: SCHEMATA_CHECKSUM_LEN
 * hex digits, not terminated.
 */
typedef struct CachedChecksum
{
	FileStamp	stamp;
	const char *checksum;		/* NULL: nothing recorded */
} CachedChecksum;

/* A directory's files by name: where a cache row's order is not the directory's. */
typedef struct FileIndexEntry
{
	const char *file;			/* key: up_file of the migration */
	uint32		hash;
	char		status;
	int			index;			/* in MigrationDir.files */
} FileIndexEntry;

#define SH_PREFIX file_index
#define SH_ELEMENT_TYPE FileIndexEntry
#define SH_KEY_TYPE const char *
#define SH_KEY file
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct ChecksumCache
{
	MemoryContext cxt;			/* of the MigrationDir */
	const char *target_schema;
	const char *dir;			/* the directory's path */
	Size		dir_len;
	bool		record;			/* the caller records offered stamps */
	CachedChecksum *files;		/* one per MigrationDir.files */
	int			changed;		/* offered since the last save */
} ChecksumCache;

/* The columns of a cache row, in the order of the query and the table. */
enum
{
	COL_DIR,
	COL_FILES,
	COL_DEVICES,
	COL_INODES,
	COL_SIZES,
	COL_MTIMES,
	COL_CTIMES,
	COL_CHECKSUMS
};

/* Whether two stamps are those of one file, unchanged. */
static bool
same_stamp(const FileStamp *a, const FileStamp *b)
{
	return a->device == b->device && a->inode == b->inode && a->size == b->size &&
		a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Whether a stamp's file may still change without its stamp changing. */
static bool
stamp_is_recent(const FileStamp *stamp)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		now_ns;

	/* TimestampTz counts microseconds from 2000-01-01 */
	now_ns = (now + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY) * 1000;
	return Max(stamp->mtime_ns, stamp->ctime_ns) > now_ns - SCHEMATA_STAMP_SETTLE_NS;
}

/* Whether the stat data of dir/relpath are still *stamp. */
static bool
file_unchanged(const MigrationDir *dir, const char *relpath, const FileStamp *stamp)
{
	FileStamp	now;

	return schemata_stat_file(dir, relpath, &now) && same_stamp(&now, stamp);
}

/* Whether an array is one-dimensional, of n elements of elemtype, none NULL. */
static bool
is_plain_array(ArrayType *array, Oid elemtype, int n)
{
	return ARR_ELEMTYPE(array) == elemtype && !ARR_HASNULL(array) &&
		ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array)) == n &&
		(n == 0 || ARR_NDIM(array) == 1);
}

/* The elements of a text[] as Datums, pointing into it. */
static Datum *
text_elements(ArrayType *array)
{
	Datum	   *elements;
	int			n;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, NULL, &n);
	return elements;
}

/* Whether a text Datum holds the string s. */
static bool
text_equals(Datum value, const char *s)
{
	text	   *t = (text *) DatumGetPointer(value);
	Size		len = VARSIZE_ANY_EXHDR(t);

	return strncmp(VARDATA_ANY(t), s, len) == 0 && s[len] == '\0';
}

/* The index in dir->files of the migration whose up script is file, or -1. */
static int
find_file(const MigrationDir *dir, file_index_hash **index, Datum file)
{
	char	   *name = TextDatumGetCString(file);
	FileIndexEntry *entry;

	if (*index == NULL)
	{
		bool		found;

		*index = file_index_create(CurrentMemoryContext, Max(dir->nfiles, 16), NULL);
		for (int i = 0; i < dir->nfiles; i++)
			file_index_insert(*index, dir->files[i].up_file, &found)->index = i;
	}
	entry = file_index_lookup(*index, name);
	pfree(name);
	return entry != NULL ? entry->index : -1;
}

/*
 * Enter the files of a cache row; what is detoasted for it is allocated in
 * the current memory context, but for the checksums, which the entries point
 * into.  A row is written in the order of the directory, so each file is
 * looked for where the previous one ended; only when the directory changed
 * are the others looked up by name.  A row whose arrays are not all plain
 * and of one length is ignored, and so is an entry whose checksum has not
 * the length of one: those files are read.
 */
static void
enter_cached_files(const MigrationDir *dir, ChecksumCache *cache, Datum *values)
{
	ArrayType  *files = DatumGetArrayTypeP(values[COL_FILES]);
	ArrayType  *checksums;
	int			n = ArrayGetNItems(ARR_NDIM(files), ARR_DIMS(files));
	const int64 *stamps[5];		/* device, inode, size, mtime_ns, ctime_ns */
	Datum	   *file_elems;
	Datum	   *checksum_elems;
	file_index_hash *index = NULL;
	int			next = 0;
	MemoryContext row_cxt = MemoryContextSwitchTo(cache->cxt);

	/* a copy even of a row short enough to be read in place */
	checksums = DatumGetArrayTypePCopy(values[COL_CHECKSUMS]);
	MemoryContextSwitchTo(row_cxt);
	if (!is_plain_array(files, TEXTOID, n) || !is_plain_array(checksums, TEXTOID, n))
		return;
	for (int c = 0; c < 5; c++)
	{
		ArrayType  *column = DatumGetArrayTypeP(values[COL_DEVICES + c]);

		if (!is_plain_array(column, INT8OID, n))
			return;
		stamps[c] = (const int64 *) ARR_DATA_PTR(column);
	}
	file_elems = text_elements(files);
	checksum_elems = text_elements(checksums);
	for (int j = 0; j < n; j++)
	{
		text	   *checksum = (text *) DatumGetPointer(checksum_elems[j]);
		CachedChecksum *entry;
		int			i = next;

		if (i >= dir->nfiles || !text_equals(file_elems[j], dir->files[i].up_file))
			i = find_file(dir, &index, file_elems[j]);
		if (i < 0)
			continue;
		next = i + 1;
		if (VARSIZE_ANY_EXHDR(checksum) != SCHEMATA_CHECKSUM_LEN)
			continue;
		entry = &cache->files[i];
		entry->stamp.device = stamps[0][j];
		entry->stamp.inode = stamps[1][j];
		entry->stamp.size = stamps[2][j];
		entry->stamp.mtime_ns = stamps[3][j];
		entry->stamp.ctime_ns = stamps[4][j];
		entry->checksum = VARDATA_ANY(checksum);
	}
}

/* Receives the cache rows of the target schema; enters that of the directory. */
typedef struct CacheReceiver
{
	const MigrationDir *dir;
	ChecksumCache *cache;
} CacheReceiver;

static void
receive_cache_row(TupleTableSlot *slot, void *arg)
{
	CacheReceiver *receiver = (CacheReceiver *) arg;
	ChecksumCache *cache = receiver->cache;
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata checksum row",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext outer = MemoryContextSwitchTo(work);
	text	   *dir;

	slot_getallattrs(slot);
	dir = DatumGetTextPP(slot->tts_values[COL_DIR]);
	if (VARSIZE_ANY_EXHDR(dir) == cache->dir_len &&
		memcmp(VARDATA_ANY(dir), cache->dir, cache->dir_len) == 0)
		enter_cached_files(receiver->dir, cache, slot->tts_values);
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(work);
}

/*
 * Give dir the recorded checksums of its files for target_schema, in the
 * current memory context (which must be dir's).  With record, the caller
 * holds the target schema's lock and records what is offered, with
 * schemata_save_checksums().  Does nothing with schemata.cache_checksums off.
 */
void
schemata_load_checksums(MigrationDir *dir, const char *target_schema, bool record)
{
	ChecksumCache *cache;
	CacheReceiver receiver;

	if (!schemata_cache_checksums)
		return;
	cache = palloc0(sizeof(ChecksumCache));
	cache->cxt = CurrentMemoryContext;
	cache->target_schema = pstrdup(target_schema);
	cache->record = record;
	cache->files = palloc0(sizeof(CachedChecksum) * Max(dir->nfiles, 1));

	cache->dir = dir->path;
	cache->dir_len = strlen(dir->path);
	receiver.dir = dir;
	receiver.cache = cache;
	/* the arrays are detoasted as the row arrives, while the cursor is open */
	(void) schemata_select_as_owner("SELECT dir, files, devices, inodes, sizes, mtimes_ns, ctimes_ns, checksums"
									" FROM schemata.file_checksums"
									" WHERE target_schema OPERATOR(pg_catalog.=) $1",
									target_schema, receive_cache_row, &receiver);
	dir->checksums = cache;
}

/*
 * The recorded checksum of a migration's up script into checksum, if the
 * file's stamp is the one recorded with it.
 */
static bool
cached_checksum(const MigrationDir *dir, const MigrationFile *file, char *checksum)
{
	ChecksumCache *cache = dir->checksums;
	const CachedChecksum *entry;

	if (cache == NULL || schemata_file_is_repeatable(dir, file))
		return false;
	/* one entry per versioned file of dir, in its order */
	Assert(file >= dir->files && file < dir->files + dir->nfiles);
	entry = &cache->files[file - dir->files];
	if (entry->checksum == NULL || !file_unchanged(dir, file->up_file, &entry->stamp))
		return false;
	memcpy(checksum, entry->checksum, SCHEMATA_CHECKSUM_LEN);
	checksum[SCHEMATA_CHECKSUM_LEN] = '\0';
	return true;
}

/* Whether this transaction may record stamps; see the head comment. */
static bool
may_record(void)
{
	return !XactReadOnly && !RecoveryInProgress() && !IsolationUsesXactSnapshot();
}

/*
 * A migration's up script, as read when its stat data were *stamp, has this
 * checksum: keep it for schemata_save_checksums(), unless it is recorded
 * already or the stamp is too recent to be trusted.
 */
void
schemata_offer_checksum(const MigrationDir *dir, const MigrationFile *file,
						const FileStamp *stamp, const char *checksum)
{
	ChecksumCache *cache = dir->checksums;
	CachedChecksum *entry;

	if (cache == NULL || !cache->record || !may_record() || stamp_is_recent(stamp) ||
		schemata_file_is_repeatable(dir, file))
		return;
	Assert(file >= dir->files && file < dir->files + dir->nfiles);
	entry = &cache->files[file - dir->files];
	if (entry->checksum != NULL && same_stamp(&entry->stamp, stamp) &&
		memcmp(entry->checksum, checksum, SCHEMATA_CHECKSUM_LEN) == 0)
		return;
	entry->stamp = *stamp;
	entry->checksum = MemoryContextStrdup(cache->cxt, checksum);
	cache->changed++;
}

/*
 * The checksum of a migration's up script as its files hold it now: from the
 * directory's checksum cache while the file is unchanged, else read and
 * scanned (and offered to the cache).
 */
void
schemata_migration_checksum(const MigrationDir *dir, const MigrationFile *file,
							char *checksum)
{
	MemoryContext work;
	MemoryContext outer;
	MigrationScripts scripts;

	if (cached_checksum(dir, file, checksum))
		return;
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata checksum",
								 ALLOCSET_DEFAULT_SIZES);
	outer = MemoryContextSwitchTo(work);
	schemata_read_migration(dir, file, &scripts);
	schemata_scan_script(&scripts.up);
	MemoryContextSwitchTo(outer);
	memcpy(checksum, scripts.up.checksum, SCHEMATA_CHECKSUM_LEN + 1);
	schemata_offer_checksum(dir, file, &scripts.up_stamp, checksum);
	MemoryContextDelete(work);
}

/* The cache's row of a directory, built for the INSERT of a save. */
typedef struct CacheRow
{
	int			n;
	const char **files;
	char	  **checksums;
	Datum	   *stamps[5];		/* device, inode, size, mtime_ns, ctime_ns */
} CacheRow;

/* The cached files that are in dir as scanned, in its order. */
static void
build_cache_row(const MigrationDir *dir, const ChecksumCache *cache, CacheRow *row)
{
	int			size = Max(dir->nfiles, 1);

	row->n = 0;
	row->files = palloc(sizeof(char *) * size);
	row->checksums = palloc(sizeof(char *) * size);
	for (int c = 0; c < 5; c++)
		row->stamps[c] = palloc(sizeof(Datum) * size);
	for (int i = 0; i < dir->nfiles; i++)
	{
		const CachedChecksum *entry = &cache->files[i];

		if (entry->checksum == NULL)
			continue;
		row->files[row->n] = dir->files[i].up_file;
		row->checksums[row->n] = pnstrdup(entry->checksum, SCHEMATA_CHECKSUM_LEN);
		row->stamps[0][row->n] = Int64GetDatum(entry->stamp.device);
		row->stamps[1][row->n] = Int64GetDatum(entry->stamp.inode);
		row->stamps[2][row->n] = Int64GetDatum(entry->stamp.size);
		row->stamps[3][row->n] = Int64GetDatum(entry->stamp.mtime_ns);
		row->stamps[4][row->n] = Int64GetDatum(entry->stamp.ctime_ns);
		row->n++;
	}
}

/*
 * Record the files offered since the last save, by rewriting dir's row: with
 * all, whenever any were; else once SAVE_BATCH were.  The caller holds the
 * target schema's advisory lock, and calls it only while no migration runs
 * (schemata_script_running(): the cache must not change under one).
 */
void
schemata_save_checksums(const MigrationDir *dir, bool all)
{
	ChecksumCache *cache = dir->checksums;
	MemoryContext work;
	MemoryContext outer;
	CacheRow	row;
	Oid			argtypes[9] = {NAMEOID, TEXTOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		args[9];

	if (cache == NULL || cache->changed == 0 || (!all && cache->changed < SAVE_BATCH))
		return;
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata checksum record",
								 ALLOCSET_DEFAULT_SIZES);
	outer = MemoryContextSwitchTo(work);
	build_cache_row(dir, cache, &row);
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(cache->target_schema));
	args[1] = CStringGetTextDatum(dir->path);
	args[2] = schemata_text_array(row.files, row.n);
	for (int c = 0; c < 5; c++)
		args[3 + c] = schemata_datum_array(row.stamps[c], row.n, INT8OID);
	args[8] = schemata_text_array((const char *const *) row.checksums, row.n);
	(void) schemata_execute_as_owner("INSERT INTO schemata.file_checksums"
									 " (target_schema, dir, files, devices, inodes, sizes, mtimes_ns, ctimes_ns, checksums)"
									 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
									 " ON CONFLICT (target_schema, dir) DO UPDATE"
									 " SET files = excluded.files, devices = excluded.devices,"
									 " inodes = excluded.inodes, sizes = excluded.sizes,"
									 " mtimes_ns = excluded.mtimes_ns, ctimes_ns = excluded.ctimes_ns,"
									 " checksums = excluded.checksums",
									 9, argtypes, args, NULL, false, SPI_OK_INSERT);
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(work);
	cache->changed = 0;
}
