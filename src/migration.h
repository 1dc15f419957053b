/*-------------------------------------------------------------------------
 *
 * migration.h
 *	  Declarations of the migration side: directories, scripts, history, runs.
 *
 * The pieces, in layers: each file calls only the files of its own layer
 * listed before it and those of the layers below (and common.h's
 * searchpath.c, subxact.c and util.c), so that no files call each other in
 * a circle.
 *
 *	1 scan
 *	  version.c   migration versions: parsing names, ordering
 *	  dirscan.c   reading a migration directory: access checks, entries
 *	              (Flyway's repeatable R__x.sql collected apart), files
 *	2 parse and check
 *	  sha256.c    SHA-256, whole or piece by piece, and its hex checksum
 *	  script.c    one migration script: sections, tokens, checksum, statements
 *	3 lock
 *	  lock.c      the target lock: the advisory lock of a target schema
 *	4 history
 *	  history.c   the history table schemata.migrations, read and written as
 *	              the extension's owner
 *	  checksums.c the checksum cache: files' stat data and checksums, so that
 *	              unchanged files need not be read again; a migration's
 *	              checksum through it
 *	  repeatable.c Flyway's repeatable migrations: which are pending, the row
 *	              a new run replaces
 *	5 run
 *	  runner.c    running a checked script through SPI
 *	  worker.c    running a non-transactional migration outside any
 *	              transaction, in a background worker
 *	  retry.c     lock_timeout and lock_retries: a migration tried again
 *	              after a lock timeout
 *	  access.c    who may apply, change or read a history; the role a down
 *	              script runs as
 *	6 record and entry points
 *	  apply.c     apply/plan: pending migrations from directory and history,
 *	              their checks, their run and their history rows
 *	  migrate.c   migrate: apply with a commit after each migration
 *	  status.c    status/version
 *	  rollback.c  rollback/rollback_each: undoing applied migrations with
 *	              their down scripts
 *	  baseline.c  baseline/repair: recording migrations without running them
 *	  adopt.c     adopt: recording another tool's history as baseline rows
 *	  lint.c      lint: what pending migrations would do to live tables
 *	  rehearse.c  rehearse: pending migrations run, observed, rolled back
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/migration.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMATA_MIGRATION_H
#define SCHEMATA_MIGRATION_H

#include "common.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "tcop/dest.h"
#include "utils/array.h"

/* ----------------------------------------------------------------
 * Layer 1, scan: versions, directories, files
 * ----------------------------------------------------------------
 */

/*
 * version.c
 *
 * A version is the run of all-digit tokens at the start of a name (tokens
 * split at '_', '-', '.').  "digits" holds what comparison uses: for dates all
 * the digits, for numbers the digits without leading zeros.
 */
typedef struct MigrationVersion
{
	char	   *text;			/* as written: "0001", "2024-01-15" */
	char	   *digits;			/* comparison key, see above */
	bool		is_date;		/* >= 8 digits starting with 19 or 20 */
	int			ndigits;		/* strlen(digits), for comparing */
	bool		in_parts;		/* several tokens, not a date: compared part
								 * by part ("1.10" after "1.9") */
	uint64		key;			/* digits as a number, if ndigits <=
								 * SCHEMATA_VERSION_KEY_DIGITS; else 0 */
} MigrationVersion;

/* Most digits whose number fits a uint64. */
#define SCHEMATA_VERSION_KEY_DIGITS 19

extern bool schemata_version_from_name(const char *name, MigrationVersion *version);
extern bool schemata_flyway_version(const char *name, MigrationVersion *version);
extern bool schemata_version_from_text(const char *text, MigrationVersion *version);
extern int	schemata_version_cmp(const MigrationVersion *a, const MigrationVersion *b);
extern MigrationVersion schemata_version_argument(const char *argname, const char *text);

/*
 * dirscan.c
 */
typedef enum MigrationForm
{
	MIGRATION_FILE,				/* 0001_x.sql, maybe with -- migrate: sections */
	MIGRATION_PAIR,				/* 0001_x.up.sql (+ 0001_y.down.sql) */
	MIGRATION_FOLDER			/* 0001_x/up.sql (+ down.sql) */
} MigrationForm;

