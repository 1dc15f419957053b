/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The target lock: the advisory lock of a target schema that every call
 *	  changing its history takes first.
 *
 * Locking.  Every call that changes a target schema's history first takes
 * the advisory lock (SCHEMATA_LOCK_CLASS, key of the target schema), before
 * reading that history.  The key of a schema is the first four bytes of the
 * SHA-256 of its name in UTF-8, read as a big-endian int4, so an operator can compute
 * it in SQL (see README, "Locking").  apply() takes the transaction-level
 * form, so the lock is held until the caller's transaction ends; waits obey
 * lock_timeout.  migrate() takes the session-level form on the same key for
 * its whole call, across its commits, and releases it itself;
 * schemata_target_lock_held() tells whether this backend still holds it.
 *
 * The lock sits below the history (history.c), which it guards, and uses
 * only the SHA-256 (sha256.c).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/fmgrprotos.h"

#include "migration.h"

/* First key of every schemata advisory lock: "SCMA" in ASCII. */
#define SCHEMATA_LOCK_CLASS 0x53434D41

/*
 * The advisory lock key of a target schema (see the head comment).  The name
 * is hashed in UTF-8 whatever the database encoding, so that the key is the
 * same in every database and the README's pg_locks query finds it.
 */
static int32
target_lock_key(const char *target_schema)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int			len = strlen(target_schema);
	char	   *utf8 = pg_server_to_any(target_schema, len, PG_UTF8);

	if (utf8 != target_schema)
		len = strlen(utf8);
	schemata_sha256(utf8, len, digest);
	return (int32) (((uint32) digest[0] << 24) | ((uint32) digest[1] << 16) |
					((uint32) digest[2] << 8) | (uint32) digest[3]);
}

/*
 * Take the transaction-level advisory lock of a target schema, waiting for
 * other appliers of the same schema (subject to lock_timeout).
 */
void
schemata_lock_target(const char *target_schema)
{
	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(SCHEMATA_LOCK_CLASS),
						Int32GetDatum(target_lock_key(target_schema)));
}

/*
 * Take the session-level advisory lock of a target schema (migrate()), on the
 * same key as schemata_lock_target(), so the two forms exclude each other.
 * It survives commits; the caller must release it on every exit path, since
 * an abort does not.
 */
void
schemata_lock_target_session(const char *target_schema)
{
	DirectFunctionCall2(pg_advisory_lock_int4,
						Int32GetDatum(SCHEMATA_LOCK_CLASS),
						Int32GetDatum(target_lock_key(target_schema)));
}

/*
 * Release the session-level lock of a target schema, if this backend still
 * holds it (a migration may have released it: see migrate.c).
 */
void
schemata_unlock_target_session(const char *target_schema)
{
	if (!schemata_target_lock_held(target_schema))
		return;
	DirectFunctionCall2(pg_advisory_unlock_int4,
						Int32GetDatum(SCHEMATA_LOCK_CLASS),
						Int32GetDatum(target_lock_key(target_schema)));
}

/*
 * Whether this backend holds the advisory lock of a target schema, in either
 * form (the lock manager's local table does not tell them apart): the same
 * lock tag as pg_advisory_lock(int4, int4) takes.
 */
bool
schemata_target_lock_held(const char *target_schema)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) SCHEMATA_LOCK_CLASS,
						 (uint32) target_lock_key(target_schema), 2);
	return schemata_lock_held_by_me(&tag, ExclusiveLock);
}
