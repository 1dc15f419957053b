/*-------------------------------------------------------------------------
 *
 * dirscan.c
 *	  Reading a migration directory: who may, which paths, which entries,
 *	  and the text of each file.
 *
 * A directory is read the way pg_read_file() reads server files: only
 * superusers and roles with the privileges of pg_read_server_files may, and
 * the path must be absolute.  It is resolved as realpath() does (symbolic
 * links, then "..").  When schemata.allowed_directories (the fence) is set,
 * the directory and every file read from it must lie under one of its
 * entries: paths are resolved step by step, nothing outside the fence is
 * looked at, and every path outside gets one error whatever is there; the
 * directory is checked once opened, by its descriptor, and files are opened
 * below it following no symbolic link, or resolved within the fence and
 * checked by descriptor.  Files are opened without blocking and only regular
 * files are read.
 *
 * Entries (see README): "0001_x.sql" (maybe with -- migrate: sections),
 * "0001_x.up.sql" + "0001_y.down.sql" paired by version, folders "0001_x/"
 * holding up.sql and maybe down.sql, or Prisma's migration.sql, and Flyway's
 * "V1.2__x.sql" + "U1.2__x.sql", and Flyway's repeatable "R__x.sql"
 * (collected apart, MigrationDir.repeatables; see repeatable.c).  A
 * directory with Drizzle's meta/_journal.json holds the migrations its
 * journal lists.  Names starting
 * with '.' and files not ending in ".sql" are ignored; .sql files and folders
 * without a version are ignored with a NOTICE listing them, a down script
 * without an up migration with a WARNING.  Two entries with one version, a
 * folder without its up script, Flyway names beside
 * numbered ones, .sql files with no migration among them and a bad journal
 * are errors.  A diesel folder's metadata.toml and Flyway's "<script>.sql.conf"
 * are read for the tools' markers of a non-transactional migration
 * (MigrationFile.no_transaction_marker).
 *
 * Files are read whole.  A file larger than schemata.max_file_size, holding a
 * NUL byte or not valid in the database encoding is an error naming it.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/dirscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid_d.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "migration.h"

/* How many symbolic links resolve_path() follows in one path, as Linux does. */
#define SCHEMATA_MAX_LINKS 40

/* How many bytes of a file one read() asks for between checks for a cancel. */
#define READ_CHUNK (1024 * 1024)

/* How migration files are opened: never blocking (a FIFO), never a terminal. */
#define FILE_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | PG_BINARY)

/* Drizzle's journal, which lists the migrations of its directory. */
#define JOURNAL_FOLDER "meta"
#define JOURNAL_PATH "meta/_journal.json"

/* An entry of the directory before up and down scripts are paired. */
typedef struct Candidate
{
	MigrationVersion version;
	MigrationForm form;
	bool		is_down;
	bool		flyway;			/* V<version>__x.sql or U<version>__x.sql */
	char	   *name;
	char	   *file;			/* relative path of the script */
	char	   *folder_down;	/* a folder's down.sql, or NULL */
	char	   *journal_when;	/* a journal entry's "when", or NULL */
} Candidate;

typedef struct CandidateList
{
	int			count;
	int			size;
	Candidate  *items;
} CandidateList;

/*
 * errcode_for_file_access(), except for the errors it leaves internal that a
 * path given by the caller or found in a directory can cause: a symbolic
 * link loop or a name too long, and a socket or device that cannot be
 * opened (what is not a regular file is refused anyway).
 */
static int
errcode_for_path(void)
{
	if (errno == ELOOP || errno == ENAMETOOLONG)
		return errcode(ERRCODE_INVALID_PARAMETER_VALUE);
	if (errno == ENXIO || errno == ENODEV || errno == EOPNOTSUPP)
		return errcode(ERRCODE_WRONG_OBJECT_TYPE);
	return errcode_for_file_access();
}

/*
 * Reading server files is for superusers and pg_read_server_files, as for
 * pg_read_file() and COPY FROM a file.
 */
static void
check_read_access(const char *argname)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read migration directory given as %s", argname),
				 errdetail("Only superusers and roles with privileges of the \"pg_read_server_files\" role may read migration directories.")));
}

/*
 * The fence: schemata.allowed_directories with each entry resolved (an entry
 * that does not exist allows nothing).  "set" is false when the setting is
 * empty, and nothing is checked.
 */
typedef struct Fence
{
	bool		set;
	List	   *roots;			/* real absolute paths, without a trailing '/'
								 * but "/" */
	List	   *spelled;		/* the same entries as written, made absolute */
} Fence;

/*
 * Whether schemata.allowed_directories is set.  In a session where a value
 * of it was refused when the library loaded (see schemata.c) the setting may
 * be wider than the one a superuser chose: no directory is read there.
 */
static bool
fence_is_set(void)
{
	if (schemata_fence_lost)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration directories cannot be read in this session"),
				 errdetail("A value of \"schemata.allowed_directories\" set before the library was loaded was refused, so the setting may not be the one a superuser chose."),
				 errhint("Start a new session without setting \"schemata.allowed_directories\", or have a superuser set it in this session.")));
	return schemata_allowed_directories != NULL && schemata_allowed_directories[0] != '\0';
}

static Fence
current_fence(void)
{
	Fence		fence = {false, NIL, NIL};
	char	   *rawlist;
	List	   *entries;
	ListCell   *lc;

	if (!fence_is_set())
		return fence;

	fence.set = true;
	rawlist = pstrdup(schemata_allowed_directories);
	if (!SplitDirectoriesString(rawlist, ',', &entries))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in parameter \"%s\"",
						"schemata.allowed_directories")));
	foreach(lc, entries)
	{
		char	   *root = realpath((char *) lfirst(lc), NULL);

		if (root == NULL)
			continue;
		fence.roots = lappend(fence.roots, pstrdup(root));
		fence.spelled = lappend(fence.spelled, make_absolute_path((char *) lfirst(lc)));
		free(root);
	}
	return fence;
}

