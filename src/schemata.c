/*-------------------------------------------------------------------------
 *
 * schemata.c
 *	  Module magic and the extension's settings.
 *
 * schemata needs no shared memory and no preloading: the library is loaded
 * by the first call of one of its functions.
 *
 * IDENTIFICATION
 *	  src/schemata.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "schemata.h"

PG_MODULE_MAGIC;

/* schemata.allowed_directories: roots every dir must lie under, or empty */
char	   *schemata_allowed_directories = NULL;

/* schemata.max_file_size: largest migration file read, in kB */
int			schemata_max_file_size_kb = 100 * 1024;

/*
 * The largest schemata.max_file_size: 512 MB less 1 kB.  PostgreSQL's scanner
 * keeps a literal or quoted name in a buffer of the next power of two above
 * its length, which must stay within the 1 GB allocation limit; a file of at
 * most this size holds no longer literal.
 */
#define MAX_FILE_SIZE_LIMIT_KB (512 * 1024 - 1)

/* schemata.cache_checksums: trust recorded checksums of unchanged files */
bool		schemata_cache_checksums = true;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("schemata.allowed_directories",
							   "Directories that migration directories must lie in.",
							   "A comma-separated list of absolute paths. When set, every "
							   "migration directory and every file read from it must resolve, "
							   "after symbolic links and \"..\", to a place below one of them, "
							   "for superusers too. Empty: no restriction.",
							   &schemata_allowed_directories,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("schemata.max_file_size",
							"Largest migration file that is read.",
							"A larger file is an error naming it and its size. Only superusers "
							"may change it: the memory a file takes is the server's.",
							&schemata_max_file_size_kb,
							100 * 1024,
							1,
							MAX_FILE_SIZE_LIMIT_KB,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("schemata.cache_checksums",
							 "Trusts the recorded checksum of a migration file whose stat data are unchanged.",
							 "When off, every applied migration's file is read and its checksum computed "
							 "to check it for drift.",
							 &schemata_cache_checksums,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("schemata");
}