typedef struct MigrationFile
{
	MigrationVersion version;
	MigrationForm form;
	char	   *name;			/* the entry's name, shown to users */
	char	   *up_file;		/* path of the up script, relative to dir */
	char	   *down_file;		/* path of a separate down script, or NULL */

	/*
	 * A tool's own way of saying the migration cannot run in a transaction,
	 * found while scanning (diesel's metadata.toml, Flyway's .sql.conf): what
	 * says so, for messages ("0001_x/metadata.toml"), or NULL.
	 */
	char	   *no_transaction_marker;
	char	   *down_no_transaction_marker; /* the same for the down script */
	char	   *journal_when;	/* Drizzle: its journal entry's "when", as
								 * written; else NULL (for adopt()) */
} MigrationFile;

/*
 * What stat() says of a file that tells whether it changed: any write to it
 * sets its ctime, which no user can set back.
 */
typedef struct FileStamp
{
	int64		device;
	int64		inode;
	int64		size;
	int64		mtime_ns;		/* nanoseconds since the Unix epoch */
	int64		ctime_ns;
} FileStamp;

typedef struct MigrationDir
{
	char	   *path;			/* canonical absolute path */
	int			nfiles;
	MigrationFile *files;		/* sorted by version, no duplicates */
	int			nrepeatables;
	MigrationFile *repeatables; /* R__x.sql, sorted by name (repeatable.c) */
	int			fd;				/* of path, while schemata_open_directory()
								 * keeps it open; else -1 */
	struct ChecksumCache *checksums;	/* see checksums.c; NULL: none */
} MigrationDir;

extern MigrationDir *schemata_scan_directory(const char *argname, const char *dir);
extern char *schemata_read_file(const MigrationDir *dir, const char *relpath, int *len,
								FileStamp *stamp);
extern bool schemata_stat_file(const MigrationDir *dir, const char *relpath, FileStamp *stamp);
extern int	schemata_errdetail_missing_files(List *missing);
extern const MigrationFile *schemata_find_migration(const MigrationDir *dir,
													const MigrationVersion *version);
extern void schemata_open_directory(MigrationDir *dir);
extern void schemata_close_directory(MigrationDir *dir);
extern bool schemata_is_repeatable(const char *name);
extern bool schemata_file_is_repeatable(const MigrationDir *dir, const MigrationFile *file);

/* ----------------------------------------------------------------
 * Layer 2, parse and check: SHA-256, scripts
 * ----------------------------------------------------------------
 */

/*
 * sha256.c
 */
typedef struct Sha256 Sha256;

extern Sha256 *schemata_sha256_begin(void);
extern void schemata_sha256_add(Sha256 *sha, const char *data, size_t len);
extern void schemata_sha256_end(Sha256 *sha, uint8 *digest);
extern void schemata_sha256(const char *data, size_t len, uint8 *digest);
extern void schemata_checksum_hex(const uint8 *digest, char *checksum);
extern void schemata_sha256_hex(const char *data, size_t len, char *checksum);

/*
 * script.c
 */
typedef struct ScriptStatement
{
	int			offset;			/* of its first token in the script text */
	int			length;			/* up to the end of its last token */
	int			line;			/* line in the file */
	bool		skip;			/* BEGIN/COMMIT, dropped */
	bool		ends_block;		/* a dropped COMMIT/END (else a dropped BEGIN) */
	bool		adds_enum_value;	/* ALTER TYPE ... ADD VALUE */
} ScriptStatement;

typedef struct Script
{
	const char *file;			/* file name relative to dir, for messages */
	char	   *sql;			/* the script's text, NUL-terminated */
	int			len;
	int			first_line;		/* line of the file on which sql starts */
	/* set by schemata_scan_script */
	int			ntokens;
	int		   *token_start;
	int		   *token_end;
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];
	/* set by schemata_parse_script */
	int			nstatements;	/* statements to run (without skipped ones) */
	int			nparsed;
	ScriptStatement *statements;

	/*
	 * Why the script cannot run inside a transaction block, or NULL: the
	 * first statement that cannot ("CREATE INDEX CONCURRENTLY", set by
	 * schemata_parse_script) or the tool's marker that says so, with its file
	 * and line (dbmate's "transaction:false", a MigrationFile's
	 * no_transaction_marker); and the line of the statement (0 for a marker).
	 */
	const char *non_transactional;
	int			non_transactional_line;
} Script;

/* The up and down scripts of one migration, as read from its file(s). */
typedef struct MigrationScripts
{
	Script		up;
	Script		down;
	bool		has_down;
	FileStamp	up_stamp;		/* of the up script's file, as it was read */
	FileStamp	down_stamp;		/* of a separate down script's file */
	char	   *down_problem;	/* why the down script fails the checks, or
								 * NULL (schemata_check_migration) */
} MigrationScripts;