/* Whether "path" is "dir" or a place below it (both real absolute paths). */
static bool
path_within(const char *dir, const char *path)
{
	size_t		len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(dir, path, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Whether the fence allows "path", a real absolute path. */
static bool
fence_allows(const Fence *fence, const char *path)
{
	ListCell   *lc;

	if (!fence->set)
		return true;
	foreach(lc, fence->roots)
	{
		if (path_within((const char *) lfirst(lc), path))
			return true;
	}
	return false;
}

/*
 * Whether "path" is on the way to one of the fence's entries, as resolved or
 * as written (which may hold symbolic links): a path may pass through it.
 */
static bool
fence_passes_through(const Fence *fence, const char *path)
{
	ListCell   *lc;

	foreach(lc, fence->roots)
	{
		if (path_within(path, (const char *) lfirst(lc)))
			return true;
	}
	foreach(lc, fence->spelled)
	{
		if (path_within(path, (const char *) lfirst(lc)))
			return true;
	}
	return false;
}

static void
report_outside(const char *shown)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("\"%s\" is outside the directories allowed by \"schemata.allowed_directories\"",
					shown),
			 errdetail("It resolves to a path outside \"%s\".", schemata_allowed_directories)));
}

/* What resolve_path() found. */
typedef enum Resolution
{
	RESOLVED,
	RESOLVE_FAILED,				/* errno says why */
	RESOLVE_OUTSIDE				/* it leads outside the fence */
} Resolution;

/*
 * Resolve base/rest as realpath() does, symbolic links first and then "..",
 * into *resolved, with the stat data of what it names in *st.  "base" is a
 * real path already ("" for the root); "rest" is relative to it.
 *
 * With the fence set, nothing outside it is looked at: a step to a place
 * that is neither allowed nor above an allowed directory ends the walk with
 * RESOLVE_OUTSIDE before that place is examined, so the answer for a path
 * outside the fence is the same whatever exists there.
 */
static Resolution
resolve_path(const Fence *fence, const char *base, const char *rest,
			 char **resolved, struct stat *st)
{
	StringInfoData done;
	char	   *todo = pstrdup(rest);
	char	   *next = todo;
	int			links = 0;

	initStringInfo(&done);
	appendStringInfoString(&done, base);
	if (done.len == 1 && done.data[0] == '/')
		resetStringInfo(&done);

	while (*next != '\0')
	{
		char	   *slash = strchr(next, '/');
		char	   *name = next;
		int			parent_len = done.len;

		if (slash != NULL)
		{
			*slash = '\0';
			next = slash + 1;
		}
		else
			next = name + strlen(name);
		if (name[0] == '\0' || strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0)
		{
			while (done.len > 0 && done.data[--done.len] != '/')
				;
			done.data[done.len] = '\0';
			continue;
		}

		appendStringInfo(&done, "/%s", name);
		if (fence->set && !fence_allows(fence, done.data) &&
			!fence_passes_through(fence, done.data))
			return RESOLVE_OUTSIDE;
		if (lstat(done.data, st) != 0)
			return RESOLVE_FAILED;
		if (S_ISLNK(st->st_mode))
		{
			char		target[MAXPGPATH];
			ssize_t		len;

			if (++links > SCHEMATA_MAX_LINKS)
			{
				errno = ELOOP;
				return RESOLVE_FAILED;
			}
			len = readlink(done.data, target, sizeof(target));
			if (len < 0)
				return RESOLVE_FAILED;
			if (len >= (ssize_t) sizeof(target))
			{
				errno = ENAMETOOLONG;
				return RESOLVE_FAILED;
			}
			target[len] = '\0';
			/* the link's target takes its place, relative to its directory */
			next = psprintf("%s/%s", target, next);
			done.len = target[0] == '/' ? 0 : parent_len;
			done.data[done.len] = '\0';
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (!S_ISDIR(st->st_mode) && *next != '\0')
		{
			errno = ENOTDIR;
			return RESOLVE_FAILED;
		}
	}

	if (done.len == 0)
		appendStringInfoChar(&done, '/');
	if (!fence_allows(fence, done.data))
		return RESOLVE_OUTSIDE;
	if (lstat(done.data, st) != 0)
		return RESOLVE_FAILED;
	*resolved = done.data;
	return RESOLVED;
}

#ifdef __linux__
/* The path of what descriptor fd refers to, as the kernel knows it. */
static char *
descriptor_path(int fd)
{
	char		link[64];
	char		path[MAXPGPATH];
	ssize_t		len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path));
	if (len < 0 || len >= (ssize_t) sizeof(path))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("could not tell where an opened migration directory lies: %m"),
				 errhint("\"schemata.allowed_directories\" needs /proc/self/fd to check what was opened.")));
	return pnstrdup(path, len);
}
#elif defined(F_GETPATH)
static char *
descriptor_path(int fd)
{
	char		path[MAXPATHLEN];

	if (fcntl(fd, F_GETPATH, path) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("could not tell where an opened migration directory lies: %m")));
	return pstrdup(path);
}
#else
static char *
descriptor_path(int fd)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("\"schemata.allowed_directories\" is not supported on this platform"),
			 errdetail("It needs a way to tell where an open directory lies.")));
	return NULL;
}
#endif

/*
 * With the fence set, the directory open as descriptor fd (which may have
 * changed since its path was checked) must lie inside it.
 */
static void
check_opened_directory(const Fence *fence, int fd, const char *shown)
{
	if (fence->set && !fence_allows(fence, descriptor_path(fd)))
		report_outside(shown);
}

/*
 * The directory argument: absolute, existing, a directory, allowed.  Returns
 * its real path.  With the fence set, it is checked before anything is
 * looked at outside it (see resolve_path()).
 */
static char *
check_directory(const Fence *fence, const char *argname, const char *dir)
{
	char	   *path;
	struct stat st;

	if (dir[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", argname)));
	if (!is_absolute_path(dir))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an absolute path: \"%s\"", argname, dir),
				 errhint("The directory is read by the database server, so give its full path on the server.")));

	switch (resolve_path(fence, "/", dir, &path, &st))
	{
		case RESOLVE_OUTSIDE:
			report_outside(dir);
			break;
		case RESOLVE_FAILED:
			if (errno == ENOENT)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_FILE),
						 errmsg("migration directory \"%s\" does not exist", dir)));
			ereport(ERROR,
					(errcode_for_path(),
					 errmsg("could not access migration directory \"%s\": %m", dir)));
			break;
		case RESOLVED:
			break;
	}
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", dir),
				 errdetail("The argument %s must name a directory of migration files.", argname)));
	return path;
}

/* A directory being listed: its real path and its descriptor, checked. */
typedef struct ScanContext
{
	const Fence *fence;
	const char *path;
	int			fd;
} ScanContext;

/*
 * The stat data of the entry at relpath, following symbolic links, but with
 * the fence set, not out of it: a link is resolved by resolve_path(), and
 * one leading outside the fence is an error, the same whatever it leads to.
 * False with errno set when it cannot be had.
 */
