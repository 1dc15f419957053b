/*-------------------------------------------------------------------------
 *
 * script.c
 *	  One migration's scripts: reading them from the directory, splitting
 *	  "-- migrate:up" / "-- migrate:down" sections (with dbmate's
 *	  "transaction:false", and the markers the scan found in other files,
 *	  making a script non-transactional), tokens and checksum, and the
 *	  statements with their checks.
 *
 * Scripts are taken apart with PostgreSQL's own scanner and parser:
 *
 * - schemata_scan_script() runs the core scanner over the text.  Each token
 *	 goes into a SHA-256 (words in lower case, literals and quoted names as
 *	 written), so comments, whitespace, keyword case and line endings outside
 *	 literals do not change the checksum while anything that runs does.  A
 *	 backslash token is a psql meta-command and an error.
 *
 * - schemata_parse_script() runs raw_parser() and finds each statement's
 *	 first and last token, so statements are run one at a time and errors can
 *	 name the file and line.  BEGIN/START TRANSACTION and COMMIT/END are
 *	 dropped with a NOTICE (the migration already runs in a transaction;
 *	 the runner ends at a dropped COMMIT/END what SET LOCAL set since its
 *	 BEGIN); the other transaction control statements, client COPY, and the statements
 *	 that act on the whole database or cluster (CREATE DATABASE, ALTER
 *	 SYSTEM, ...) are errors.  The first statement that cannot run inside
 *	 a transaction block (CREATE INDEX CONCURRENTLY, ...) is recorded in
 *	 Script.non_transactional: such a script runs outside a transaction,
 *	 in a background worker (worker.c).
 *
 * Limits.  The token arrays are huge allocations, as long as the script at
 * most (schemata.max_file_size keeps every buffer of the scanner under 1 GB);
 * the checksum is hashed piece by piece; a script of more than
 * SCRIPT_STATEMENTS_MAX statements is refused (54000) before it is parsed.
 * SET/RESET of standard_conforming_strings is refused: the split depends on
 * it.
 *
 * Errors raised while scanning or parsing carry the CONTEXT
 * 'migration file "x.sql", line N', with the line computed from the error's
 * position, which is then cleared (it would point into the caller's query);
 * errors of a checked statement add the statement, shortened, as the runner
 * does for a statement that fails (schemata_statement_context).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/defrem.h"
#include "common/keywords.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "migration.h"

/* Longest statement text shown in a CONTEXT line, in bytes. */
#define CONTEXT_STATEMENT_MAX 200

/*
 * Most statements in one script.  The parser keeps a script's statements in
 * one list, which PostgreSQL's 1 GB allocation limit caps at 2^26 entries;
 * long before that their parse trees take gigabytes.
 */
#define SCRIPT_STATEMENTS_MAX 10000000

/* Normalized token text gathered before it is added to the checksum. */
#define NORMALIZED_BUFFER_SIZE 65536

typedef struct ScriptErrorContext
{
	const Script *script;
	const ScriptStatement *statement;	/* checked statement, or NULL */
} ScriptErrorContext;

/*
 * Byte offset within the script of 1-based character position "pos", as
 * error positions count characters.
 */
static int
char_position_to_offset(const Script *script, int pos)
{
	int			offset = 0;

	for (int i = 1; i < pos && offset < script->len; i++)
		offset += pg_mblen(script->sql + offset);
	return Min(offset, script->len);
}

/* 1-based line of the file on which byte "offset" of the script lies. */
static int
schemata_script_line(const Script *script, int offset)
{
	int			line = script->first_line;

	for (int i = 0; i < offset && i < script->len; i++)
		if (script->sql[i] == '\n')
			line++;
	return line;
}

