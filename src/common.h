/*-------------------------------------------------------------------------
 *
 * common.h
 *	  Declarations every part of the schemata extension uses.
 *
 * What every layer uses: the extension's names and settings, the idioms
 * every file repeats (common.c: SPI, error context, growable arrays), the
 * pinned search_path (searchpath.c) and work run in a subtransaction that is
 * always rolled back (subxact.c).  The migration side is declared in migration.h,
 * the model side in model.h; access.c (who may do what) and functions.c (the
 * SQL-callable entry points) serve both.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMATA_COMMON_H
#define SCHEMATA_COMMON_H

#include "postgres.h"

/*
 * Built and tested on PostgreSQL 13, 15, 17 and 18.  The APIs that differ
 * between majors have shims in compat.h or guards where they are used.
 */
#include "compat.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "common/sha2.h"

/* Name of the extension, of its schema and of the history table. */
#define SCHEMATA_SCHEMA "schemata"

/* Length of a hex SHA-256 checksum, without the terminating NUL. */
#define SCHEMATA_CHECKSUM_LEN (PG_SHA256_DIGEST_LENGTH * 2)

/* Whether two strings, either of which may be NULL, are the same. */
static inline bool
schemata_same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* GUCs (schemata.c) */
extern char *schemata_allowed_directories;
extern bool schemata_fence_lost;
extern int	schemata_max_file_size_kb;
extern bool schemata_cache_checksums;

/*
 * common.c
 *
 * The repeated idioms, named once.  schemata_spi_execute() runs a statement
 * (parameters as SPI_execute_with_args() takes them), checks its result code
 * and gives the caller its memory context back; schemata_spi_select() also
 * hands each row to a callback, in the caller's context, and frees them.
 */
typedef void (*SpiRowCallback) (HeapTuple tuple, TupleDesc desc, void *arg);

extern uint64 schemata_spi_execute(const char *sql, int nargs, Oid *argtypes, Datum *values,
								   const char *nulls, bool read_only, int expected);
extern uint64 schemata_spi_select(const char *sql, int nargs, Oid *argtypes, Datum *values,
								  const char *nulls, bool read_only, SpiRowCallback row,
								  void *arg);
extern void schemata_append_first_value(HeapTuple tuple, TupleDesc desc, void *arg);

/* A CONTEXT line for every error between push and pop. */
extern void schemata_push_context(ErrorContextCallback *callback, void (*fn) (void *arg),
								  void *arg);
extern void schemata_pop_context(ErrorContextCallback *callback);

/*
 * A growable array, doubling: schemata_grow(array, n, allocated, initial)
 * makes room for element n of "array", which has room for "allocated" (an
 * int variable, 0 at first with array NULL); new elements are zeroed.
 */
extern void *schemata_grow_array(void *items, Size size, int n, int *allocated, int initial);

#define schemata_grow(array, n, allocated, initial) \
	((array) = schemata_grow_array((array), sizeof(*(array)), (n), &(allocated), (initial)))

/*
 * searchpath.c
 *
 * search_path pinned to "pg_catalog, pg_temp" for the SQL schemata issues
 * itself: pin returns a GUC nest level, restore takes it back.
 */
extern int	schemata_pin_search_path(void);
extern void schemata_restore_search_path(int nestlevel);


/*
 * subxact.c
 */
extern void schemata_run_rolled_back(void (*fn) (void *arg), void *arg);

/*
 * util.c (helper "layer")
 */
extern Datum schemata_text_array(const char *const *strings, int n);
extern Datum schemata_datum_array(Datum *values, int n, Oid elemtype);
extern char *schemata_join_names(struct List *names);

#endif							/* SCHEMATA_COMMON_H */