static bool
stat_entry(const ScanContext *scan, const char *relpath, struct stat *st)
{
	char	   *resolved;

	if (!scan->fence->set)
		return fstatat(scan->fd, relpath, st, 0) == 0;
	if (fstatat(scan->fd, relpath, st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	if (!S_ISLNK(st->st_mode))
		return true;
	switch (resolve_path(scan->fence, scan->path, relpath, &resolved, st))
	{
		case RESOLVE_OUTSIDE:
			report_outside(relpath);
			break;
		case RESOLVE_FAILED:
			return false;
		case RESOLVED:
			break;
	}
	return true;
}

/* Whether a directory entry is a regular file or a folder, following links. */
static bool
entry_is(const ScanContext *scan, const struct dirent *de, bool want_dir)
{
	struct stat st;

#ifdef _DIRENT_HAVE_D_TYPE
	if (de->d_type == DT_REG)
		return !want_dir;
	if (de->d_type == DT_DIR)
		return want_dir;
#endif
	if (!stat_entry(scan, de->d_name, &st))
		ereport(ERROR,
				(errcode_for_path(),
				 errmsg("could not access \"%s\" in the migration directory: %m", de->d_name)));
	return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* Whether the directory's relpath exists as a regular file. */
static bool
regular_file_exists(const ScanContext *scan, const char *relpath)
{
	struct stat st;

	if (!stat_entry(scan, relpath, &st))
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return false;
		ereport(ERROR,
				(errcode_for_path(),
				 errmsg("could not access \"%s\" in the migration directory: %m", relpath)));
	}
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" in the migration directory is not a regular file", relpath)));
	return true;
}

static Candidate *
add_candidate(CandidateList *list)
{
	/* zeroed: the elements past count have never been used */
	schemata_grow(list->items, list->count, list->size, 64);
	return &list->items[list->count++];
}

static bool
has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t		slen = strlen(suffix);

	return len > slen && strcmp(name + len - slen, suffix) == 0;
}

/* What a name ending in ".sql" is. */
typedef enum SqlEntry
{
	SQL_MIGRATION,				/* added to the candidates */
	SQL_UNVERSIONED,			/* no version: ignored */
	SQL_REPEATABLE				/* Flyway's R__x.sql */
} SqlEntry;

/* The version of a Flyway name ("V1.2__x", "U1.2__x"), then of any other. */
static bool
candidate_version(const char *stem, Candidate *c)
{
	if (schemata_flyway_version(stem, &c->version))
	{
		c->flyway = true;
		c->is_down = c->is_down || stem[0] == 'U';
		return true;
	}
	return schemata_version_from_name(stem, &c->version);
}

/* Classify one file whose name ends in ".sql". */
static SqlEntry
classify_sql_file(const ScanContext *scan, const struct dirent *de, CandidateList *list)
{
	const char *name = de->d_name;
	size_t		len = strlen(name);
	char	   *stem;
	Candidate	c;

	memset(&c, 0, sizeof(c));
	if (has_suffix(name, len, ".up.sql"))
	{
		c.form = MIGRATION_PAIR;
		stem = pnstrdup(name, len - strlen(".up.sql"));
	}
	else if (has_suffix(name, len, ".down.sql"))
	{
		c.form = MIGRATION_PAIR;
		c.is_down = true;
		stem = pnstrdup(name, len - strlen(".down.sql"));
	}
	else
	{
		c.form = MIGRATION_FILE;
		stem = pnstrdup(name, len - strlen(".sql"));
	}

	if (schemata_is_repeatable(name))
		return SQL_REPEATABLE;
	if (!candidate_version(stem, &c))
		return SQL_UNVERSIONED;
	if (!entry_is(scan, de, false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" in the migration directory is not a regular file", name),
				 errdetail("Names ending in \".sql\" must be migration files.")));

	c.name = pstrdup(name);
	c.file = c.name;
	*add_candidate(list) = c;
	return SQL_MIGRATION;
}

/*
 * Whether a directory entry is a folder itself (a symbolic link is not), for
 * entries that are ignored: nothing is followed and no error raised.
 */
static bool
entry_is_plain_folder(const ScanContext *scan, const struct dirent *de)
{
	struct stat st;

#ifdef _DIRENT_HAVE_D_TYPE
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
#endif
	return fstatat(scan->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		S_ISDIR(st.st_mode);
}

/*
 * A folder whose name starts with a version is a migration holding up.sql
 * and maybe down.sql, or Prisma's migration.sql (no down script).  Returns
 * false for a folder without a version, which is ignored.
 */
static bool
classify_folder(const ScanContext *scan, const struct dirent *de, CandidateList *list)
{
	Candidate	c;
	char	   *down;

	memset(&c, 0, sizeof(c));
	if (!schemata_version_from_name(de->d_name, &c.version))
		return !entry_is_plain_folder(scan, de);
	if (!entry_is(scan, de, true))
		return true;

	c.form = MIGRATION_FOLDER;
	c.name = pstrdup(de->d_name);
	c.file = psprintf("%s/up.sql", c.name);
	down = psprintf("%s/down.sql", c.name);
	if (regular_file_exists(scan, c.file))
		c.folder_down = regular_file_exists(scan, down) ? down : NULL;
	else
	{
		c.file = psprintf("%s/migration.sql", c.name);
		if (!regular_file_exists(scan, c.file))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("migration folder \"%s\" has no up.sql", c.name),
					 errhint("A folder whose name starts with a version must hold up.sql, and may hold down.sql, or hold Prisma's migration.sql.")));
	}
	*add_candidate(list) = c;
	return true;
}

/* qsort comparison of two Candidate pointers. */
static int
candidate_cmp(const void *a, const void *b)
{
	const Candidate *ca = *(const Candidate *const *) a;
	const Candidate *cb = *(const Candidate *const *) b;
	int			cmp = schemata_version_cmp(&ca->version, &cb->version);

	if (cmp != 0)
		return cmp;
	if (ca->is_down != cb->is_down)
		return ca->is_down ? 1 : -1;
	return strcmp(ca->name, cb->name);
}

/*
 * A candidate with what decides most comparisons inline: the number of a
 * version of up to SCHEMATA_VERSION_KEY_DIGITS digits, and a rank that is
 * equal only for versions of one kind and length, whose numbers then compare
 * as schemata_version_cmp() compares them.  Sorting thousands of pointers
 * that had to be followed for every comparison was slow.
 */