extern void schemata_read_migration(const MigrationDir *dir, const MigrationFile *file,
									MigrationScripts *scripts);
extern void schemata_scan_script(Script *script);
extern void schemata_parse_script(Script *script, bool notify);
extern void schemata_script_from_text(Script *script, const char *file, char *sql);
extern char *schemata_statement_text(const Script *script, const ScriptStatement *stmt);
extern void schemata_refuse_string_syntax_change(void);
extern void schemata_statement_context(const Script *script, const ScriptStatement *stmt);

/* ----------------------------------------------------------------
 * Layer 3, lock: the target lock
 * ----------------------------------------------------------------
 */

/*
 * lock.c
 */
extern void schemata_lock_target(const char *target_schema);
extern void schemata_lock_target_session(const char *target_schema);
extern void schemata_unlock_target_session(const char *target_schema);
extern bool schemata_target_lock_held(const char *target_schema);

/* ----------------------------------------------------------------
 * Layer 4, history: the history table, the checksum cache,
 * repeatable migrations
 * ----------------------------------------------------------------
 */

/*
 * history.c
 */
typedef struct HistoryRow
{
	MigrationVersion version;
	char	   *name;
	char	   *checksum;		/* NULL for a baseline row without a file */
	int			batch;
	TimestampTz applied_at;
	char	   *applied_by;
	double		duration_ms;
} HistoryRow;

typedef struct History
{
	int			nrows;
	HistoryRow *rows;			/* sorted by version */
	int			max_batch;		/* 0 when empty */
	const MigrationVersion *baseline;	/* highest baseline version, or NULL */
	int			nrepeatables;
	HistoryRow *repeatables;	/* rows of repeatable migrations, sorted by
								 * name, version not parsed (repeatable.c) */
} History;

extern void schemata_check_history_snapshot(const char *target_schema);
extern History *schemata_load_history(const char *target_schema);
typedef void (*OwnerRowCallback) (TupleTableSlot *slot, void *arg);
extern uint64 schemata_select_as_owner(const char *sql, const char *target_schema,
									   OwnerRowCallback row, void *arg);
extern uint64 schemata_execute_as_owner(const char *sql, int nargs, Oid *argtypes, Datum *args,
										const char *nulls, bool read_only, int expected);
typedef struct HistoryQueue HistoryQueue;
extern HistoryQueue *schemata_history_queue(const char *target_schema);
extern void schemata_queue_migration(HistoryQueue *queue, const MigrationFile *file,
									 const MigrationScripts *scripts, int batch,
									 double duration_ms);
extern void schemata_flush_history(HistoryQueue *queue);
extern const HistoryRow *schemata_history_latest(const History *history);
extern bool schemata_covered_by_baseline(const History *history, const MigrationFile *file);
extern const HistoryRow *schemata_repeatable_row(const History *history, const char *key);

/* The batch of history rows recorded by baseline(); apply's batches are > 0. */
#define SCHEMATA_BASELINE_BATCH 0

extern void schemata_queue_baseline(HistoryQueue *queue, const char *version,
									const char *name, const char *checksum,
									const char *down_sql);
extern char *schemata_load_down_sql(const char *target_schema, const HistoryRow *row);
extern void schemata_delete_migration(const char *target_schema, const HistoryRow *row);
extern bool schemata_update_recorded(const char *target_schema, const HistoryRow *row,
									 const char *name, const char *checksum,
									 const char *down_sql);

/*
 * checksums.c
 */
extern void schemata_load_checksums(MigrationDir *dir, const char *target_schema, bool record);
extern void schemata_offer_checksum(const MigrationDir *dir, const MigrationFile *file,
									const FileStamp *stamp, const char *checksum);
extern void schemata_save_checksums(const MigrationDir *dir, bool all);
extern void schemata_migration_checksum(const MigrationDir *dir, const MigrationFile *file,
										char *checksum);

/*
 * repeatable.c
 */
extern bool schemata_repeatable_pending(const MigrationDir *dir, const History *history,
										const MigrationFile *file);
extern void schemata_forget_repeatable(const char *target_schema, const MigrationDir *dir,
									   const History *history, const MigrationFile *file);

