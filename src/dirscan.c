/*-------------------------------------------------------------------------
 *
 * dirscan.c
 *	  Reading a migration directory: who may, which paths, which entries,
 *	  and the text of each file.
 *
 * A directory is read the way pg_read_file() reads server files: only
 * superusers and roles with the privileges of pg_read_server_files may, the
 * path must be absolute, and when schemata.allowed_directories is set the
 * directory and every file read from it must resolve (after "..", and
 * symbolic links) to a place under one of its entries.
 *
 * Entries (see README): "0001_x.sql" (maybe with -- migrate: sections),
 * "0001_x.up.sql" + "0001_y.down.sql" paired by version, and folders
 * "0001_x/" holding up.sql and maybe down.sql.  Names starting with '.',
 * files not ending in ".sql" and folders without a version are ignored; .sql
 * files without a version are ignored with a NOTICE listing them.  Two
 * entries with one version, a folder without up.sql and a down script
 * without an up script are errors.
 *
 * Files are read whole.  A file larger than schemata.max_file_size, holding a
 * NUL byte or not valid in the database encoding is an error naming it.
 *
 * IDENTIFICATION
 *	  src/dirscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid_d.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "schemata.h"

/* How many names an errdetail or notice lists before counting the rest. */
#define NAMES_SHOWN 20

/* An entry of the directory before up and down scripts are paired. */
typedef struct Candidate
{
	MigrationVersion version;
	MigrationForm form;
	bool		is_down;
	char	   *name;
	char	   *file;			/* relative path of the script */
	char	   *folder_down;	/* a folder's down.sql, or NULL */
} Candidate;

typedef struct CandidateList
{
	int			count;
	int			size;
	Candidate  *items;
} CandidateList;

/*
 * SQLSTATE for a failed file operation.  Like errcode_for_file_access(), but
 * no errno becomes an internal error.
 */
static int
file_errcode(int err)
{
	switch (err)
	{
		case ENOENT:
			return ERRCODE_UNDEFINED_FILE;
		case EACCES:
		case EPERM:
		case EROFS:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case ENOTDIR:
		case EISDIR:
			return ERRCODE_WRONG_OBJECT_TYPE;
		case ENFILE:
		case EMFILE:
		case ENOMEM:
			return ERRCODE_INSUFFICIENT_RESOURCES;
		case ELOOP:
		case ENAMETOOLONG:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		default:
			return ERRCODE_IO_ERROR;
	}
}

/*
 * Reading server files is for superusers and pg_read_server_files, as for
 * pg_read_file() and COPY FROM a file.
 */
void
schemata_check_read_access(const char *argname)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read migration directory given as %s", argname),
				 errhint("Only superusers and roles with privileges of the \"pg_read_server_files\" role may read migration directories.")));
}

/*
 * Resolve a path's symbolic links and "..", erroring with the name the user
 * knows it by.
 */
static char *
resolve_path(const char *path, const char *shown)
{
	char	   *resolved = realpath(path, NULL);
	char	   *result;

	if (resolved == NULL)
	{
		int			err = errno;

		ereport(ERROR,
				(errcode(file_errcode(err)),
				 errmsg("could not resolve path \"%s\": %m", shown)));
	}
	result = pstrdup(resolved);
	free(resolved);
	return result;
}

/* Whether schemata.allowed_directories is set. */
static bool
directories_restricted(void)
{
	return schemata_allowed_directories != NULL && schemata_allowed_directories[0] != '\0';
}

/*
 * With schemata.allowed_directories set, "path" must resolve to one of its
 * entries or to a place below one.
 */
