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
 * schemata.cache_checksums off, every file is read.
 *
 * Writes.  apply() and migrate() record the stamps of the files they read, as
 * the extension's owner, under the target schema's advisory lock (the key
 * begins with the target schema, so no two writers meet), and only in READ
 * COMMITTED and in a read-write transaction outside recovery: elsewhere they
 * would turn a harmless race into a serialization failure, or fail.  plan()
 * and status() only read.  The table is not dumped: after a restore, files
 * are read again and the cache fills anew.
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
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "schemata.h"

/* How old a stamp's times must be before it is recorded: two seconds. */
#define SCHEMATA_STAMP_SETTLE_NS INT64CONST(2000000000)

/* Offered stamps are recorded in statements of at most this many rows. */
#define OFFERED_BATCH 1024

typedef struct CachedChecksum
{
	const char *file;			/* key: path relative to the directory */
	uint32		hash;
	char		status;
	FileStamp	stamp;
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];
} CachedChecksum;

#define SH_PREFIX checksum_table
#define SH_ELEMENT_TYPE CachedChecksum
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

/* Stamps read from files since the cache was loaded, to be recorded. */
typedef struct OfferedChecksums
{
	int			n;				/* at most OFFERED_BATCH */
	const char **files;
	FileStamp  *stamps;
	char	  **checksums;
	MemoryContext strings;		/* of files and checksums */
} OfferedChecksums;

typedef struct ChecksumCache
{
	MemoryContext cxt;			/* of the MigrationDir */
	const char *target_schema;
	const char *dir;			/* the directory's path */
	Size		dir_len;
	bool		record;			/* the caller records offered stamps */
	checksum_table_hash *recorded;
	OfferedChecksums offered;
} ChecksumCache;

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

/* Receives the recorded rows of the cache query into the hash table. */
typedef struct CacheReceiver
{
	DestReceiver pub;
	ChecksumCache *cache;
} CacheReceiver;

static bool
receive_cached_row(TupleTableSlot *slot, DestReceiver *self)
{
	ChecksumCache *cache = ((CacheReceiver *) self)->cache;
	MemoryContext outer = MemoryContextSwitchTo(cache->cxt);
	Datum	   *values = slot->tts_values;
	text	   *dir;
	text	   *checksum;
	CachedChecksum *entry;
	bool		found;

	slot_getallattrs(slot);
	dir = DatumGetTextPP(values[0]);
	checksum = DatumGetTextPP(values[7]);
	if (VARSIZE_ANY_EXHDR(dir) == cache->dir_len &&
		memcmp(VARDATA_ANY(dir), cache->dir, cache->dir_len) == 0 &&
		VARSIZE_ANY_EXHDR(checksum) == SCHEMATA_CHECKSUM_LEN)
	{
		entry = checksum_table_insert(cache->recorded, TextDatumGetCString(values[1]), &found);
		entry->stamp.device = DatumGetInt64(values[2]);
		entry->stamp.inode = DatumGetInt64(values[3]);
		entry->stamp.size = DatumGetInt64(values[4]);
		entry->stamp.mtime_ns = DatumGetInt64(values[5]);
		entry->stamp.ctime_ns = DatumGetInt64(values[6]);
		memcpy(entry->checksum, VARDATA_ANY(checksum), SCHEMATA_CHECKSUM_LEN);
		entry->checksum[SCHEMATA_CHECKSUM_LEN] = '\0';
	}
	MemoryContextSwitchTo(outer);
	return true;
}

/*
 * Give dir the recorded checksums of its files for target_schema, in the
 * current memory context (which must be dir's).  With record, the caller
 * holds the target schema's lock and records what is offered: the stamps of
 * files read are kept, and recorded by schemata_save_checksums() or once
 * OFFERED_BATCH have been offered.  Does nothing with
 * schemata.cache_checksums off.
 */
void
schemata_load_checksums(MigrationDir *dir, const char *target_schema, bool record)
{
	ChecksumCache *cache;
	CacheReceiver receiver;
	int			rc;

	if (!schemata_cache_checksums)
		return;
	cache = palloc0(sizeof(ChecksumCache));
	cache->cxt = CurrentMemoryContext;
	cache->target_schema = pstrdup(target_schema);
	cache->record = record;
	cache->recorded = checksum_table_create(cache->cxt, Max(dir->nfiles, 16), NULL);

	cache->dir = dir->path;
	cache->dir_len = strlen(dir->path);
	receiver.cache = cache;
	/*
	 * The rows of the target schema, the directory picked out as they
	 * arrive: with both in the condition, a table without statistics yet
	 * (just filled by the first apply) is read by a slower plain index scan.
	 */
	rc = schemata_select_as_owner("SELECT dir, file, device, inode, size, mtime_ns, ctime_ns, checksum"
								  " FROM schemata.file_checksums"
								  " WHERE target_schema OPERATOR(pg_catalog.=) $1",
								  target_schema, &receiver.pub, receive_cached_row);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read checksum cache: %s", SPI_result_code_string(rc));
	dir->checksums = cache;
}

/*
 * The recorded checksum of dir/relpath into checksum, if its stamp is the
 * one recorded with it.
 */