/* ----------------------------------------------------------------
 * Layer 5, run: scripts through SPI, in a background worker, again
 * after a lock timeout; as whom
 * ----------------------------------------------------------------
 */

/*
 * runner.c
 */

/*
 * What the runner needs to know to add a way out to the hint of an error
 * that comes from running many migrations in one transaction.
 */
typedef struct RunHints
{
	bool		one_transaction;	/* apply(): the whole call is one
									 * transaction */
	const MigrationFile *migration; /* the migration being run */
	const MigrationFile *enum_added_by; /* latest earlier migration of this
										 * call with ALTER TYPE ... ADD VALUE,
										 * or NULL */
} RunHints;

extern double schemata_run_script(const Script *script, const char *target_schema);
extern double schemata_run_migration(const Script *script, const char *target_schema,
									 const RunHints *hints);
extern bool schemata_script_running(void);
extern void schemata_enter_migration_worker(void);
extern char *schemata_migration_search_path(const char *target_schema);
extern void schemata_ensure_schema(const char *target_schema);
extern void schemata_check_target_schema(const char *target_schema);

/*
 * worker.c
 */
extern double schemata_run_outside_transaction(const Script *script,
											   const char *target_schema, Oid role);

/*
 * retry.c
 */

/* The options of apply(), migrate(), plan(), lint() and rehearse(). */
typedef struct ApplyOptions
{
	const char *dir;
	const char *target_schema;
	const char *to_version;		/* NULL: all */
	bool		allow_out_of_order;
	const char *lock_timeout;	/* for each statement; NULL: the caller's */
	int			lock_retries;	/* tries after a lock timeout (retry.c) */
} ApplyOptions;

extern void schemata_check_lock_options(ApplyOptions *options, const char *lock_timeout,
										int lock_retries);
extern double schemata_run_migration_with_retries(const Script *script,
												  const ApplyOptions *options,
												  const RunHints *hints);

/*
 * access.c
 */
extern void schemata_check_may_apply(const char *target_schema);
extern void schemata_check_may_change_history(const char *target_schema);
extern void schemata_check_may_read_history(const char *target_schema);
extern bool schemata_may_act_as(const char *rolename);
extern Oid	schemata_down_script_role(const HistoryRow *row);
extern double schemata_run_script_as(const Script *script, const char *target_schema,
									 Oid role);

/* ----------------------------------------------------------------
 * Layer 6, record and entry points: apply/plan, migrate, status,
 * rollback, baseline/repair, adopt, lint, rehearse
 * ----------------------------------------------------------------
 */

/*
 * apply.c
 */
typedef struct PlannedMigration
{
	const MigrationFile *file;
	char		checksum[SCHEMATA_CHECKSUM_LEN + 1];
	char		down_checksum[SCHEMATA_CHECKSUM_LEN + 1];	/* if has_down */
	int			nstatements;
	bool		has_down;
	bool		down_ok;		/* its down script passes the checks (with
								 * has_down) */
	bool		non_transactional;	/* its up script cannot run in a
									 * transaction (Script.non_transactional) */
	char	   *down_problem;	/* why its down script fails the checks, or
								 * NULL */
	char	   *up_sql;			/* kept only when planning */
} PlannedMigration;

/* The pending migrations that apply() would run, after every check. */
typedef struct MigrationPlan
{
	MigrationDir *dir;
	History    *history;
	int			npending;
	PlannedMigration *pending;
	HistoryQueue *recorded;		/* rows of the migrations run, not yet
								 * inserted (see schemata_save_records) */
} MigrationPlan;

/* A walk over directory entries and history rows together (apply.c). */
typedef struct MergeCursor
{
	const MigrationDir *dir;	/* may be NULL: history only */
	const History *history;
	int			next_file;
	int			next_row;
} MergeCursor;

extern bool schemata_merge_next(MergeCursor *cursor, const MigrationFile **file,
								const HistoryRow **row);

/* What apply() reports for each migration it ran. */
typedef void (*AppliedCallback) (const PlannedMigration *migration, double duration_ms,
								 void *arg);

extern bool schemata_check_migration(const MigrationDir *dir, const MigrationFile *file,
									 MigrationScripts *scripts, bool notify);
extern char *schemata_down_script_problem(Script *down);
extern bool schemata_script_passes_checks(Script *script);