static void
check_allowed(const char *path, const char *shown)
{
	char	   *rawlist;
	List	   *roots;
	ListCell   *lc;
	char	   *resolved;

	if (!directories_restricted())
		return;

	resolved = resolve_path(path, shown);
	rawlist = pstrdup(schemata_allowed_directories);
	if (!SplitDirectoriesString(rawlist, ',', &roots))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in parameter \"%s\"",
						"schemata.allowed_directories")));

	foreach(lc, roots)
	{
		char	   *root = realpath((char *) lfirst(lc), NULL);
		bool		inside;

		/* a root that does not exist allows nothing */
		if (root == NULL)
			continue;
		inside = path_is_prefix_of_path(root, resolved);
		free(root);
		if (inside)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("\"%s\" is outside the directories allowed by schemata.allowed_directories",
					shown),
			 errdetail("It resolves to a path outside \"%s\".", schemata_allowed_directories)));
}

/*
 * The directory argument: absolute, existing, a directory, allowed.
 */
static char *
check_directory(const char *argname, const char *dir)
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

	path = pstrdup(dir);
	canonicalize_path(path);

	if (stat(path, &st) != 0)
	{
		int			err = errno;

		if (err == ENOENT)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("migration directory \"%s\" does not exist", dir)));
		ereport(ERROR,
				(errcode(file_errcode(err)),
				 errmsg("could not access migration directory \"%s\": %m", dir)));
	}
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", dir),
				 errdetail("The argument %s must name a directory of migration files.", argname)));

	check_allowed(path, dir);
	return path;
}

/* Whether a directory entry is a regular file or a folder, following links. */
static bool
entry_is(const char *dirpath, const struct dirent *de, const char *shown, bool want_dir)
{
	char	   *path;
	struct stat st;

#ifdef _DIRENT_HAVE_D_TYPE
	if (de->d_type == DT_REG)
		return !want_dir;
	if (de->d_type == DT_DIR)
		return want_dir;
#endif
	path = psprintf("%s/%s", dirpath, de->d_name);
	if (stat(path, &st) != 0)
	{
		int			err = errno;

		ereport(ERROR,
				(errcode(file_errcode(err)),
				 errmsg("could not access \"%s\" in the migration directory: %m", shown)));
	}
	return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* Whether dirpath/relpath exists as a regular file. */
static bool
regular_file_exists(const char *dirpath, const char *relpath)
{
	char	   *path = psprintf("%s/%s", dirpath, relpath);
	struct stat st;

	if (stat(path, &st) != 0)
	{
		int			err = errno;

		if (err == ENOENT)
			return false;
		ereport(ERROR,
				(errcode(file_errcode(err)),
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
	if (list->count == list->size)
	{
		list->size = list->size ? list->size * 2 : 64;
		list->items = list->items
			? repalloc(list->items, list->size * sizeof(Candidate))
			: palloc(list->size * sizeof(Candidate));
	}
	memset(&list->items[list->count], 0, sizeof(Candidate));
	return &list->items[list->count++];
}

static bool
has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t		slen = strlen(suffix);

	return len > slen && strcmp(name + len - slen, suffix) == 0;
}

/*
 * Classify one file whose name ends in ".sql".  Returns false when it has no
 * version.
 */
static bool
classify_sql_file(const char *dirpath, const struct dirent *de, CandidateList *list)
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

	if (!schemata_version_from_name(stem, &c.version))
		return false;
	if (!entry_is(dirpath, de, name, false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" in the migration directory is not a regular file", name),
				 errdetail("Names ending in \".sql\" must be migration files.")));

	c.name = pstrdup(name);
	c.file = c.name;
	*add_candidate(list) = c;
	return true;
}

/*
 * A folder whose name starts with a version is a migration holding up.sql
 * and maybe down.sql.
 */
static void
classify_folder(const char *dirpath, const struct dirent *de, CandidateList *list)
{
	Candidate	c;
	char	   *down;

	memset(&c, 0, sizeof(c));
	if (!schemata_version_from_name(de->d_name, &c.version) ||
		!entry_is(dirpath, de, de->d_name, true))
		return;

	c.form = MIGRATION_FOLDER;
	c.name = pstrdup(de->d_name);
	c.file = psprintf("%s/up.sql", c.name);
	if (!regular_file_exists(dirpath, c.file))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("migration folder \"%s\" has no up.sql", c.name),
				 errhint("A folder whose name starts with a version must hold up.sql, and may hold down.sql.")));
	down = psprintf("%s/down.sql", c.name);
	c.folder_down = regular_file_exists(dirpath, down) ? down : NULL;
	*add_candidate(list) = c;
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
		order[i].rank = v->ndigits <= SCHEMATA_VERSION_KEY_DIGITS
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

