/*
 * sanitizer_canary.c — a loadable module whose functions make the sanitizers
 * report, so that the sanitized pass (SCHEMATA_SANITIZE=1) proves it would
 * catch a report of schemata's.  test/lib/cluster.sh builds it with the
 * sanitizer flags schemata gets (schemata_sanitizer_canary) and calls each
 * function once, in a database of its own, after every test ran.
 */
#include "postgres.h"

#include <stdlib.h>
#include <string.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(sanitizer_canary_heap_overflow);
PG_FUNCTION_INFO_V1(sanitizer_canary_shift_exponent);

/*
 * Reads the byte after a malloc'd block of its argument's size (8):
 * AddressSanitizer's report.  (A read, whose value is returned: a store
 * before free() could be optimized away.)
 */
Datum
sanitizer_canary_heap_overflow(PG_FUNCTION_ARGS)
{
	int32		size = PG_GETARG_INT32(0);
	char	   *block = malloc(size);
	char		past;

	memset(block, 'x', size);
	past = block[size];
	free(block);
	PG_RETURN_INT32(past);
}

/* Shifts an int by its argument (40): UndefinedBehaviorSanitizer's report. */
Datum
sanitizer_canary_shift_exponent(PG_FUNCTION_ARGS)
{
	int32		exponent = PG_GETARG_INT32(0);

	PG_RETURN_INT32(1 << exponent);
}