typedef struct CandidateKey
{
	uint64		key;
	uint32		rank;			/* 0: no key; compare in full */
	Candidate  *c;
} CandidateKey;

static inline int
candidate_key_cmp(const CandidateKey *a, const CandidateKey *b)
{
	if (a->rank != 0 && a->rank == b->rank && a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return candidate_cmp(&a->c, &b->c);
}

/* sort_candidate_keys(): qsort with the comparison inlined */
#if PG_VERSION_NUM >= 140000
#define ST_SORT sort_candidate_keys
#define ST_ELEMENT_TYPE CandidateKey
#define ST_COMPARE(a, b) candidate_key_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"
#else
/* 13 has no lib/sort_template.h: plain qsort, slower on thousands of files */
static int
candidate_key_qsort_cmp(const void *a, const void *b)
{
	return candidate_key_cmp((const CandidateKey *) a, (const CandidateKey *) b);
}

static void
sort_candidate_keys(CandidateKey *keys, size_t n)
{
	qsort(keys, n, sizeof(CandidateKey), candidate_key_qsort_cmp);
}
#endif

/*
 * Sort the candidates by version, an up script before its down script, then
 * by name.  Keys are sorted, then the entries put in their order: swapping
 * the wide entries themselves made sorting thousands slow.
 */
static void
sort_candidates(CandidateList *list)
{
	CandidateKey *order;
	Candidate  *sorted;

	if (list->count == 0)
		return;
	order = palloc(sizeof(CandidateKey) * list->count);
	for (int i = 0; i < list->count; i++)
	{
		const MigrationVersion *v = &list->items[i].version;

		order[i].c = &list->items[i];
		order[i].key = v->key;
		order[i].rank = v->ndigits <= SCHEMATA_VERSION_KEY_DIGITS && !v->in_parts
			? (uint32) v->ndigits + (v->is_date ? 32 : 0) : 0;
	}
	sort_candidate_keys(order, list->count);
	sorted = palloc(sizeof(Candidate) * list->count);
	for (int i = 0; i < list->count; i++)
		sorted[i] = *order[i].c;
	pfree(order);
	pfree(list->items);
	list->items = sorted;
	list->size = list->count;
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* What every repeatable migration's name starts with. */
#define REPEATABLE_PREFIX "R__"

/* Whether a directory entry's name, or a history row's version, is one. */
bool
schemata_is_repeatable(const char *name)
{
	return strncmp(name, REPEATABLE_PREFIX, strlen(REPEATABLE_PREFIX)) == 0;
}

/*
 * The directory's repeatable migrations, from the names of its R__ files:
 * in name order, each its own up script, its version text its name without
 * ".sql".
 */
static void
collect_repeatables(MigrationDir *dir, List *names)
{
	ListCell   *lc;

	list_sort(names, compare_names);
	dir->nrepeatables = list_length(names);
	dir->repeatables = palloc0(sizeof(MigrationFile) * Max(dir->nrepeatables, 1));
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);
		MigrationFile *file = &dir->repeatables[foreach_current_index(lc)];

		file->form = MIGRATION_FILE;
		file->name = name;
		file->up_file = name;
		file->version.text = pnstrdup(name, strlen(name) - strlen(".sql"));
	}
}

/* Whether a migration of a directory is one of its repeatable ones. */
bool
schemata_file_is_repeatable(const MigrationDir *dir, const MigrationFile *file)
{
	return file >= dir->repeatables && file < dir->repeatables + dir->nrepeatables;
}

/*
 * The DETAIL naming applied migrations whose files are gone, for errors and
 * notices about them (apply, rollback with dir, repair).
 */
int
schemata_errdetail_missing_files(List *missing)
{
	return errdetail_plural("The migration without a file is %s.",
							"The migrations without a file are %s.",
							list_length(missing), schemata_join_names(missing));
}

/* A NOTICE listing ignored names, sorted, if there are any. */
static void
report_ignored(List *ignored, const char *message, const char *hint)
{
	if (ignored == NIL)
		return;
	list_sort(ignored, compare_names);
	ereport(NOTICE,
			(errmsg(message, schemata_join_names(ignored)),
			 errhint("%s", _(hint))));
}

/*
 * A directory whose .sql files hold no migration at all is refused: a deploy
 * never succeeds by applying nothing because of names.
 */
static void
refuse_no_migration(List *sql_names)
{
	list_sort(sql_names, compare_names);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the migration directory holds .sql files but no migration"),
			 errdetail("Its .sql files are %s.", schemata_join_names(sql_names)),
			 errhint("A migration's name starts with its version (0001_init.sql, 0001_init.up.sql, a folder 0001_init/ holding up.sql or migration.sql) or is a Flyway name (V1__init.sql); a directory with meta/_journal.json runs the migrations its journal lists.")));
}

/*
 * Flyway names and other numbered names in one directory are refused: the
 * two tools order and name versions differently, and a mix is more likely a
 * mistake than a plan.  The candidates are sorted.
 */
static void
refuse_mixed_families(const CandidateList *list)
{
	const Candidate *flyway = NULL;
	const Candidate *other = NULL;

	for (int i = 0; i < list->count; i++)
	{
		if (list->items[i].flyway && flyway == NULL)
			flyway = &list->items[i];
		else if (!list->items[i].flyway && other == NULL)
			other = &list->items[i];
	}
	if (flyway != NULL && other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration directory mixes Flyway names and numbered names: \"%s\" and \"%s\"",
						flyway->name, other->name),
				 errhint("Name all migrations of a directory one way: V<version>__<description>.sql, or <version>_<description>.sql.")));
}

/*
 * Pair the sorted candidates into migrations: per version one up script and
 * at most one down script.  A down script without an up migration (its up
 * script may be a .go file) is ignored with a WARNING.
 */