/*
 * A list of names (strings), comma-separated, for an errdetail; after
 * NAMES_SHOWN of them the rest are counted.
 */
char *
schemata_join_names(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (foreach_current_index(lc) == NAMES_SHOWN)
		{
			appendStringInfo(&buf, " and %d more", list_length(names) - NAMES_SHOWN);
			break;
		}
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (const char *) lfirst(lc));
	}
	return buf.data;
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

static void
report_ignored(List *ignored)
{
	if (ignored == NIL)
		return;
	list_sort(ignored, compare_names);
	ereport(NOTICE,
			(errmsg("ignoring .sql files without a version: %s", schemata_join_names(ignored)),
			 errhint("A migration's name starts with its version, such as 0001_init.sql.")));
}

/*
 * Pair the sorted candidates into migrations: per version one up script and
 * at most one down script.
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
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("down script \"%s\" has no up script", up->name),
					 errhint("Up and down scripts pair by version: add a file named %s_<name>.up.sql.",
							 up->version.text)));
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

		file = &result->files[result->nfiles++];
		file->version = up->version;
		file->form = up->form;
		file->name = up->name;
		file->up_file = up->file;
		file->down_file = j == i + 2 ? list->items[i + 1].file : up->folder_down;
		i = j;
	}
}

/*
 * List and classify the migrations of a directory given as argument argname.
 */