/* A statement's text, cut to a readable length for a CONTEXT line. */
static char *
abbreviated_statement(const Script *script, const ScriptStatement *stmt)
{
	const char *text = script->sql + stmt->offset;
	int			cut;

	if (stmt->length <= CONTEXT_STATEMENT_MAX)
		return pnstrdup(text, stmt->length);
	cut = pg_mbcliplen(text, stmt->length, CONTEXT_STATEMENT_MAX);
	return psprintf("%.*s...", cut, text);
}

/*
 * The CONTEXT line naming a statement of a migration: file, line and the
 * statement, shortened.  For error context callbacks, at checking and at
 * running time alike.
 */
void
schemata_statement_context(const Script *script, const ScriptStatement *stmt)
{
	errcontext("migration file \"%s\", line %d: %s",
			   script->file, stmt->line, abbreviated_statement(script, stmt));
}

static void
script_error_callback(void *arg)
{
	ScriptErrorContext *ctx = (ScriptErrorContext *) arg;
	const Script *script = ctx->script;
	int			pos = geterrposition();

	if (ctx->statement != NULL)
		schemata_statement_context(script, ctx->statement);
	else if (pos > 0)
	{
		errposition(0);
		errcontext("migration file \"%s\", line %d", script->file,
				   schemata_script_line(script, char_position_to_offset(script, pos)));
	}
	else
		errcontext("migration file \"%s\"", script->file);
}

static void
push_script_context(ErrorContextCallback *callback, ScriptErrorContext *ctx,
					const Script *script)
{
	ctx->script = script;
	ctx->statement = NULL;
	schemata_push_context(callback, script_error_callback, ctx);
}

/* A script holding all of "sql", which starts at line 1 of "file". */
void
schemata_script_from_text(Script *script, const char *file, char *sql)
{
	memset(script, 0, sizeof(Script));
	script->file = file;
	script->sql = sql;
	script->len = strlen(sql);
	script->first_line = 1;
}

/* The statement's text, NUL-terminated, in the current memory context. */
char *
schemata_statement_text(const Script *script, const ScriptStatement *stmt)
{
	return pnstrdup(script->sql + stmt->offset, stmt->length);
}

/* Room for this many tokens at first. */
#define INITIAL_TOKENS 64

/*
 * Record a token.  The arrays grow by doubling (schemata_grow(): huge
 * allocations, as a file may be larger than a quarter of PostgreSQL's 1 GB
 * allocation limit); allocated_start and allocated_end count their room.
 */
static void
append_token(Script *script, int *allocated_start, int *allocated_end, int start, int end)
{
	Assert(start >= 0 && start <= end && end <= script->len);
	schemata_grow(script->token_start, script->ntokens, *allocated_start, INITIAL_TOKENS);
	schemata_grow(script->token_end, script->ntokens, *allocated_end, INITIAL_TOKENS);
	/* schemata_grow() always leaves room for one more */
	Assert(script->ntokens < *allocated_start && script->ntokens < *allocated_end);
	script->token_start[script->ntokens] = start;
	script->token_end[script->ntokens] = end;
	script->ntokens++;
}

/*
 * Refuse a script with more than SCRIPT_STATEMENTS_MAX statements before the
 * parser builds them: "semicolons" counts the semicolons that end a
 * statement (not the empty ones), an upper bound of the statements.
 */
static void
check_statement_count(const Script *script, int64 semicolons)
{
	if (semicolons + 1 > SCRIPT_STATEMENTS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("migration file \"%s\" has too many statements", script->file),
				 errdetail("The limit is %d statements in a script.", SCRIPT_STATEMENTS_MAX),
				 errhint("Split the migration into several files.")));
}

static void
report_meta_command(const Script *script, int offset)
{
	int			end = offset + 1;

	while (end < script->len && !isspace((unsigned char) script->sql[end]))
		end++;
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("psql meta-command \"%.*s\" is not supported in a migration",
					end - offset, script->sql + offset),
			 errhint("Migrations are run by the server, not by psql: write plain SQL, one migration per file."),
			 errposition(pg_mbstrlen_with_len(script->sql, offset) + 1)));
}