static void
pair_candidates(CandidateList *list, MigrationDir *result)
{
	int			i = 0;

	result->files = palloc0(sizeof(MigrationFile) * Max(list->count, 1));
	result->nfiles = 0;
	while (i < list->count)
	{
		Candidate  *up = &list->items[i];
		MigrationFile *file;
		int			j = i + 1;

		/* the group of candidates sharing this version */
		while (j < list->count &&
			   schemata_version_cmp(&up->version, &list->items[j].version) == 0)
			j++;

		if (up->is_down)
		{
			for (; i < j; i++)
				ereport(WARNING,
						(errmsg("ignoring down script \"%s\": no migration has version %s",
								list->items[i].name, up->version.text),
						 errhint("Up and down scripts pair by version: the up script of version %s is missing or is not a .sql file.",
								 up->version.text)));
			continue;
		}
		if (j > i + 1 && !list->items[i + 1].is_down)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migrations \"%s\" and \"%s\" have the same version %s",
							up->name, list->items[i + 1].name, up->version.text),
					 errhint("Every migration needs a version of its own.")));
		if (j > i + 2 || (j == i + 2 && up->folder_down != NULL))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration \"%s\" has more than one down script", up->name),
					 errdetail("Version %s has the down scripts \"%s\" and \"%s\".",
							   up->version.text,
							   up->folder_down ? up->folder_down : list->items[i + 1].name,
							   list->items[j - 1].name)));

		/* sorted by version, one migration per version */
		Assert(result->nfiles == 0 ||
			   schemata_version_cmp(&result->files[result->nfiles - 1].version,
									&up->version) < 0);
		file = &result->files[result->nfiles++];
		file->version = up->version;
		file->form = up->form;
		file->name = up->name;
		file->up_file = up->file;
		file->down_file = j == i + 2 ? list->items[i + 1].file : up->folder_down;
		file->journal_when = up->journal_when;
		i = j;
	}
}

/* Adds "meta/_journal.json" to errors raised while its text is parsed. */
static void
journal_error_context(void *arg)
{
	errcontext("migration journal \"%s\"", JOURNAL_PATH);
}

static void
report_bad_journal(const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid migration journal \"%s\": %s", JOURNAL_PATH, problem),
			 errhint("Drizzle's journal is an object whose \"entries\" array lists the migrations in order, each with \"idx\" (its position) and \"tag\" (its file's name without .sql).")));
}

/* The member "key" of JSON object "object", or NULL. */
static JsonbValue *
journal_member(JsonbContainer *object, const char *key)
{
	return getKeyJsonValueFromContainer(object, key, strlen(key), NULL);
}

/* The text of a JSON number. */
static char *
journal_number(const JsonbValue *value)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out,
											   NumericGetDatum(value->val.numeric)));
}

/*
 * One entry of the journal, entries[i]: its tag, the candidate <tag>.sql.
 * Its idx must be i and its version above the previous entry's.
 */
static void
journal_entry(const ScanContext *scan, JsonbValue *entry, int i,
			  const Candidate *previous, Candidate *c)
{
	char	   *path = psprintf("entries[%d]", i);
	JsonbValue *idx;
	JsonbValue *tag;
	JsonbValue *when;
	char	   *name;

	if (entry->type != jbvBinary || !JsonContainerIsObject(entry->val.binary.data))
		report_bad_journal(psprintf(_("%s is not an object"), path));
	idx = journal_member(entry->val.binary.data, "idx");
	if (idx == NULL || idx->type != jbvNumeric ||
		strcmp(journal_number(idx), psprintf("%d", i)) != 0)
		report_bad_journal(psprintf(_("%s.idx is not %d"), path, i));
	tag = journal_member(entry->val.binary.data, "tag");
	if (tag == NULL || tag->type != jbvString)
		report_bad_journal(psprintf(_("%s.tag is not a string"), path));
	name = pnstrdup(tag->val.string.val, tag->val.string.len);
	if (!schemata_version_from_name(name, &c->version) || strchr(name, '/') != NULL)
		report_bad_journal(psprintf(_("%s.tag \"%s\" does not start with a version"),
									path, name));
	if (previous != NULL && schemata_version_cmp(&previous->version, &c->version) >= 0)
		report_bad_journal(psprintf(_("%s.tag \"%s\" does not come after \"%s\""), path, name,
									pnstrdup(previous->name, strlen(previous->name) - strlen(".sql"))));
	when = journal_member(entry->val.binary.data, "when");
	if (when != NULL && when->type == jbvNumeric)
		c->journal_when = journal_number(when);
	c->form = MIGRATION_FILE;
	c->name = psprintf("%s.sql", name);
	c->file = c->name;
	if (!regular_file_exists(scan, c->file))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("migration \"%s\" listed in \"%s\" does not exist", c->name, JOURNAL_PATH)));
}

/*
 * The migrations a Drizzle journal lists, in its order, added to the
 * candidates.  Returns their names.
 */
static List *
read_journal(const ScanContext *scan, const MigrationDir *dir, CandidateList *list)
{
	ErrorContextCallback callback;
	FileStamp	stamp;
	int			len;
	char	   *text = schemata_read_file(dir, JOURNAL_PATH, &len, &stamp);
	Jsonb	   *journal;
	JsonbValue *entries;
	List	   *names = NIL;

	schemata_push_context(&callback, journal_error_context, NULL);
	journal = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	schemata_pop_context(&callback);

	entries = JB_ROOT_IS_OBJECT(journal) ? journal_member(&journal->root, "entries") : NULL;
	if (entries == NULL || entries->type != jbvBinary ||
		!JsonContainerIsArray(entries->val.binary.data))
		report_bad_journal(_("entries is not an array"));
	for (uint32 i = 0; i < JsonContainerSize(entries->val.binary.data); i++)
	{
		JsonbValue *entry = getIthJsonbValueFromContainer(entries->val.binary.data, i);
		Candidate	c;

		CHECK_FOR_INTERRUPTS();
		memset(&c, 0, sizeof(c));
		journal_entry(scan, entry, (int) i,
					  list->count > 0 ? &list->items[list->count - 1] : NULL, &c);
		*add_candidate(list) = c;
		names = lappend(names, c.name);
	}
	return names;
}

/* Whether "name" is in the list of strings "names". */
static bool
name_listed(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * The tools' markers of a non-transactional migration, in files beside its
 * scripts: a diesel folder's metadata.toml with "run_in_transaction = false"
 * (which diesel applies to up.sql and down.sql), and Flyway's per-script
 * configuration "<script>.sql.conf" (Java properties) with
 * "executeInTransaction=false".  They are read with the checks of migration
 * files; a line that is not "key = value", a comment or blank, or a value
 * that is not true or false, is an error naming the file and line.
 */
#define DIESEL_METADATA "metadata.toml"
#define FLYWAY_CONF_SUFFIX ".conf"

/* One "key = value" line of a marker file; key and value are trimmed. */
typedef struct MarkerSetting
{
	const char *file;
	int			line;
	char	   *key;
	char	   *value;
} MarkerSetting;

static void
report_marker_syntax(const MarkerSetting *setting, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_CONFIG_FILE_ERROR),
			 errmsg("syntax error in \"%s\", line %d", setting->file, setting->line),
			 errdetail("Expected %s, a comment or a blank line.", expected)));
}

