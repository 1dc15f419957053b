/*-------------------------------------------------------------------------
 *
 * sqltext.c
 *	  SQL written inside JSON models: type names, expressions (defaults,
 *	  checks, index predicates, generated columns) and pg-schemata's rule for
 *	  deciding whether a string default is SQL or a text value.
 *
 * Models are data, yet they carry SQL that goes into the DDL bootstrap()
 * builds.  Nothing there may be able to run anything else, so every fragment
 * is checked by PostgreSQL's own parser:
 *
 * - a type goes through typeStringToTypeName() and the type must exist (the
 *	 serial pseudo-types aside), looked up with the search_path that
 *	 schemata_read_models() pins to pg_catalog, as the DDL will look it up;
 * - an expression must parse as exactly one expression, the way PL/pgSQL
 *	 parses its expressions: one target, no FROM, no alias, nothing else.
 *
 * What goes into the DDL is the fragment's own text from its first token to
 * its last (found with the core scanner, schemata_scan_script()), so a
 * trailing "-- comment" cannot hide what the DDL puts after it.  Errors carry
 * the CONTEXT "JSON path models[0].columns[1].default"; a parser's error
 * position is moved onto the fragment, as SQL functions do with their body.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/sqltext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/builtins.h"

#include "migration.h"
#include "model.h"

/*
 * pg-schemata's rule (schemaBuilder.ts, createTableSQL): a string default is
 * SQL when it looks like a call anywhere, is a number, is a quoted literal, or
 * a quoted literal with a cast; otherwise it is a text value and gets quoted.
 * The patterns are pg-schemata's, in PostgreSQL's regular-expression syntax
 * (JavaScript's "\b\w+\(" matches exactly where a word character precedes a
 * parenthesis).
 */
static const char *const sql_default_patterns[] = {
	"\\w\\(.*\\)",				/* looks like a call */
	"^-?\\d+(\\.\\d+)?$",		/* a number */
	"^'.*'$",					/* a quoted literal */
	"^'.*'::\\w+",				/* a quoted literal with a cast */
};

static void
path_error_callback(void *arg)
{
	PathContext *ctx = (PathContext *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		if (ctx->query != NULL)
		{
			internalerrposition(pos);
			internalerrquery(ctx->query);
		}
	}
	errcontext("JSON path %s", ctx->path);
}

/*
 * Name "path" in the CONTEXT of every error until schemata_pop_path().  When
 * "query" is given, error positions are taken to point into it.
 */
void
schemata_push_path(PathContext *ctx, const char *path, const char *query)
{
	Assert(path != NULL);
	ctx->path = path;
	ctx->query = query;
	schemata_push_context(&ctx->callback, path_error_callback, ctx);
}

void
schemata_pop_path(PathContext *ctx)
{
	schemata_pop_context(&ctx->callback);
}

/* The text of "sql" from its first token to its last; "" if it has none. */
static char *
trim_to_tokens(const char *sql, const char *path)
{
	Script		script;

	schemata_script_from_text(&script, path, pstrdup(sql));
	schemata_scan_script(&script);
	if (script.ntokens == 0)
		return pstrdup("");
	return pnstrdup(script.sql + script.token_start[0],
					script.token_end[script.ntokens - 1] - script.token_start[0]);
}

/*
 * The integer type that "type_name" stands for when it is serial or one of
 * its kin, as CREATE TABLE makes it; InvalidOid for any other type name.
 */
static Oid
serial_type_oid(const TypeName *type_name)
{
	static const struct
	{
		const char *name;
		Oid			type_oid;
	}			serials[] = {
		{"serial", INT4OID}, {"serial4", INT4OID}, {"bigserial", INT8OID},
		{"serial8", INT8OID}, {"smallserial", INT2OID}, {"serial2", INT2OID}
	};
	const char *name;

	if (list_length(type_name->names) != 1 || type_name->typmods != NIL ||
		type_name->arrayBounds != NIL || type_name->setof)
		return InvalidOid;
	name = strVal(linitial(type_name->names));
	for (int i = 0; i < lengthof(serials); i++)
		if (strcmp(name, serials[i].name) == 0)
			return serials[i].type_oid;
	return InvalidOid;
}

/*
 * Check a column type: PostgreSQL's type parser must accept it and the type
 * must exist, with valid modifiers.  serial and its kin, which are not types
 * but CREATE TABLE shorthands, are accepted and flagged, with the integer
 * type CREATE TABLE gives them.  "checked" gets the type as written, trimmed,
 * and its oid and typmod.
 */