/*
 * Add one token to the text the checksum is computed from.  Words (keywords
 * and unquoted identifiers) count in lower case (ASCII letters, as the
 * server folds them), everything else, quoted names and literals above all,
 * exactly as written.  A newline separates tokens, so that the tokens "a"
 * "b" differ from the token "ab".
 */
static void
append_normalized_token(StringInfo normalized, const char *text, int len)
{
	unsigned char first = (unsigned char) text[0];
	bool		is_word = (isalpha(first) || first == '_' || IS_HIGHBIT_SET(first)) &&
	memchr(text, '\'', len) == NULL && memchr(text, '"', len) == NULL;

	enlargeStringInfo(normalized, len + 1);
	for (int i = 0; i < len; i++)
	{
		char		c = text[i];

		if (is_word && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		normalized->data[normalized->len++] = c;
	}
	normalized->data[normalized->len++] = '\n';
	normalized->data[normalized->len] = '\0';
}

/*
 * Hash the normalized tokens gathered so far and empty the buffer, so that
 * it holds little more than the longest token whatever the script's size.
 */
static void
hash_normalized(Sha256 *sha, StringInfo normalized)
{
	schemata_sha256_add(sha, normalized->data, normalized->len);
	resetStringInfo(normalized);
}

/*
 * Tokenize the script with the core scanner, recording where each token
 * starts and ends, and compute the checksum from the tokens' texts.
 *
 * As pg_stat_statements relies on too, after core_yylex() returns the
 * scanner's buffer holds a NUL right after the current token's text, even for
 * tokens (quoted strings) scanned in several pieces.
 */
void
schemata_scan_script(Script *script)
{
	ErrorContextCallback callback;
	ScriptErrorContext ctx;
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE lval;
	YYLTYPE		loc;
	StringInfoData normalized;
	Sha256	   *sha;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int			allocated_start = 0;
	int			allocated_end = 0;
	int64		semicolons = 0;
	int			previous = ';';

	/* the scanner reads up to the NUL that ends the text */
	Assert(script->sql != NULL && script->sql[script->len] == '\0');
	script->ntokens = 0;
	script->token_start = NULL;
	script->token_end = NULL;
	/* allocated even for no token: the statements are split on them */
	schemata_grow(script->token_start, 0, allocated_start, INITIAL_TOKENS);
	schemata_grow(script->token_end, 0, allocated_end, INITIAL_TOKENS);

	initStringInfo(&normalized);
	sha = schemata_sha256_begin();
	push_script_context(&callback, &ctx, script);
	scanner = scanner_init(script->sql, &extra, &ScanKeywords, ScanKeywordTokens);
	for (;;)
	{
		int			token = core_yylex(&lval, &loc, scanner);
		int			end;

		if (token == 0)
			break;
		if (token == '\\')
			report_meta_command(script, loc);
		if (token == ';' && previous != ';')
			semicolons++;
		previous = token;
		end = loc + strlen(extra.scanbuf + loc);
		append_token(script, &allocated_start, &allocated_end, loc, end);
		if (normalized.len + (end - loc) >= NORMALIZED_BUFFER_SIZE)
			hash_normalized(sha, &normalized);
		append_normalized_token(&normalized, script->sql + loc, end - loc);
	}
	scanner_finish(scanner);
	schemata_pop_context(&callback);
	check_statement_count(script, semicolons);

	hash_normalized(sha, &normalized);
	schemata_sha256_end(sha, digest);
	pfree(normalized.data);
	schemata_checksum_hex(digest, script->checksum);
}

/* Emit a NOTICE without the script's CONTEXT line: it names file and line. */
static void
notice_skipped(const Script *script, const ScriptStatement *stmt,
			   ErrorContextCallback *callback)
{
	ErrorContextCallback *saved = error_context_stack;

	error_context_stack = callback->previous;
	ereport(NOTICE,
			(errmsg("ignoring \"%s\" in migration file \"%s\", line %d",
					abbreviated_statement(script, stmt), script->file, stmt->line),
			 errdetail("The migration already runs inside a transaction.")));
	error_context_stack = saved;
}

/*
 * BEGIN/START and COMMIT/END are dropped; every other transaction control
 * statement would end or split the caller's transaction.
 */
static void
check_transaction_statement(const Script *script, ScriptStatement *stmt,
							TransactionStmt *tstmt, bool notify,
							ErrorContextCallback *callback)
{
	const char *what = NULL;

	switch (tstmt->kind)
	{
		case TRANS_STMT_BEGIN:
		case TRANS_STMT_START:
			break;
		case TRANS_STMT_COMMIT:
			if (tstmt->chain)
				what = "COMMIT AND CHAIN";
			stmt->ends_block = true;
			break;
		case TRANS_STMT_ROLLBACK:
			what = tstmt->chain ? "ROLLBACK AND CHAIN" : "ROLLBACK";
			break;
		case TRANS_STMT_SAVEPOINT:
			what = "SAVEPOINT";
			break;
		case TRANS_STMT_RELEASE:
			what = "RELEASE SAVEPOINT";
			break;
		case TRANS_STMT_ROLLBACK_TO:
			what = "ROLLBACK TO SAVEPOINT";
			break;
		case TRANS_STMT_PREPARE:
			what = "PREPARE TRANSACTION";
			break;
		case TRANS_STMT_COMMIT_PREPARED:
			what = "COMMIT PREPARED";
			break;
		case TRANS_STMT_ROLLBACK_PREPARED:
			what = "ROLLBACK PREPARED";
			break;
	}

	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("%s is not allowed in a migration", what),
				 errhint("Every migration runs inside a transaction that schemata commits or rolls back as a whole: leave transaction control out of the file.")));

	stmt->skip = true;
	if (notify)
		notice_skipped(script, stmt, callback);
}