/* The text from start to end without white space around it. */
static char *
trimmed(const char *start, const char *end)
{
	while (start < end && isspace((unsigned char) *start))
		start++;
	while (end > start && isspace((unsigned char) end[-1]))
		end--;
	return pnstrdup(start, end - start);
}

/*
 * Split a line of metadata.toml: "key = value", where a bare key is letters,
 * digits, '_' and '-'; a value ends at a '#' comment (values with a '#' in
 * a string are not ones diesel reads).  False for a blank or comment line.
 */
static bool
toml_setting(const char *line, const char *eol, MarkerSetting *setting)
{
	const char *p = line;
	const char *key;
	const char *end;

	while (p < eol && isspace((unsigned char) *p))
		p++;
	if (p == eol || *p == '#')
		return false;
	key = p;
	while (p < eol && (isalnum((unsigned char) *p) || *p == '_' || *p == '-'))
		p++;
	setting->key = pnstrdup(key, p - key);
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == key || p == eol || *p != '=')
		report_marker_syntax(setting, "a line \"key = value\"");
	end = memchr(p + 1, '#', eol - (p + 1));
	setting->value = trimmed(p + 1, end ? end : eol);
	if (setting->value[0] == '\0')
		report_marker_syntax(setting, "a line \"key = value\"");
	return true;
}

/*
 * Split a line of a Java properties file: the key ends at the first '=',
 * ':' or white space, then comes the value (maybe after '=' or ':').  '#'
 * and '!' start a comment line.  Escapes and continued lines are not read.
 * False for a blank or comment line; a key without a value is an error.
 */
static bool
properties_setting(const char *line, const char *eol, MarkerSetting *setting)
{
	const char *p = line;
	const char *key;

	while (p < eol && isspace((unsigned char) *p))
		p++;
	if (p == eol || *p == '#' || *p == '!')
		return false;
	key = p;
	while (p < eol && *p != '=' && *p != ':' && !isspace((unsigned char) *p))
		p++;
	setting->key = pnstrdup(key, p - key);
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p < eol && (*p == '=' || *p == ':'))
		p++;
	setting->value = trimmed(p, eol);
	if (setting->key[0] == '\0' || setting->value[0] == '\0')
		report_marker_syntax(setting, "a line \"key=value\"");
	return true;
}

static bool
is_word(const char *value, const char *word, bool ignore_case)
{
	return (ignore_case ? pg_strcasecmp(value, word) : strcmp(value, word)) == 0;
}

/*
 * Read a marker file and return what makes its migration non-transactional
 * ("run_in_transaction = false in 0003_x/metadata.toml, line 2"), or NULL:
 * the last setting of key decides; it is "true" or "false" (in any case when
 * ignore_case, as Java reads a boolean).
 */
static char *
read_marker_file(const MigrationDir *dir, const char *relpath, const char *key,
				 bool ignore_case,
				 bool (*split) (const char *line, const char *eol, MarkerSetting *setting))
{
	FileStamp	stamp;
	int			len;
	char	   *contents = schemata_read_file(dir, relpath, &len, &stamp);
	char	   *marker = NULL;
	MarkerSetting setting;
	int			offset = 0;

	setting.file = relpath;
	setting.line = 1;
	for (; offset < len; setting.line++)
	{
		const char *line = contents + offset;
		const char *eol = memchr(line, '\n', len - offset);

		if (eol == NULL)
			eol = contents + len;
		offset = eol - contents + 1;

		if (!split(line, eol, &setting) || strcmp(setting.key, key) != 0)
			continue;
		if (is_word(setting.value, "false", ignore_case))
			marker = psprintf("%s%sfalse in %s, line %d", key, ignore_case ? "=" : " = ",
							  relpath, setting.line);
		else if (is_word(setting.value, "true", ignore_case))
			marker = NULL;
		else
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("invalid value \"%s\" for \"%s\" in \"%s\", line %d",
							setting.value, key, relpath, setting.line),
					 errhint("\"%s\" is true or false.", key)));
	}
	return marker;
}

/* A diesel folder's metadata.toml, if it has one, says run_in_transaction. */
static void
read_diesel_metadata(const MigrationDir *dir, MigrationFile *file)
{
	char	   *relpath = psprintf("%s/%s", file->name, DIESEL_METADATA);
	FileStamp	stamp;

	if (!schemata_stat_file(dir, relpath, &stamp))
		return;
	file->no_transaction_marker = read_marker_file(dir, relpath, "run_in_transaction",
												   false, toml_setting);
	file->down_no_transaction_marker = file->no_transaction_marker;
}

/*
 * Flyway's "<script>.sql.conf" says executeInTransaction for the script it
 * is named after, an up (V) or down (U) script.  One beside no migration
 * script is ignored.
 */
static void
read_flyway_conf(const MigrationDir *dir, const char *conf)
{
	char	   *script = pnstrdup(conf, strlen(conf) - strlen(FLYWAY_CONF_SUFFIX));
	MigrationVersion version;
	MigrationFile *file;

	if (!schemata_flyway_version(script, &version))
		return;
	file = (MigrationFile *) schemata_find_migration(dir, &version);
	if (file == NULL)
		return;
	if (strcmp(file->up_file, script) == 0)
		file->no_transaction_marker = read_marker_file(dir, conf, "executeInTransaction",
													   true, properties_setting);
	else if (file->down_file != NULL && strcmp(file->down_file, script) == 0)
		file->down_no_transaction_marker = read_marker_file(dir, conf, "executeInTransaction",
															true, properties_setting);
}

/* The markers of every migration of a scanned directory. */
static void
read_markers(MigrationDir *dir, List *flyway_confs)
{
	ListCell   *lc;

	for (int i = 0; i < dir->nfiles; i++)
		if (dir->files[i].form == MIGRATION_FOLDER)
			read_diesel_metadata(dir, &dir->files[i]);
	foreach(lc, flyway_confs)
		read_flyway_conf(dir, (const char *) lfirst(lc));
}

/*
 * List and classify the migrations of a directory given as argument argname.
 * A directory with meta/_journal.json (Drizzle's) is read through it.
 */
