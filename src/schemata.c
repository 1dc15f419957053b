/*-------------------------------------------------------------------------
 *
 * schemata.c
 *	  Module magic and the extension's settings.
 *
 * schemata needs no shared memory and no preloading: the library is loaded
 * by the first call of one of its functions.  A value of
 * schemata.allowed_directories set in the session before that (PGOPTIONS,
 * SET) is applied when the library loads, and one PostgreSQL refuses then
 * (set by a role that may not set it) can leave the setting at its default,
 * no restriction: such a session is marked, and reads no directory until a
 * superuser sets the value (see schemata_fence_lost).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/schemata.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "migration.h"

PG_MODULE_MAGIC;

/* schemata.allowed_directories: roots every dir must lie under, or empty */
char	   *schemata_allowed_directories = NULL;

/*
 * Whether a value of schemata.allowed_directories pending when the library
 * loaded was refused, so that the setting may be wider than the one a
 * superuser chose; cleared by the next value assigned to it.
 */
bool		schemata_fence_lost = false;

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

/*
 * A setting's current and reset value and where they came from, for
 * telling whether the values set before the library was loaded were taken.
 */
typedef struct SettingState
{
	GucSource	source;
	GucSource	reset_source;
	char	   *value;
	char	   *reset_value;
} SettingState;

/* The state of a string setting or placeholder; false if there is none. */
static bool
get_setting_state(const char *name, SettingState *state)
{
	struct config_generic *gen = find_option(name, false, true, ERROR);
	struct config_string *conf = (struct config_string *) gen;

	if (gen == NULL || gen->vartype != PGC_STRING)
		return false;
	state->source = gen->source;
	state->reset_source = gen->reset_source;
	state->value = *conf->variable ? pstrdup(*conf->variable) : NULL;
	state->reset_value = conf->reset_val ? pstrdup(conf->reset_val) : NULL;
	return true;
}

static bool
same_string(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * Whether the defined setting took the values its placeholder held (a
 * placeholder's value from PGC_S_DEFAULT, left when a setting was removed
 * from postgresql.conf, is none).
 */
static bool
setting_took_values(const SettingState *pending, const SettingState *now)
{
	if (pending->source > PGC_S_DEFAULT &&
		(pending->source != now->source || !same_string(pending->value, now->value)))
		return false;
	if (pending->reset_source > PGC_S_DEFAULT &&
		(pending->reset_source != now->reset_source ||
		 !same_string(pending->reset_value, now->reset_value)))
		return false;
	return true;
}

/* Any value assigned once the library is loaded passed PostgreSQL's checks. */
static void
assign_allowed_directories(const char *newval, void *extra)
{
	schemata_fence_lost = false;
}

/*
 * Define schemata.allowed_directories.  PostgreSQL applies a placeholder's
 * values with the privileges of whoever set them, and one it refuses is
 * dropped with a WARNING, leaving the default (no restriction) where a
 * session's value had replaced the one from postgresql.conf: then the
 * session is marked, and fails closed.
 */
static void
define_allowed_directories(void)
{
	const char *name = "schemata.allowed_directories";
	SettingState pending;
	SettingState now;
	bool		had_placeholder = get_setting_state(name, &pending);

	DefineCustomStringVariable(name,
							   "Directories that migration directories must lie in.",
							   "A comma-separated list of absolute paths. When set, every "
							   "migration directory and every file read from it must resolve, "
							   "after symbolic links and \"..\", to a place below one of them, "
							   "for superusers too. Empty: no restriction.",
							   &schemata_allowed_directories,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   NULL, assign_allowed_directories, NULL);

	if (had_placeholder &&
		(!get_setting_state(name, &now) || !setting_took_values(&pending, &now)))
		schemata_fence_lost = true;
}

void
_PG_init(void)
{
	define_allowed_directories();

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

	DefineCustomIntVariable("schemata.lint_large_table",
							"Table size from which lint() reports costs that grow with the table as warnings.",
							"Below it they are notices: an index built without CONCURRENTLY, a "
							"rewrite or a validating scan of a small table is over quickly.",
							&schemata_lint_large_table_kb,
							10 * 1024,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("schemata");
}