/*
 * The value of boolean option "name" in a DefElem list (the last one given
 * counts, as for the server), or "otherwise" when it is not given.
 */
static bool
boolean_option(List *options, const char *name, bool otherwise)
{
	ListCell   *lc;
	bool		value = otherwise;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, name) == 0)
			value = defGetBoolean(opt);
	}
	return value;
}

/* Whether a DefElem list names option "name", whatever its value. */
static bool
has_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		if (strcmp(lfirst_node(DefElem, lc)->defname, name) == 0)
			return true;
	}
	return false;
}

/*
 * Whether CREATE SUBSCRIPTION creates a replication slot: by default it
 * does, unless connect = false.
 */
static bool
subscription_creates_slot(const CreateSubscriptionStmt *stmt)
{
	return boolean_option(stmt->options, "create_slot",
						  boolean_option(stmt->options, "connect", true));
}

/*
 * Whether ALTER SUBSCRIPTION refreshes the subscription's tables from the
 * publisher: REFRESH PUBLICATION always does, a change of its publications
 * unless refresh = false.
 */
static bool
subscription_refreshes(const AlterSubscriptionStmt *stmt)
{
	switch (stmt->kind)
	{
		case ALTER_SUBSCRIPTION_REFRESH:
			return true;
#if PG_VERSION_NUM >= 140000
		case ALTER_SUBSCRIPTION_SET_PUBLICATION:
		case ALTER_SUBSCRIPTION_ADD_PUBLICATION:
		case ALTER_SUBSCRIPTION_DROP_PUBLICATION:
#else
			/* 13: SET PUBLICATION only, under another name */
		case ALTER_SUBSCRIPTION_PUBLICATION:
#endif
			return boolean_option(stmt->options, "refresh", true);
		default:
			return false;
	}
}