MigrationDir *
schemata_scan_directory(const char *argname, const char *dir)
{
	MigrationDir *result = palloc0(sizeof(MigrationDir));
	CandidateList list = {0};
	List	   *sql_names = NIL;
	List	   *unversioned = NIL;
	List	   *folders = NIL;
	List	   *repeatable = NIL;
	List	   *journal = NIL;
	List	   *flyway_confs = NIL;
	bool		has_journal;
	Fence		fence;
	ScanContext scan;
	DIR		   *d;
	struct dirent *de;

	check_read_access(argname);
	fence = current_fence();
	result->path = check_directory(&fence, argname, dir);
	result->fd = -1;

	d = AllocateDir(result->path);
	if (d == NULL)
		ereport(ERROR,
				(errcode_for_path(),
				 errmsg("could not open migration directory \"%s\": %m", dir)));
	check_opened_directory(&fence, dirfd(d), dir);
	scan.fence = &fence;
	scan.path = result->path;
	scan.fd = dirfd(d);
	has_journal = regular_file_exists(&scan, JOURNAL_PATH);
	if (has_journal)
		journal = read_journal(&scan, result, &list);
	while ((de = ReadDir(d, result->path)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.')
			continue;
		if (has_suffix(de->d_name, len, ".sql"))
		{
			char	   *name = pstrdup(de->d_name);

			sql_names = lappend(sql_names, name);
			if (has_journal)
			{
				if (!name_listed(journal, name))
					unversioned = lappend(unversioned, name);
				continue;
			}
			switch (classify_sql_file(&scan, de, &list))
			{
				case SQL_MIGRATION:
					break;
				case SQL_UNVERSIONED:
					unversioned = lappend(unversioned, name);
					break;
				case SQL_REPEATABLE:
					repeatable = lappend(repeatable, name);
					break;
			}
		}
		else if (has_suffix(de->d_name, len, ".sql" FLYWAY_CONF_SUFFIX))
		{
			if (!has_journal)
				flyway_confs = lappend(flyway_confs, pstrdup(de->d_name));
		}
		else if (!has_journal && !classify_folder(&scan, de, &list))
			folders = lappend(folders, pstrdup(de->d_name));
	}
	FreeDir(d);

	collect_repeatables(result, repeatable);
	sort_candidates(&list);
	refuse_mixed_families(&list);
	pair_candidates(&list, result);
	read_markers(result, flyway_confs);
	if (result->nfiles == 0 && result->nrepeatables == 0 && sql_names != NIL)
		refuse_no_migration(sql_names);
	if (has_journal)
		report_ignored(unversioned, gettext_noop("ignoring files not listed in meta/_journal.json: %s"),
					   gettext_noop("Drizzle runs only the migrations its journal lists."));
	else
		report_ignored(unversioned, gettext_noop("ignoring .sql files without a version: %s"),
					   gettext_noop("A migration's name starts with its version, such as 0001_init.sql."));
	report_ignored(folders, gettext_noop("ignoring folders without a version: %s"),
				   gettext_noop("A migration folder's name starts with its version, such as 0001_init/."));
	return result;
}

/*
 * Keep the directory open while many of its files are read: each is then
 * opened relative to it.  fd.c closes it if an error ends the transaction;
 * otherwise schemata_close_directory() must, before the transaction ends.
 * When it cannot be opened, files are opened by their whole path, which
 * reports the error.  With the fence set, the directory opened must still
 * lie inside it: files are then opened below it following no symbolic link
 * (see open_migration_file()).
 */
void
schemata_open_directory(MigrationDir *dir)
{
	Assert(dir->fd < 0);
	dir->fd = OpenTransientFile(dir->path, O_RDONLY | O_DIRECTORY);
	if (dir->fd >= 0 && fence_is_set())
	{
		Fence		fence = current_fence();

		if (!fence_allows(&fence, descriptor_path(dir->fd)))
		{
			schemata_close_directory(dir);
			report_outside(dir->path);
		}
	}
}

void
schemata_close_directory(MigrationDir *dir)
{
	if (dir->fd >= 0)
		CloseTransientFile(dir->fd);
	dir->fd = -1;
}

/* 1-based line of byte offset "offset" in buf. */
static int
line_of_offset(const char *buf, int offset)
{
	int			line = 1;

	for (int i = 0; i < offset; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

static void
stamp_from_stat(const struct stat *st, FileStamp *stamp)
{
	stamp->device = (int64) st->st_dev;
	stamp->inode = (int64) st->st_ino;
	stamp->size = (int64) st->st_size;
	stamp->mtime_ns = (int64) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	stamp->ctime_ns = (int64) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/*
 * A migration file open for reading.  Opened relative to the directory's
 * descriptor, it is an external descriptor: fd.c has no openat(), and a path
 * walk of the whole path for each of thousands of files cost measurably.
 * Opened by path, it is one of fd.c's transient files.
 */
typedef struct OpenFile
{
	int			fd;
	bool		external;
} OpenFile;

static void
close_migration_file(OpenFile *file)
{
	if (file->external)
	{
		close(file->fd);
		ReleaseExternalFD();
	}
	else
		CloseTransientFile(file->fd);
}

/*
 * openat() of relpath below the directory open as dirfd following no
 * symbolic link: each folder on the way is opened on its own with
 * O_NOFOLLOW.  -1 with errno ELOOP or ENOTDIR where there is a link.
 */
static int
open_below(int dirfd, const char *relpath)
{
	const char *slash = strchr(relpath, '/');
	char	   *folder;
	int			folder_fd;
	int			fd;
	int			save_errno;

	if (slash == NULL)
		return openat(dirfd, relpath, FILE_OPEN_FLAGS | O_NOFOLLOW | O_CLOEXEC);
	folder = pnstrdup(relpath, slash - relpath);
	ReserveExternalFD();
	folder_fd = openat(dirfd, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (folder_fd < 0)
		fd = -1;
	else
		fd = open_below(folder_fd, slash + 1);
	save_errno = errno;
	if (folder_fd >= 0)
		close(folder_fd);
	ReleaseExternalFD();
	errno = save_errno;
	return fd;
}

static void
report_open_failure(const char *relpath)
{
	ereport(ERROR,
			(errcode_for_path(),
			 errmsg("could not open migration file \"%s\": %m", relpath)));
}

/*
 * With the fence set, open the directory's relpath resolved within the fence
 * by resolve_path(), and check where the file opened lies: a link swapped
 * meanwhile cannot lead outside.
 */
static OpenFile
open_resolved_file(const MigrationDir *dir, const char *relpath)
{
	OpenFile	file = {-1, false};
	Fence		fence = current_fence();
	char	   *resolved = NULL;
	struct stat st;

	switch (resolve_path(&fence, dir->path, relpath, &resolved, &st))
	{
		case RESOLVE_OUTSIDE:
			report_outside(relpath);
			break;
		case RESOLVE_FAILED:
			report_open_failure(relpath);
			break;
		case RESOLVED:
			break;
	}
	file.fd = OpenTransientFile(resolved, FILE_OPEN_FLAGS | O_NOFOLLOW);
	if (file.fd < 0)
		report_open_failure(relpath);
	if (!fence_allows(&fence, descriptor_path(file.fd)))
	{
		close_migration_file(&file);
		report_outside(relpath);
	}
	return file;
}

/*
 * Open the directory's relpath for reading, relative to the directory's
 * descriptor when it is open.  With the fence set, only what it allows:
 * below the open directory (checked when it was opened) following no
 * symbolic link, or else by open_resolved_file().  Never blocks: a FIFO
 * opens at once, and read_open_file() refuses it.
 */
static OpenFile
open_migration_file(const MigrationDir *dir, const char *relpath)
{
	OpenFile	file = {-1, false};
	bool		fenced = fence_is_set();

	if (dir->fd >= 0)
	{
		int			save_errno;

		ReserveExternalFD();
		file.fd = fenced ? open_below(dir->fd, relpath)
			: openat(dir->fd, relpath, FILE_OPEN_FLAGS | O_CLOEXEC);
		file.external = true;
		if (file.fd >= 0)
			return file;
		save_errno = errno;
		ReleaseExternalFD();
		errno = save_errno;
		if (!fenced || (errno != ELOOP && errno != ENOTDIR))
			report_open_failure(relpath);
	}
	else if (!fenced)
	{
		file.fd = OpenTransientFile(psprintf("%s/%s", dir->path, relpath), FILE_OPEN_FLAGS);
		if (file.fd < 0)
			report_open_failure(relpath);
		return file;
	}
	return open_resolved_file(dir, relpath);
}

/*
 * Read the open file whole into a palloc'd buffer of its size + 1 bytes,
 * checking for a cancel between reads.  *nread may be less than the size if
 * the file shrank meanwhile.
 */
static char *
read_open_file(int fd, const char *relpath, int64 limit, off_t *nread, FileStamp *stamp)
{
	struct stat st;
	char	   *buf;

	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat migration file \"%s\": %m", relpath)));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" in the migration directory is not a regular file", relpath),
				 errdetail("Only regular files are read as migrations.")));
	if (st.st_size > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("migration file \"%s\" is too large (%lld bytes)",
						relpath, (long long) st.st_size),
				 errdetail("The limit set by \"schemata.max_file_size\" is %lld bytes.",
						   (long long) limit)));
	stamp_from_stat(&st, stamp);
	buf = palloc(st.st_size + 1);
	*nread = 0;
	while (*nread < st.st_size)
	{
		ssize_t		r;

		CHECK_FOR_INTERRUPTS();
		r = read(fd, buf + *nread, Min(st.st_size - *nread, READ_CHUNK));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read migration file \"%s\": %m", relpath)));
		if (r == 0)
			break;				/* the file shrank while we read it */
		*nread += r;
	}
	return buf;
}