/* Who builds a plan, which decides what schemata_build_plan() does. */
typedef enum PlanPurpose
{
	PLAN_FOR_APPLY,				/* takes the lock; records checksums */
	PLAN_FOR_MIGRATE,			/* caller holds the lock; records checksums */
	PLAN_TO_SHOW				/* plan(): no lock, keeps the SQL, records
								 * nothing */
} PlanPurpose;

extern MigrationPlan *schemata_build_plan(const ApplyOptions *options, PlanPurpose purpose);
extern void schemata_save_records(const MigrationPlan *plan, bool all);
extern void schemata_apply_pending(const ApplyOptions *options, AppliedCallback callback,
								   void *arg);
extern double schemata_apply_step(const ApplyOptions *options, const MigrationPlan *plan,
								  const PlannedMigration *planned, int batch, RunHints *hints,
								  MemoryContext work);
extern void schemata_report_applied(const PlannedMigration *planned);
extern bool schemata_start_batch(const ApplyOptions *options, const MigrationPlan *plan,
								 int *batch);

/*
 * migrate.c
 */
extern void schemata_migrate_pending(const ApplyOptions *options);

/*
 * status.c
 */
/* What status() shows of a migration besides its file and history row. */
typedef struct MigrationStatus
{
	const char *state;
	const char *checksum;
	bool		non_transactional_known;	/* from its files */
	bool		non_transactional;
	const char *down_problem;	/* why the down script that rollback would run
								 * fails the checks, or NULL */
} MigrationStatus;

typedef void (*StatusCallback) (const MigrationFile *file, const HistoryRow *row,
								const MigrationStatus *status, void *arg);

extern void schemata_report_status(const char *dir, const char *target_schema,
								   StatusCallback callback, void *arg);
extern char *schemata_current_version(const char *target_schema);

/*
 * rollback.c
 */
typedef struct RollbackOptions
{
	const char *target_schema;
	bool		has_steps;
	int			steps;
	const char *to_version;		/* NULL: not given */
	const char *dir;			/* NULL: the stored down scripts */
} RollbackOptions;

/* What rollback() reports for each migration it undid. */
typedef void (*RolledBackCallback) (const HistoryRow *row, double duration_ms, void *arg);

extern void schemata_rollback_migrations(const RollbackOptions *options,
										 RolledBackCallback callback, void *arg);
extern void schemata_rollback_committing(const RollbackOptions *options);

/*
 * baseline.c
 */
extern int	schemata_baseline_migrations(const char *version, const char *target_schema,
										 const char *dir);
extern char *schemata_baseline_file(HistoryQueue *queue, const MigrationDir *dir,
									const MigrationFile *file, MemoryContext work);
extern int	schemata_repair_history(const char *dir, const char *target_schema);

/*
 * adopt.c
 */

/* What adopt() reports for each migration it recorded. */
typedef void (*AdoptedCallback) (const MigrationFile *file, const char *checksum, void *arg);

extern void schemata_adopt_history(const char *dir, const char *target_schema,
								   const char *from_tool, AdoptedCallback callback, void *arg);

/*
 * lint.c
 */
typedef struct LintFinding
{
	const PlannedMigration *planned;
	const char *file;
	int			line;
	const char *statement;
	const char *rule;
	const char *severity;		/* "warning" or "notice" */
	const char *table_name;		/* schema-qualified */
	const char *lock_mode;		/* PostgreSQL's name of the lock, or NULL */
	int64		table_size;		/* bytes, or -1 if unknown */
	double		estimated_rows; /* or -1 if unknown */
	const char *message;
} LintFinding;

typedef void (*LintCallback) (const LintFinding *finding, void *arg);

extern int	schemata_lint_large_table_kb;
extern void schemata_lint_pending(const ApplyOptions *options, LintCallback callback, void *arg);

/*
 * rehearse.c
 */
typedef struct RehearsedMigration
{
	const PlannedMigration *planned;
	double		duration_ms;
	List	   *locks;			/* "public.t AccessExclusiveLock" */
	List	   *rewritten;		/* "table public.t" */
	List	   *row_tables;		/* "public.t" ... */
	List	   *row_counts;		/* ... and "inserted updated deleted" */
	List	   *created;		/* "index public.t_x", "function f(int)" */
	List	   *altered;
	List	   *dropped;
} RehearsedMigration;

typedef void (*RehearsedCallback) (const RehearsedMigration *migration, void *arg);

extern void schemata_rehearse_pending(const ApplyOptions *options, RehearsedCallback callback,
									  void *arg);

#endif							/* SCHEMATA_MIGRATION_H */