/* Whether a REINDEX statement has a true "concurrently" option. */
static bool
is_concurrent_reindex(const ReindexStmt *reindex)
{
#if PG_VERSION_NUM >= 140000
	return boolean_option(reindex->params, "concurrently", false);
#else
	/* 13: CONCURRENTLY is a field of its own, not one of the options */
	return reindex->concurrent;
#endif
}

/* Whether ALTER TABLE detaches a partition CONCURRENTLY (14 and later). */
static bool
detaches_concurrently(const AlterTableStmt *stmt)
{
#if PG_VERSION_NUM >= 140000
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_DetachPartition && ((PartitionCmd *) cmd->def)->concurrent)
			return true;
	}
#endif
	return false;
}

/*
 * The name of a statement that cannot run inside a transaction block but
 * may run in a migration, outside one (CALL schemata.migrate), or NULL.
 */
static const char *
non_transactional_statement(Node *node)
{
	switch (nodeTag(node))
	{
		case T_IndexStmt:
			return ((IndexStmt *) node)->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) node)->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			{
				ReindexStmt *reindex = (ReindexStmt *) node;

				if (is_concurrent_reindex(reindex))
					return "REINDEX CONCURRENTLY";
				if (reindex->kind == REINDEX_OBJECT_SCHEMA)
					return "REINDEX SCHEMA";
				return NULL;
			}
		case T_AlterTableStmt:
			return detaches_concurrently((AlterTableStmt *) node)
				? "ALTER TABLE ... DETACH CONCURRENTLY" : NULL;
		case T_VacuumStmt:
			return ((VacuumStmt *) node)->is_vacuumcmd ? "VACUUM" : NULL;
		default:
			return NULL;
	}
}

/*
 * The name of a statement that acts on the whole database or cluster and
 * cannot run inside a transaction block, or NULL: never part of a migration.
 */
static const char *
database_level_statement(Node *node)
{
	switch (nodeTag(node))
	{
		case T_ReindexStmt:
			{
				ReindexStmt *reindex = (ReindexStmt *) node;

				if (is_concurrent_reindex(reindex))
					return NULL;
				if (reindex->kind == REINDEX_OBJECT_SYSTEM)
					return "REINDEX SYSTEM";
				if (reindex->kind == REINDEX_OBJECT_DATABASE)
					return "REINDEX DATABASE";
				return NULL;
			}
		case T_ClusterStmt:
			return ((ClusterStmt *) node)->relation == NULL ? "CLUSTER without a table" : NULL;
		case T_DiscardStmt:
			return ((DiscardStmt *) node)->target == DISCARD_ALL ? "DISCARD ALL" : NULL;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterDatabaseStmt:
			return has_option(((AlterDatabaseStmt *) node)->options, "tablespace")
				? "ALTER DATABASE SET TABLESPACE" : NULL;
		case T_CreateSubscriptionStmt:
			return subscription_creates_slot((CreateSubscriptionStmt *) node)
				? "CREATE SUBSCRIPTION with a replication slot" : NULL;
		case T_AlterSubscriptionStmt:
			return subscription_refreshes((AlterSubscriptionStmt *) node)
				? "ALTER SUBSCRIPTION with refresh" : NULL;
		default:
			return NULL;
	}
}

/*
 * The error for a script that changes standard_conforming_strings: found by
 * the checks (SET, SET LOCAL, RESET) or by the runner (set_config(), RESET
 * ALL: a change that outlasts the statement).
 */
void
schemata_refuse_string_syntax_change(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("a migration cannot change \"standard_conforming_strings\""),
			 errdetail("A migration's statements are split with the setting in force when it starts; after a change, the rest would run split differently."),
			 errhint("Set \"standard_conforming_strings\" before the call (SET, ALTER ROLE ... SET or ALTER DATABASE ... SET), not in the migration.")));
}

/*
 * Scripts are split into statements with the standard_conforming_strings in
 * force when they are checked, so a script must not change it: the
 * statements after the change would be read differently when they run.
 */