/*
 * The whole text of dir/relpath, NUL-terminated, checked to hold no NUL byte
 * and to be valid in the database encoding.  A UTF-8 byte order mark is
 * dropped.  *stamp gets the file's stat data from before it was read.
 */
char *
schemata_read_file(const MigrationDir *dir, const char *relpath, int *len, FileStamp *stamp)
{
	OpenFile	file;
	char	   *volatile buf = NULL;
	off_t		nread = 0;
	int			valid;
	int64		limit = (int64) schemata_max_file_size_kb * 1024;

	file = open_migration_file(dir, relpath);
	PG_TRY();
	{
		buf = read_open_file(file.fd, relpath, limit, &nread, stamp);
	}
	PG_FINALLY();
	{
		close_migration_file(&file);
	}
	PG_END_TRY();
	buf[nread] = '\0';

	if (nread >= 3 && GetDatabaseEncoding() == PG_UTF8 &&
		memcmp(buf, "\xef\xbb\xbf", 3) == 0)
	{
		memmove(buf, buf + 3, nread - 3 + 1);
		nread -= 3;
	}

	if (memchr(buf, '\0', nread) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" contains a NUL byte at line %d", relpath,
						line_of_offset(buf, (char *) memchr(buf, '\0', nread) - buf)),
				 errhint("Migration files must be text.")));

	valid = pg_encoding_verifymbstr(GetDatabaseEncoding(), buf, nread);
	if (valid < nread)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" is not valid in encoding \"%s\" at line %d",
						relpath, GetDatabaseEncodingName(), line_of_offset(buf, valid)),
				 errhint("Save the file in the database encoding.")));

	*len = (int) nread;
	return buf;
}

/*
 * The stat data of dir/relpath, for the checksum cache; false when it cannot
 * be had or the file is not a regular one (reading it then reports why).
 * The same access checks as schemata_read_file().
 */
bool
schemata_stat_file(const MigrationDir *dir, const char *relpath, FileStamp *stamp)
{
	struct stat st;
	int			rc;
	bool		fenced = fence_is_set();
	int			flags = fenced ? AT_SYMLINK_NOFOLLOW : 0;

	if (dir->fd >= 0)
		rc = fstatat(dir->fd, relpath, &st, flags);
	else
		rc = fstatat(AT_FDCWD, psprintf("%s/%s", dir->path, relpath), &st, flags);
	if (rc == 0 && S_ISLNK(st.st_mode))
	{
		Fence		fence = current_fence();
		char	   *resolved;

		if (resolve_path(&fence, dir->path, relpath, &resolved, &st) != RESOLVED)
			return false;
	}
	if (rc != 0 || !S_ISREG(st.st_mode))
		return false;
	stamp_from_stat(&st, stamp);
	return true;
}

/* The migration of a scanned directory with this version, or NULL. */
const MigrationFile *
schemata_find_migration(const MigrationDir *dir, const MigrationVersion *version)
{
	int			low = 0;
	int			high = dir->nfiles - 1;

	while (low <= high)
	{
		int			mid = low + (high - low) / 2;
		int			cmp = schemata_version_cmp(&dir->files[mid].version, version);

		if (cmp == 0)
			return &dir->files[mid];
		if (cmp < 0)
			low = mid + 1;
		else
			high = mid - 1;
	}
	return NULL;
}