bool
schemata_cached_checksum(const MigrationDir *dir, const char *relpath, char *checksum)
{
	ChecksumCache *cache = dir->checksums;
	CachedChecksum *entry;
	FileStamp	stamp;

	if (cache == NULL ||
		(entry = checksum_table_lookup(cache->recorded, relpath)) == NULL ||
		!schemata_stat_file(dir, relpath, &stamp) ||
		!same_stamp(&stamp, &entry->stamp))
		return false;
	memcpy(checksum, entry->checksum, SCHEMATA_CHECKSUM_LEN + 1);
	return true;
}

/* Whether this transaction may record stamps; see the head comment. */
static bool
may_record(void)
{
	return !XactReadOnly && !RecoveryInProgress() && !IsolationUsesXactSnapshot();
}

static void
append_offered(ChecksumCache *cache, const char *relpath, const FileStamp *stamp,
			   const char *checksum)
{
	OfferedChecksums *offered = &cache->offered;
	MemoryContext outer = MemoryContextSwitchTo(cache->cxt);

	if (offered->files == NULL)
	{
		offered->files = palloc(sizeof(char *) * OFFERED_BATCH);
		offered->stamps = palloc(sizeof(FileStamp) * OFFERED_BATCH);
		offered->checksums = palloc(sizeof(char *) * OFFERED_BATCH);
		offered->strings = AllocSetContextCreate(cache->cxt, "schemata offered checksums",
												 ALLOCSET_SMALL_SIZES);
	}
	MemoryContextSwitchTo(offered->strings);
	offered->files[offered->n] = pstrdup(relpath);
	offered->stamps[offered->n] = *stamp;
	offered->checksums[offered->n] = pstrdup(checksum);
	offered->n++;
	MemoryContextSwitchTo(outer);
}

/*
 * dir/relpath, as read when its stat data were *stamp, has this checksum:
 * keep it for schemata_save_checksums(), unless it is recorded already or
 * the stamp is too recent to be trusted.
 */
void
schemata_offer_checksum(const MigrationDir *dir, const char *relpath, const FileStamp *stamp,
						const char *checksum)
{
	ChecksumCache *cache = dir->checksums;
	CachedChecksum *entry;

	if (cache == NULL || !cache->record || !may_record() || stamp_is_recent(stamp))
		return;
	entry = checksum_table_lookup(cache->recorded, relpath);
	if (entry != NULL && same_stamp(&entry->stamp, stamp) &&
		strcmp(entry->checksum, checksum) == 0)
		return;
	append_offered(cache, relpath, stamp, checksum);
	if (cache->offered.n >= OFFERED_BATCH)
		schemata_save_checksums(dir);
}

/* One column of the offered stamps as an int8[]. */
static Datum
stamp_column(const OfferedChecksums *offered, Size offset)
{
	Datum	   *values = palloc(sizeof(Datum) * offered->n);

	for (int i = 0; i < offered->n; i++)
		values[i] = Int64GetDatum(*(const int64 *) ((const char *) &offered->stamps[i] + offset));
	return schemata_datum_array(values, offered->n, INT8OID);
}

/*
 * Record the offered stamps of dir's files, in one statement (the latest
 * offer of a file wins), and forget them.  The caller holds the target
 * schema's advisory lock.
 */
void
schemata_save_checksums(const MigrationDir *dir)
{
	ChecksumCache *cache = dir->checksums;
	OfferedChecksums *offered;
	MemoryContext work;
	MemoryContext outer;
	Oid			argtypes[9] = {NAMEOID, TEXTOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		args[9];
	int			rc;

	if (cache == NULL || cache->offered.n == 0)
		return;
	offered = &cache->offered;
	work = AllocSetContextCreate(CurrentMemoryContext, "schemata checksum record",
								 ALLOCSET_DEFAULT_SIZES);
	outer = MemoryContextSwitchTo(work);
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(cache->target_schema));
	args[1] = CStringGetTextDatum(dir->path);
	args[2] = schemata_text_array(offered->files, offered->n);
	args[3] = stamp_column(offered, offsetof(FileStamp, device));
	args[4] = stamp_column(offered, offsetof(FileStamp, inode));
	args[5] = stamp_column(offered, offsetof(FileStamp, size));
	args[6] = stamp_column(offered, offsetof(FileStamp, mtime_ns));
	args[7] = stamp_column(offered, offsetof(FileStamp, ctime_ns));
	args[8] = schemata_text_array((const char *const *) offered->checksums, offered->n);
	rc = schemata_execute_as_owner("INSERT INTO schemata.file_checksums AS c"
								   " (target_schema, dir, file, device, inode, size, mtime_ns, ctime_ns, checksum)"
								   " SELECT DISTINCT ON (f.file) $1, $2, f.file, f.device, f.inode,"
								   " f.size, f.mtime_ns, f.ctime_ns, f.checksum"
								   " FROM unnest($3, $4, $5, $6, $7, $8, $9) WITH ORDINALITY"
								   " AS f(file, device, inode, size, mtime_ns, ctime_ns, checksum, n)"
								   " ORDER BY f.file, f.n DESC"
								   " ON CONFLICT (target_schema, dir, file) DO UPDATE"
								   " SET device = excluded.device, inode = excluded.inode,"
								   " size = excluded.size, mtime_ns = excluded.mtime_ns,"
								   " ctime_ns = excluded.ctime_ns, checksum = excluded.checksum",
								   9, argtypes, args, NULL, false);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not record checksums: %s", SPI_result_code_string(rc));
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(work);
	offered->n = 0;
	MemoryContextReset(offered->strings);
}