static void
check_not_setting_string_syntax(Node *node)
{
	VariableSetStmt *set = (VariableSetStmt *) node;

	if (set->name != NULL && pg_strcasecmp(set->name, "standard_conforming_strings") == 0)
		schemata_refuse_string_syntax_change();
}

static void
check_statement(Script *script, ScriptStatement *stmt, Node *node, bool notify,
				ErrorContextCallback *callback)
{
	const char *forbidden;
	const char *non_transactional;

	if (IsA(node, TransactionStmt))
	{
		check_transaction_statement(script, stmt, (TransactionStmt *) node, notify, callback);
		return;
	}
	if (IsA(node, CopyStmt) && ((CopyStmt *) node)->filename == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("COPY to or from the client is not supported in a migration"),
				 errhint("Use INSERT, or COPY with a file name on the server.")));
	if (IsA(node, AlterEnumStmt))
		stmt->adds_enum_value = ((AlterEnumStmt *) node)->oldVal == NULL;
	if (IsA(node, VariableSetStmt))
		check_not_setting_string_syntax(node);

	forbidden = database_level_statement(node);
	if (forbidden != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", forbidden),
				 errdetail("It also acts on more than the schema being migrated, so schemata does not run it outside a transaction either."),
				 errhint("Run this statement with psql, before or after the migrations.")));
	non_transactional = non_transactional_statement(node);
	if (non_transactional != NULL && script->non_transactional == NULL)
	{
		script->non_transactional = non_transactional;
		script->non_transactional_line = stmt->line;
	}
}

/*
 * Split the script into statements with raw_parser() and check each.  The
 * script must have been scanned.  With notify, dropped statements are
 * reported with a NOTICE.
 */
void
schemata_parse_script(Script *script, bool notify)
{
	ErrorContextCallback callback;
	ScriptErrorContext ctx;
	List	   *parsed;
	ListCell   *lc;
	int			token = 0;
	int			line = script->first_line;
	int			line_offset = 0;

	/* scanned first (schemata_scan_script) */
	Assert(script->token_start != NULL && script->token_end != NULL);
	push_script_context(&callback, &ctx, script);
	parsed = raw_parser(script->sql, RAW_PARSE_DEFAULT);

	script->nparsed = 0;
	script->nstatements = 0;
	script->statements = palloc_extended(sizeof(ScriptStatement) * Max(list_length(parsed), 1),
										 MCXT_ALLOC_HUGE);
	foreach(lc, parsed)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		ScriptStatement *stmt = &script->statements[script->nparsed++];
		int			end = raw->stmt_len > 0 ? raw->stmt_location + raw->stmt_len : script->len;
		int			first;

		while (token < script->ntokens && script->token_start[token] < raw->stmt_location)
			token++;
		first = token;
		while (token < script->ntokens && script->token_start[token] < end)
			token++;
		Assert(token > first);

		memset(stmt, 0, sizeof(ScriptStatement));
		stmt->offset = script->token_start[first];
		stmt->length = script->token_end[token - 1] - stmt->offset;
		for (; line_offset < stmt->offset; line_offset++)
			if (script->sql[line_offset] == '\n')
				line++;
		stmt->line = line;

		ctx.statement = stmt;
		check_statement(script, stmt, raw->stmt, notify, &callback);
		ctx.statement = NULL;
		if (!stmt->skip)
			script->nstatements++;
	}
	Assert(script->nstatements <= script->nparsed);
	schemata_pop_context(&callback);
	list_free_deep(parsed);
}

/* What a marker line says: its kind, and dbmate's transaction:false. */
typedef struct SectionMarker
{
	int			line_start;		/* offset of the marker line; -1: none */
	int			body_start;		/* offset of the line after it */
	int			body_line;		/* line number of the line after it */
	bool		no_transaction; /* "transaction:false" follows the keyword */
} SectionMarker;

