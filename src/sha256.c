/*-------------------------------------------------------------------------
 *
 * sha256.c
 *	  SHA-256 through PostgreSQL's cryptohash API: whole or piece by piece,
 *	  as bytes or as the hex text of a checksum.
 *
 * The lowest piece of the migration side: script checksums (script.c), the
 * checksum of a down script's raw text (apply.c) and the advisory lock key
 * of a target schema (lock.c) use it, and it uses nothing of schemata's.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/sha256.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 140000
#include "common/cryptohash.h"
#endif
#include "utils/builtins.h"

#include "migration.h"

/*
 * A SHA-256 computed piece by piece: schemata_sha256_begin(),
 * schemata_sha256_add() for each piece, schemata_sha256_end().
 */
struct Sha256
{
#if PG_VERSION_NUM >= 140000
	pg_cryptohash_ctx *hash;
#else
	/* 13: no pg_cryptohash_*(), but SHA-256 functions that cannot fail */
	pg_sha256_ctx hash;
#endif
};

#if PG_VERSION_NUM >= 140000
static void
sha256_failed(pg_cryptohash_ctx *hash)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not compute SHA-256 checksum: %s", pg_cryptohash_error(hash))));
}
#endif

/* A new SHA-256 computation, in CurrentMemoryContext. */
Sha256 *
schemata_sha256_begin(void)
{
	Sha256	   *sha = palloc(sizeof(Sha256));

#if PG_VERSION_NUM >= 140000
	sha->hash = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(sha->hash) < 0)
		sha256_failed(sha->hash);
#else
	pg_sha256_init(&sha->hash);
#endif
	return sha;
}

void
schemata_sha256_add(Sha256 *sha, const char *data, size_t len)
{
	Assert(sha != NULL);
	Assert(data != NULL || len == 0);
#if PG_VERSION_NUM >= 140000
	if (pg_cryptohash_update(sha->hash, (const uint8 *) data, len) < 0)
		sha256_failed(sha->hash);
#else
	pg_sha256_update(&sha->hash, (const uint8 *) data, len);
#endif
}

/* PG_SHA256_DIGEST_LENGTH bytes into digest; frees sha. */
void
schemata_sha256_end(Sha256 *sha, uint8 *digest)
{
	Assert(sha != NULL);
#if PG_VERSION_NUM >= 140000
	if (pg_cryptohash_final(sha->hash, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		sha256_failed(sha->hash);
	pg_cryptohash_free(sha->hash);
#else
	pg_sha256_final(&sha->hash, digest);
#endif
	pfree(sha);
}

/* The SHA-256 of "data" (PG_SHA256_DIGEST_LENGTH bytes into digest). */
void
schemata_sha256(const char *data, size_t len, uint8 *digest)
{
	Sha256	   *sha = schemata_sha256_begin();

	schemata_sha256_add(sha, data, len);
	schemata_sha256_end(sha, digest);
}

/*
 * A digest as a checksum: SCHEMATA_CHECKSUM_LEN lower-case hex digits and a
 * NUL into checksum.
 */
void
schemata_checksum_hex(const uint8 *digest, char *checksum)
{
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, checksum);
	checksum[SCHEMATA_CHECKSUM_LEN] = '\0';
}

/* The checksum (see schemata_checksum_hex) of "data". */
void
schemata_sha256_hex(const char *data, size_t len, char *checksum)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	schemata_sha256(data, len, digest);
	schemata_checksum_hex(digest, checksum);
}