void
schemata_check_type(const char *type, const char *path, ColumnType *checked)
{
	PathContext ctx;
	TypeName   *type_name;

	checked->sql = trim_to_tokens(type, path);
	if (checked->sql[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", path)));
	schemata_push_path(&ctx, path, NULL);
	type_name = typeStringToTypeName(checked->sql);
	checked->type_oid = serial_type_oid(type_name);
	checked->is_serial = OidIsValid(checked->type_oid);
	checked->typmod = -1;
	if (!checked->is_serial)
		typenameTypeIdAndMod(NULL, type_name, &checked->type_oid, &checked->typmod);
	Assert(OidIsValid(checked->type_oid));
	schemata_pop_path(&ctx);
}

/* Whether "node" is a lone asterisk, as in "SELECT *". */
static bool
is_star(Node *node)
{
	return IsA(node, ColumnRef) &&
		IsA(llast(((ColumnRef *) node)->fields), A_Star);
}

#if PG_VERSION_NUM < 140000

/*
 * 13 has no expression mode: its PL/pgSQL parses "SELECT expr", and so do
 * we.  Errors are made to read as 14's expression mode reports them: a
 * position in the query moves back onto "expr" (the path's query), and a
 * semicolon after the SELECT is a syntax error there.
 */
#define SELECT_PREFIX "SELECT "

static void
select_prefix_error_callback(void *arg)
{
	int			pos = geterrposition();

	if (pos > (int) strlen(SELECT_PREFIX))
		errposition(pos - strlen(SELECT_PREFIX));
}

static List *
parse_select_expression(const char *expr)
{
	char	   *query = psprintf(SELECT_PREFIX "%s", expr);
	ErrorContextCallback callback;
	List	   *parsed;
	RawStmt    *first;

	schemata_push_context(&callback, select_prefix_error_callback, NULL);
	parsed = raw_parser(query, RAW_PARSE_DEFAULT);
	first = linitial_node(RawStmt, parsed);
	if (first->stmt_len != 0)	/* a semicolon ends it */
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("syntax error at or near \";\""),
				 errposition(pg_mbstrlen_with_len(query, first->stmt_location + first->stmt_len) + 1)));
	schemata_pop_context(&callback);
	return parsed;
}
#endif

/*
 * Parse "expr" as exactly one SQL expression and return its raw parse tree.
 * Anything else (two expressions, a FROM clause, a second statement, an
 * alias) is an error naming "path".
 */
Node *
schemata_parse_expression(const char *expr, const char *path)
{
	PathContext ctx;
	List	   *parsed;
	SelectStmt *select;
	ResTarget  *target;

	schemata_push_path(&ctx, path, expr);
#if PG_VERSION_NUM >= 140000
	parsed = raw_parser(expr, RAW_PARSE_PLPGSQL_EXPR);
#else
	parsed = parse_select_expression(expr);
#endif

	/*
	 * One statement: expression mode (on 13, parse_select_expression())
	 * refuses a second.
	 */
	Assert(list_length(parsed) == 1);
	select = castNode(SelectStmt, linitial_node(RawStmt, parsed)->stmt);
	if (list_length(select->targetList) != 1 ||
		select->distinctClause != NIL || select->intoClause != NULL ||
		select->fromClause != NIL || select->whereClause != NULL ||
		select->groupClause != NIL || select->havingClause != NULL ||
		select->windowClause != NIL || select->sortClause != NIL ||
		select->limitOffset != NULL || select->limitCount != NULL ||
		select->lockingClause != NIL || select->withClause != NULL ||
		((ResTarget *) linitial(select->targetList))->name != NULL ||
		is_star(((ResTarget *) linitial(select->targetList))->val))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s is not exactly one SQL expression", path),
				 errdetail("The value is \"%s\".", expr)));
	target = (ResTarget *) linitial(select->targetList);
	schemata_pop_path(&ctx);
	return target->val;
}

/*
 * Whether an expression can follow DEFAULT as written (the grammar takes a
 * restricted expression there): calls, constants, casts and column-like
 * names can; operators and the like get parentheses.
 */
static bool
is_simple_expression(Node *node)
{
	return IsA(node, FuncCall) || IsA(node, A_Const) || IsA(node, TypeCast) ||
		IsA(node, SQLValueFunction) || IsA(node, ColumnRef);
}

/*
 * Check that "expr" is exactly one SQL expression; return its text, trimmed,
 * and with "parenthesize" in parentheses unless it is simple.
 */
char *
schemata_check_expression(const char *expr, const char *path, bool parenthesize)
{
	Node	   *node = schemata_parse_expression(expr, path);
	char	   *trimmed = trim_to_tokens(expr, path);

	if (parenthesize && !is_simple_expression(node))
		return psprintf("(%s)", trimmed);
	return trimmed;
}

static bool
matches(const char *value, const char *pattern)
{
	return DatumGetBool(DirectFunctionCall2Coll(textregexeq, C_COLLATION_OID,
												CStringGetTextDatum(value),
												CStringGetTextDatum(pattern)));
}

/*
 * The keywords the grammar turns into SQL value functions (CURRENT_TIMESTAMP,
 * CURRENT_USER, ...), by name: gram.h, which numbers them, is not installed
 * from PostgreSQL 16 on.
 */
static const char *const sql_value_functions[] = {
	"current_catalog", "current_date", "current_role", "current_schema",
	"current_time", "current_timestamp", "current_user", "localtime",
	"localtimestamp", "session_user", "user"
};

/* Whether "value" is, in any case, one of sql_value_functions. */
static bool
is_sql_value_function(const char *value)
{
	for (int i = 0; i < lengthof(sql_value_functions); i++)
		if (pg_strcasecmp(value, sql_value_functions[i]) == 0)
			return true;
	return false;
}

/*
 * The SQL for a string default: by pg-schemata's rule either SQL, which must
 * then be exactly one expression, or a text value, quoted.  Unlike
 * pg-schemata, SQL value functions such as CURRENT_TIMESTAMP are SQL.
 */
char *
schemata_string_default(const char *value, const char *path)
{
	bool		is_sql = is_sql_value_function(value);

	for (int i = 0; i < lengthof(sql_default_patterns) && !is_sql; i++)
		is_sql = matches(value, sql_default_patterns[i]);
	if (is_sql)
		return schemata_check_expression(value, path, true);
	return quote_literal_cstr(value);
}