/*
 * The options after a section keyword, dbmate's way: words "key:value"
 * separated by spaces.  The one option is "transaction", true (the default)
 * or false; any other text is an error.  Returns whether it is false.
 */
static bool
marker_options(const char *file, const char *p, const char *eol, int lineno)
{
	bool		no_transaction = false;

	while (p < eol)
	{
		const char *word = p;
		int			len;

		while (p < eol && !isspace((unsigned char) *p))
			p++;
		len = p - word;
		if (len == 17 && strncmp(word, "transaction:false", 17) == 0)
			no_transaction = true;
		else if (!(len == 16 && strncmp(word, "transaction:true", 16) == 0))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("unsupported text \"%.*s\" after section marker in migration file \"%s\", line %d",
							(int) (eol - word), word, file, lineno),
					 errhint("A section marker is a line holding \"-- migrate:up\" or \"-- migrate:down\", maybe followed by dbmate's option \"transaction:false\".")));
		while (p < eol && isspace((unsigned char) *p))
			p++;
	}
	return no_transaction;
}

/*
 * Section markers: a line "-- migrate:up" or "-- migrate:down", maybe with
 * options (marker_options()).  Returns 'u', 'd' or 0; for a marker, sets
 * *no_transaction.
 */
static char
section_marker(const char *file, const char *line, const char *eol, int lineno,
			   bool *no_transaction)
{
	const char *p = line;
	char		kind;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p >= 10 && strncmp(p, "migrate:up", 10) == 0)
	{
		kind = 'u';
		p += 10;
	}
	else if (eol - p >= 12 && strncmp(p, "migrate:down", 12) == 0)
	{
		kind = 'd';
		p += 12;
	}
	else
		return 0;
	if (p < eol && !isspace((unsigned char) *p))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("unsupported text \"%.*s\" after section marker in migration file \"%s\", line %d",
						(int) (eol - p), p, file, lineno),
				 errhint("A section marker is a line holding \"-- migrate:up\" or \"-- migrate:down\", maybe followed by dbmate's option \"transaction:false\".")));
	while (p < eol && isspace((unsigned char) *p))
		p++;
	*no_transaction = marker_options(file, p, eol, lineno);
	return kind;
}

/*
 * Find the section markers of a file; each is recorded once, twice is an
 * error.
 */
static void
find_markers(const char *file, const char *contents, int len,
			 SectionMarker *up, SectionMarker *down)
{
	int			offset = 0;
	int			lineno = 1;

	up->line_start = down->line_start = -1;
	while (offset < len)
	{
		const char *eol = memchr(contents + offset, '\n', len - offset);
		int			next = eol ? (int) (eol - contents) + 1 : len;
		bool		no_transaction;
		char		kind = section_marker(file, contents + offset, eol ? eol : contents + len, lineno,
										  &no_transaction);

		if (kind != 0)
		{
			SectionMarker *marker = kind == 'u' ? up : down;

			if (marker->line_start >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("migration file \"%s\" has a second \"-- migrate:%s\" marker at line %d",
								file, kind == 'u' ? "up" : "down", lineno)));
			marker->line_start = offset;
			marker->body_start = next;
			marker->body_line = lineno + 1;
			marker->no_transaction = no_transaction;
		}
		offset = next;
		lineno++;
	}
}

/*
 * A section from a marker's next line up to the other marker or the end;
 * dbmate's "transaction:false" on the marker makes it non-transactional.
 */
static void
section_script(Script *script, const char *file, char *contents, int len,
			   const SectionMarker *marker, const SectionMarker *other)
{
	int			end = (other->line_start > marker->line_start) ? other->line_start : len;

	memset(script, 0, sizeof(Script));
	script->file = file;
	script->sql = contents + marker->body_start;

	script->len = Max(end - marker->body_start, 0);
	script->first_line = marker->body_line;
	if (marker->no_transaction)
	{
		script->non_transactional = psprintf("transaction:false in %s, line %d",
											 file, marker->body_line - 1);
		script->non_transactional_line = 0;
	}
}