MigrationDir *
schemata_scan_directory(const char *argname, const char *dir)
{
	MigrationDir *result = palloc0(sizeof(MigrationDir));
	CandidateList list = {0};
	List	   *ignored = NIL;
	DIR		   *d;
	struct dirent *de;

	schemata_check_read_access(argname);
	result->path = check_directory(argname, dir);
	result->fd = -1;

	d = AllocateDir(result->path);
	while ((de = ReadDir(d, result->path)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.')
			continue;
		if (has_suffix(de->d_name, len, ".sql"))
		{
			if (!classify_sql_file(result->path, de, &list))
				ignored = lappend(ignored, pstrdup(de->d_name));
		}
		else
			classify_folder(result->path, de, &list);
	}
	FreeDir(d);

	report_ignored(ignored);
	sort_candidates(&list);
	pair_candidates(&list, result);
	return result;
}

/*
 * Keep the directory open while many of its files are read: each is then
 * opened relative to it.  fd.c closes it if an error ends the transaction;
 * otherwise schemata_close_directory() must, before the transaction ends.
 * When it cannot be opened, files are opened by their whole path, which
 * reports the error.
 */
void
schemata_open_directory(MigrationDir *dir)
{
	Assert(dir->fd < 0);
	dir->fd = OpenTransientFile(dir->path, O_RDONLY | O_DIRECTORY);
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

/* How far reading a file got: what failed, or READ_DONE. */
typedef enum FileReadStep
{
	READ_DONE,
	READ_OPEN,					/* open failed, errno in err */
	READ_STAT,					/* fstat failed, errno in err */
	READ_NOT_REGULAR,
	READ_TOO_LARGE,
	READ_NO_MEMORY,
	READ_READ					/* read failed, errno in err */
} FileReadStep;

typedef struct FileContents
{
	FileReadStep step;
	int			err;
	off_t		size;			/* from fstat */
	FileStamp	stamp;			/* from fstat */
	char	   *buf;			/* size + 1 bytes */
	off_t		nread;
} FileContents;

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
 * Open, stat and read dir/relpath, relative to the directory's descriptor
 * when it is open (a path walk of one name instead of the whole path, for
 * each of thousands of files).  The descriptor is not one of fd.c's, so
 * nothing here may raise an error while it is open: failures are recorded
 * in *fr and reported by the caller once it is closed.
 */
static void
read_whole_file(const MigrationDir *dir, const char *relpath, int64 limit, FileContents *fr)
{
	char	   *path = dir->fd >= 0 ? NULL : psprintf("%s/%s", dir->path, relpath);
	int			fd;
	struct stat st;

	memset(fr, 0, sizeof(FileContents));
	ReserveExternalFD();
	if (path == NULL)
		fd = openat(dir->fd, relpath, O_RDONLY | PG_BINARY);
	else
		fd = open(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		fr->step = READ_OPEN;
		fr->err = errno;
		ReleaseExternalFD();
		return;
	}

	if (fstat(fd, &st) != 0)
	{
		fr->step = READ_STAT;
		fr->err = errno;
	}
	else if (!S_ISREG(st.st_mode))
		fr->step = READ_NOT_REGULAR;
	else if ((fr->size = st.st_size) > limit)
		fr->step = READ_TOO_LARGE;
	else if ((fr->buf = palloc_extended(fr->size + 1, MCXT_ALLOC_NO_OOM)) == NULL)
		fr->step = READ_NO_MEMORY;
	else
		stamp_from_stat(&st, &fr->stamp);

	while (fr->step == READ_DONE && fr->nread < fr->size)
	{
		ssize_t		r = read(fd, fr->buf + fr->nread, fr->size - fr->nread);

		if (r < 0)
		{
			fr->step = READ_READ;
			fr->err = errno;
		}
		else if (r == 0)
			break;				/* the file shrank while we read it */
		else
			fr->nread += r;
	}
	close(fd);
	ReleaseExternalFD();
}

/* The error for a file that read_whole_file() could not read. */
static void
report_read_failure(const FileContents *fr, const char *relpath, int64 limit)
{
	errno = fr->err;
	switch (fr->step)
	{
		case READ_DONE:
			break;
		case READ_OPEN:
			ereport(ERROR,
					(errcode(file_errcode(fr->err)),
					 errmsg("could not open migration file \"%s\": %m", relpath)));
			break;
		case READ_STAT:
			ereport(ERROR,
					(errcode(file_errcode(fr->err)),
					 errmsg("could not stat migration file \"%s\": %m", relpath)));
			break;
		case READ_NOT_REGULAR:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" in the migration directory is not a regular file", relpath)));
			break;
		case READ_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("migration file \"%s\" is too large (%lld bytes)",
							relpath, (long long) fr->size),
					 errdetail("The limit set by schemata.max_file_size is %lld bytes.",
							   (long long) limit)));
			break;
		case READ_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Failed on request of size %lld in memory context \"%s\".",
							   (long long) fr->size + 1, CurrentMemoryContext->name)));
			break;
		case READ_READ:
			ereport(ERROR,
					(errcode(file_errcode(fr->err)),
					 errmsg("could not read migration file \"%s\": %m", relpath)));
			break;
	}
}

/*
 * The whole text of dir/relpath, NUL-terminated, checked to hold no NUL byte
 * and to be valid in the database encoding.  A UTF-8 byte order mark is
 * dropped.  *stamp gets the file's stat data from before it was read.
 */
char *
schemata_read_file(const MigrationDir *dir, const char *relpath, int *len, FileStamp *stamp)
{
	FileContents fr;
	char	   *buf;
	off_t		nread;
	int			valid;
	int64		limit = (int64) schemata_max_file_size_kb * 1024;

	if (directories_restricted())
		check_allowed(psprintf("%s/%s", dir->path, relpath), relpath);

	read_whole_file(dir, relpath, limit, &fr);
	if (fr.step != READ_DONE)
		report_read_failure(&fr, relpath, limit);
	buf = fr.buf;
	nread = fr.nread;
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
	*stamp = fr.stamp;
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

	if (directories_restricted())
		check_allowed(psprintf("%s/%s", dir->path, relpath), relpath);
	if (dir->fd >= 0)
		rc = fstatat(dir->fd, relpath, &st, 0);
	else
		rc = stat(psprintf("%s/%s", dir->path, relpath), &st);
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