/*
 * Split a single-file migration into its up and (maybe) down sections.
 * Without markers the whole file is the up script.  With an up marker,
 * nothing but comments may stand before the first marker; with only a down
 * marker, what stands before it is the up script.
 */
static void
split_sections(const char *file, char *text, int len, MigrationScripts *scripts)
{
	SectionMarker up;
	SectionMarker down;

	find_markers(file, text, len, &up, &down);
	scripts->has_down = down.line_start >= 0;

	if (up.line_start < 0)
	{
		memset(&scripts->up, 0, sizeof(Script));
		scripts->up.file = file;
		scripts->up.sql = text;

		scripts->up.len = scripts->has_down ? down.line_start : len;
		scripts->up.first_line = 1;
	}
	else
	{
		Script		prefix;
		int			first_marker = scripts->has_down ? Min(up.line_start, down.line_start)
		: up.line_start;

		section_script(&scripts->up, file, text, len, &up, &down);
		if (first_marker > 0)
		{
			char		saved = text[first_marker];

			text[		first_marker] = '\0';

			schemata_script_from_text(&prefix, file, text);
			schemata_scan_script(&prefix);
			text[		first_marker] = saved;

			if (prefix.ntokens > 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("migration file \"%s\" has SQL before its first section marker, at line %d",
								file, schemata_script_line(&prefix, prefix.token_start[0])),
						 errhint("Put the statements after \"-- migrate:up\".")));
		}
	}
	if (scripts->has_down)
		section_script(&scripts->down, file, text, len, &down, &up);

	/* each section ends where a marker line starts: terminate it there */
	if (up.line_start >= 0)
		text[		up.line_start] = '\0';

	if (down.line_start >= 0)
		text[		down.line_start] = '\0';
}

/* A whole file as one script; *stamp gets its stat data. */
static void
whole_file_script(const MigrationDir *dir, const char *relpath, Script *script,
				  FileStamp *stamp)
{
	int			len;
	char	   *text = schemata_read_file(dir, relpath, &len, stamp);

	memset(script, 0, sizeof(Script));
	script->file = relpath;
	script->sql = text;

	script->len = len;
	script->first_line = 1;
}

/*
 * A tool's marker in a file of its own (a MigrationFile's, found by the
 * scan) makes a script non-transactional, unless a marker in the script
 * already did.
 */
static void
mark_no_transaction(Script *script, const char *marker)
{
	if (marker == NULL || script->non_transactional != NULL)
		return;
	script->non_transactional = marker;
	script->non_transactional_line = 0;
}

/*
 * Read the up script and the down script (if any) of a migration, with what
 * the tools' markers say (non_transactional).  Nothing is scanned or parsed
 * yet.
 */
void
schemata_read_migration(const MigrationDir *dir, const MigrationFile *file,
						MigrationScripts *scripts)
{
	memset(scripts, 0, sizeof(MigrationScripts));
	if (file->form == MIGRATION_FILE)
	{
		int			len;
		char	   *text = schemata_read_file(dir, file->up_file, &len, &scripts->up_stamp);

		split_sections(file->up_file, text, len, scripts);
		if (scripts->has_down && file->down_file != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration \"%s\" has more than one down script", file->name),
					 errdetail("It has a \"-- migrate:down\" section and the file \"%s\".",
							   file->down_file)));
	}
	else
		whole_file_script(dir, file->up_file, &scripts->up, &scripts->up_stamp);

	if (file->down_file != NULL)
	{
		whole_file_script(dir, file->down_file, &scripts->down, &scripts->down_stamp);
		scripts->has_down = true;
	}
	mark_no_transaction(&scripts->up, file->no_transaction_marker);
	if (scripts->has_down)
		mark_no_transaction(&scripts->down, file->down_no_transaction_marker);
}
