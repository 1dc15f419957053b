/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Reading JSON table models (pg-schemata's table schema format) into
 *	  ModelTable structs, checking everything on the way.
 *
 * The format is pg-schemata's (src/schemaTypes.ts, src/utils/schemaBuilder.ts)
 * and the result is what its createTable() would build from it:
 *
 * - audit columns (hasAuditFields, boolean or object form) and soft delete's
 *	 deactivated_at are appended after the model's columns unless a column of
 *	 that name exists, with pg-schemata's types and defaults;
 * - unique constraints are named uidx_<table>_<cols>_<md5(table + cols)>,
 *	 foreign keys fk_<table>_<md5(table + references.table + references.schema
 *	 + cols)>, indexes idx_|uidx_<table>_<cols> in lower case, with the first
 *	 six hex digits of the md5 and the columns joined by "_";
 * - a foreign key's schema is the left part of a dotted references.table,
 *	 else references.schema, else the table's own schema.  The tutorial's
 *	 references.dbSchema is taken as a dbSchema: target_schema overrides it,
 *	 and, as in pg-schemata, it is not part of the name's hash.
 *
 * - as in pg-schemata, notNull on a generated column is ignored.
 *
 * Before PostgreSQL 15, which brought UNIQUE NULLS NOT DISTINCT, a unique
 * constraint with nullsNotDistinct: true is refused (feature not supported).
 *
 * Unlike pg-schemata, every problem is an error naming its JSON path
 * (models[2].columns[3].type): a value of the wrong JSON type, a missing or
 * unknown key, a column or table that does not exist, an identifier (given
 * or generated) longer than 63 bytes, also those PostgreSQL would derive
 * (<table>_pkey, <table>_<column>_seq, <table>_<column>_check), a table
 * defined twice.  Keys that only matter to application code (colProps,
 * immutable, version) are ignored, and so are those pg-schemata 1.x accepts
 * and builds nothing from (a column's nullable, an index's type "Index").
 * Its older schemaName (used when dbSchema is empty) and top-level indexes
 * are read.
 *
 * An element of the models with enumName is an enum type, as Linkgress's
 * create_enum writes it ({type: "create_enum", enumName, values}); enums
 * are read first, and a column type that is an enum's name as written is
 * that enum (schemata_resolve_enum_columns() gives such columns the type's
 * oid once it exists).
 *
 * Models are read with search_path pinned to pg_catalog (see searchpath.c),
 * as bootstrap(), teardown() and diff() run their DDL: a type, function or
 * operator class outside pg_catalog must be named with its schema.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/md5.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "model.h"

/* pg-schemata's type for created_by/updated_by */
#define AUDIT_USER_TYPE "varchar(50)"
/* pg-schemata's default for created_by/updated_by */
#define AUDIT_USER_DEFAULT "'system'"
/* hex digits of md5 in generated constraint names */
#define NAME_HASH_LEN 6

static const char *const table_keys[] = {
	"dbSchema", "schemaName", "table", "columns", "constraints", "indexes",
	"hasAuditFields", "softDelete", "renamedFrom", NULL
};
static const char *const table_ignored[] = {"version", NULL};
static const char *const column_keys[] = {
	"name", "type", "notNull", "default", "generated", "expression", "stored",
	"renamedFrom", NULL
};

/* pg-schemata 1.x accepts nullable and builds no DDL from it */
static const char *const column_ignored[] = {"immutable", "colProps", "nullable", NULL};
static const char *const constraint_keys[] = {
	"primaryKey", "unique", "foreignKeys", "checks", "indexes", NULL
};
static const char *const unique_keys[] = {"columns", "nullsNotDistinct", "name", NULL};
static const char *const foreign_key_keys[] = {
	"type", "columns", "references", "onDelete", "onUpdate", NULL
};
static const char *const references_keys[] = {"table", "columns", "schema", "dbSchema", NULL};
static const char *const check_keys[] = {"type", "expression", NULL};
static const char *const index_keys[] = {
	"type", "columns", "name", "unique", "using", "where", "with", "tablespace", "ifNotExists",
	NULL
};
static const char *const index_column_keys[] = {"column", "opclass", "order", NULL};
static const char *const audit_keys[] = {"enabled", "userFields", NULL};
static const char *const user_fields_keys[] = {"type", "nullable", "default", NULL};
static const char *const enum_keys[] = {"type", "enumName", "values", "dbSchema", NULL};
static const char *const no_keys[] = {NULL};

/* Foreign key actions as pg-schemata users write them. */
static const struct
{
	const char *name;
	char		action;
}			fk_actions[] = {
	{"NO ACTION", FKCONSTR_ACTION_NOACTION},
	{"RESTRICT", FKCONSTR_ACTION_RESTRICT},
	{"CASCADE", FKCONSTR_ACTION_CASCADE},
	{"SET NULL", FKCONSTR_ACTION_SETNULL},
	{"SET DEFAULT", FKCONSTR_ACTION_SETDEFAULT},
};

/* A column type as written, and as checked. */
typedef struct CheckedType
{
	char	   *written;
	ColumnType	type;
} CheckedType;

/* State of one schemata_read_models() call. */
typedef struct ModelReader
{
	const char *target_schema;	/* or NULL */
	ModelSet   *set;
	List	   *types;			/* CheckedType: each spelling checked once */
	const char *table_schema;	/* of the table being read */
} ModelReader;

/*---- JSON values ----*/

static char *
key_path(const char *path, const char *key)
{
	return psprintf("%s.%s", path, key);
}

static char *
element_path(const char *path, int i)
{
	return psprintf("%s[%d]", path, i);
}

/* "message" is a whole sentence, marked with gettext_noop(), whose %s is path. */
static pg_noreturn void wrong_json_type(const char *path, const char *message);

static void
wrong_json_type(const char *path, const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg(message, path)));
}

static bool
is_container(const JsonbValue *value, bool array)
{
	return value->type == jbvBinary &&
		(array ? JsonContainerIsArray(value->val.binary.data)
		 : JsonContainerIsObject(value->val.binary.data));
}

static JsonbContainer *
object_value(const JsonbValue *value, const char *path)
{
	if (!is_container(value, false))
		wrong_json_type(path, gettext_noop("%s must be an object"));
	return value->val.binary.data;
}

static JsonbContainer *
array_value(const JsonbValue *value, const char *path)
{
	if (!is_container(value, true))
		wrong_json_type(path, gettext_noop("%s must be an array"));
	return value->val.binary.data;
}

static char *
string_value(const JsonbValue *value, const char *path)
{
	if (value->type != jbvString)
		wrong_json_type(path, gettext_noop("%s must be a string"));
	return pnstrdup(value->val.string.val, value->val.string.len);
}

static bool
bool_value(const JsonbValue *value, const char *path)
{
	if (value->type != jbvBool)
		wrong_json_type(path, gettext_noop("%s must be a boolean"));
	return value->val.boolean;
}

static void
check_name_length(const char *name, const char *path, const char *hint)
{
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("identifier \"%s\" at %s is longer than %d bytes",
						name, path, NAMEDATALEN - 1),
				 errdetail("PostgreSQL would truncate it."),
				 hint ? errhint("%s", hint) : 0));
}

/* A string naming a database object: not empty, at most 63 bytes. */
static char *
identifier_value(const JsonbValue *value, const char *path)
{
	char	   *name = string_value(value, path);

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", path)));
	check_name_length(name, path, NULL);
	return name;
}

/* The value of "key" in "object", or NULL when absent or JSON null. */
static JsonbValue *
field(JsonbContainer *object, const char *key)
{
	JsonbValue *value = getKeyJsonValueFromContainer(object, key, strlen(key), NULL);

	if (value == NULL || value->type == jbvNull)
		return NULL;
	return value;
}

static JsonbValue *
required_field(JsonbContainer *object, const char *key, const char *path)
{
	JsonbValue *value = field(object, key);

	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is required", key_path(path, key))));
	return value;
}

static bool
in_list(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/* Every key of "object" must be in "known" or "ignored". */
static void
check_object_keys(JsonbContainer *object, const char *path,
				  const char *const *known, const char *const *ignored)
{
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbIteratorToken token;
	JsonbValue	value;

	while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE)
	{
		char	   *key;

		if (token != WJB_KEY)
			continue;
		key = pnstrdup(value.val.string.val, value.val.string.len);
		if (!in_list(key, known) && !in_list(key, ignored))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized key \"%s\" in %s", key, path)));
	}
}

/* The object at "value", with its keys checked. */
static JsonbContainer *
checked_object(const JsonbValue *value, const char *path,
			   const char *const *known, const char *const *ignored)
{
	JsonbContainer *object = object_value(value, path);

	check_object_keys(object, path, known, ignored);
	return object;
}

static int
container_length(JsonbContainer *array)
{
	return JsonContainerSize(array);
}

static JsonbValue *
array_element(JsonbContainer *array, int i)
{
	return getIthJsonbValueFromContainer(array, i);
}

/*---- names ----*/

/* The first NAME_HASH_LEN hex digits of the md5 of "input". */
static char *
short_md5(const char *input)
{
	char		hex[33];		/* 32 hex digits and a NUL */
	const char *errstr = NULL;

	if (!pg_md5_hash(input, strlen(input), hex, &errstr))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute MD5 hash: %s", errstr)));
	return pnstrdup(hex, NAME_HASH_LEN);
}

static char *
join_names(const ModelColumnList *list)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < list->n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "_" : "", list->names[i]);
	return buf.data;
}

/* pg-schemata's name for a unique constraint of "table" on "columns". */
char *
schemata_unique_name(const char *table, const ModelColumnList *columns)
{
	char	   *cols;

	Assert(columns->n > 0);
	cols = join_names(columns);
	return psprintf("uidx_%s_%s_%s", table, cols, short_md5(psprintf("%s%s", table, cols)));
}

/* pg-schemata's name for foreign key "fk" of "table". */
char *
schemata_foreign_key_name(const char *table, const ModelForeignKey *fk)
{
	return psprintf("fk_%s_%s", table,
					short_md5(psprintf("%s%s%s%s%s", table, fk->ref_hash_prefix, fk->ref_table,
									   fk->ref_hash_suffix, join_names(&fk->columns))));
}

/* pg-schemata's default name for index "index" of "table", in lower case. */
char *
schemata_index_name(const char *table, const ModelIndex *index)
{
	StringInfoData name;

	initStringInfo(&name);
	appendStringInfo(&name, "%s_%s", index->unique ? "uidx" : "idx", table);
	for (int i = 0; i < index->ncolumns; i++)
		appendStringInfo(&name, "_%s", index->columns[i].name);
	return str_tolower(name.data, name.len, DEFAULT_COLLATION_OID);
}

/*---- columns ----*/

/* Column type "type", checked at its first use in this read. */
static const ColumnType *
checked_type(ModelReader *reader, const char *type, const char *path)
{
	CheckedType *checked;
	ListCell   *lc;

	foreach(lc, reader->types)
	{
		checked = lfirst(lc);
		if (strcmp(checked->written, type) == 0)
			return &checked->type;
	}
	checked = palloc(sizeof(CheckedType));
	checked->written = pstrdup(type);
	schemata_check_type(type, path, &checked->type);
	reader->types = lappend(reader->types, checked);
	return &checked->type;
}

const ModelColumn *
schemata_find_model_column(const ModelTable *table, const char *name)
{
	for (int i = 0; i < table->ncolumns; i++)
		if (strcmp(table->columns[i].name, name) == 0)
			return &table->columns[i];
	return NULL;
}

/* Whether "name" is one of the columns of "list". */
bool
schemata_in_column_list(const ModelColumnList *list, const char *name)
{
	for (int i = 0; i < list->n; i++)
		if (strcmp(list->names[i], name) == 0)
			return true;
	return false;
}

/* A default of any JSON type, as SQL. */
static char *
default_sql(const JsonbValue *value, const char *path)
{
	switch (value->type)
	{
		case jbvNull:
			return pstrdup("NULL");
		case jbvBool:
			return pstrdup(value->val.boolean ? "true" : "false");
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(value->val.numeric)));
		case jbvString:
			return schemata_string_default(string_value(value, path), path);
		default:
			wrong_json_type(path, gettext_noop("%s must be a string, number, boolean or null"));
	}
}

/* generated + expression + stored: a stored generated column. */
static void
read_generated(JsonbContainer *object, const char *path, ModelColumn *column)
{
	JsonbValue *generated = field(object, "generated");
	JsonbValue *expression = field(object, "expression");
	JsonbValue *stored = field(object, "stored");

	if (generated == NULL)
	{
		if (expression != NULL || stored != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs \"generated\"", key_path(path, expression ? "expression" : "stored"))));
		return;
	}
	if (pg_strcasecmp(string_value(generated, key_path(path, "generated")), "always") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be \"always\"", key_path(path, "generated")),
				 errdetail("PostgreSQL has only GENERATED ALWAYS AS (expression) columns.")));
	if (expression == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is required with \"generated\"", key_path(path, "expression"))));
	if (stored == NULL || !bool_value(stored, key_path(path, "stored")))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s must be true", key_path(path, "stored")),
				 errdetail("Models describe only stored generated columns.")));
	if (getKeyJsonValueFromContainer(object, "default", strlen("default"), NULL) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot have both \"default\" and \"generated\"", path)));
	column->generated_sql =
		schemata_check_expression(string_value(expression, key_path(path, "expression")),
								  key_path(path, "expression"), false);
}

static void
set_column_type(ModelColumn *column, const ColumnType *type)
{
	column->type = type->sql;
	column->is_serial = type->is_serial;
	column->type_oid = type->type_oid;
	column->typmod = type->typmod;
}

/*
 * The enum of the models a column type names as its models write it (its
 * name alone), preferring one in the table's schema; or NULL.
 */
static const ModelEnum *
find_model_enum(const ModelReader *reader, const char *type)
{
	const ModelEnum *found = NULL;

	for (int i = 0; i < reader->set->nenums; i++)
	{
		const ModelEnum *e = &reader->set->enums[i];

		if (strcmp(e->name, type) != 0)
			continue;
		if (strcmp(e->schema, reader->table_schema) == 0)
			return e;
		if (found == NULL)
			found = e;
	}
	return found;
}

/* The type of enum "model_enum" if it exists, else InvalidOid. */
Oid
schemata_enum_oid(const ModelEnum *model_enum)
{
	Oid			nsp = get_namespace_oid(model_enum->schema, true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
						   CStringGetDatum(model_enum->name), ObjectIdGetDatum(nsp));
}

/* Give the columns of the models' enums their types' oids as they are now. */
void
schemata_resolve_enum_columns(ModelSet *set)
{
	for (int t = 0; t < set->ntables; t++)
		for (int c = 0; c < set->tables[t].ncolumns; c++)
		{
			ModelColumn *column = &set->tables[t].columns[c];

			if (column->enum_type != NULL)
				column->type_oid = schemata_enum_oid(column->enum_type);
		}
}

static void
read_column(ModelReader *reader, const JsonbValue *value, const char *path,
			ModelColumn *column)
{
	JsonbContainer *object = checked_object(value, path, column_keys, column_ignored);
	JsonbValue *item;
	char	   *type;

	memset(column, 0, sizeof(ModelColumn));
	column->path = pstrdup(path);
	column->name = identifier_value(required_field(object, "name", path),
									key_path(path, "name"));
	type = string_value(required_field(object, "type", path), key_path(path, "type"));
	column->enum_type = find_model_enum(reader, type);
	if (column->enum_type != NULL)
	{
		column->type = quote_qualified_identifier(column->enum_type->schema,
												  column->enum_type->name);
		column->type_oid = schemata_enum_oid(column->enum_type);
		column->typmod = -1;
	}
	else
		set_column_type(column, checked_type(reader, type, key_path(path, "type")));
	if ((item = field(object, "notNull")) != NULL)
		column->not_null = bool_value(item, key_path(path, "notNull"));
	/* default: null is DEFAULT NULL, as in pg-schemata */
	if ((item = getKeyJsonValueFromContainer(object, "default", strlen("default"), NULL)) != NULL)
		column->default_sql = default_sql(item, key_path(path, "default"));
	if ((item = field(object, "renamedFrom")) != NULL)
		column->renamed_from = identifier_value(item, key_path(path, "renamedFrom"));
	read_generated(object, path, column);
	/* as in pg-schemata's createTable(), a generated column ignores notNull */
	if (column->generated_sql != NULL)
		column->not_null = false;
}

static ModelColumn *
add_column(ModelTable *table, int *allocated, const char *name)
{
	ModelColumn *column;

	schemata_grow(table->columns, table->ncolumns, *allocated, 8);
	column = &table->columns[table->ncolumns++];
	column->name = pstrdup(name);
	return column;
}

/* Append a column pg-schemata adds, unless the model has one of that name. */
static void
add_implied_column(ModelTable *table, int *allocated, const char *path, const char *name,
				   const ColumnType *type, bool not_null, const char *default_value)
{
	ModelColumn *column;

	if (schemata_find_model_column(table, name) != NULL)
		return;
	column = add_column(table, allocated, name);
	set_column_type(column, type);
	column->not_null = not_null;
	column->default_sql = default_value ? pstrdup(default_value) : NULL;
	column->path = pstrdup(path);
}

/*
 * hasAuditFields: true, or {enabled, userFields: {type, nullable, default}}.
 * created_at/updated_at are timestamptz DEFAULT now(); created_by/updated_by
 * are varchar(50) DEFAULT 'system' in the boolean form; in the object form
 * they take userFields' type, are NOT NULL only with nullable: false, and
 * default to userFields.default, else 'system' when not nullable.
 */
static void
add_audit_columns(ModelReader *reader, ModelTable *table, int *allocated,
				  const JsonbValue *value, const char *path)
{
	const ColumnType *time_type = checked_type(reader, "timestamptz", path);
	const ColumnType *user_type = checked_type(reader, AUDIT_USER_TYPE, path);
	char	   *user_default = AUDIT_USER_DEFAULT;
	bool		user_not_null = false;

	if (value->type == jbvBool)
	{
		if (!value->val.boolean)
			return;
	}
	else
	{
		JsonbContainer *object = checked_object(value, path, audit_keys, no_keys);
		JsonbValue *enabled = field(object, "enabled");
		JsonbValue *user_fields = field(object, "userFields");

		if (enabled == NULL || !bool_value(enabled, key_path(path, "enabled")))
			return;
		user_default = NULL;
		if (user_fields != NULL)
		{
			char	   *fields_path = key_path(path, "userFields");
			JsonbContainer *fields = checked_object(user_fields, fields_path,
													user_fields_keys, no_keys);
			JsonbValue *item;

			if ((item = field(fields, "type")) != NULL)
				user_type = checked_type(reader, string_value(item, key_path(fields_path, "type")),
										 key_path(fields_path, "type"));
			if ((item = field(fields, "nullable")) != NULL)
				user_not_null = !bool_value(item, key_path(fields_path, "nullable"));
			if ((item = field(fields, "default")) != NULL)
				user_default = default_sql(item, key_path(fields_path, "default"));
		}
		if (user_default == NULL && user_not_null)
			user_default = AUDIT_USER_DEFAULT;
	}
	add_implied_column(table, allocated, path, "created_at", time_type, false, "now()");
	add_implied_column(table, allocated, path, "created_by", user_type, user_not_null, user_default);
	add_implied_column(table, allocated, path, "updated_at", time_type, false, "now()");
	add_implied_column(table, allocated, path, "updated_by", user_type, user_not_null, user_default);
}

static void
read_columns(ModelReader *reader, ModelTable *table, JsonbContainer *object, const char *path)
{
	char	   *columns_path = key_path(path, "columns");
	JsonbContainer *array = array_value(required_field(object, "columns", path), columns_path);
	int			n = container_length(array);
	int			allocated = 0;
	JsonbValue *item;

	table->ncolumns = 0;
	table->columns = NULL;
	for (int i = 0; i < n; i++)
	{
		char	   *column_path = element_path(columns_path, i);
		ModelColumn column;

		read_column(reader, array_element(array, i), column_path, &column);
		if (schemata_find_model_column(table, column.name) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" is defined twice in %s", column.name, columns_path)));
		if (column.is_serial)
			check_name_length(psprintf("%s_%s_seq", table->name, column.name), column_path,
							  "PostgreSQL names a serial column's sequence <table>_<column>_seq; shorten the table or column name.");
		*add_column(table, &allocated, column.name) = column;
	}
	if ((item = field(object, "hasAuditFields")) != NULL)
		add_audit_columns(reader, table, &allocated, item, key_path(path, "hasAuditFields"));
	if ((item = field(object, "softDelete")) != NULL &&
		bool_value(item, key_path(path, "softDelete")))
		add_implied_column(table, &allocated, key_path(path, "softDelete"), "deactivated_at",
						   checked_type(reader, "timestamptz", path), false, NULL);
}

/*---- constraints ----*/

/*
 * A non-empty array of column names.  With "table", each must be one of its
 * columns.
 */
static ModelColumnList
read_column_list(const JsonbValue *value, const char *path, const ModelTable *table)
{
	JsonbContainer *array = array_value(value, path);
	ModelColumnList list;

	list.n = container_length(array);
	if (list.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", path)));
	list.names = palloc(list.n * sizeof(char *));
	for (int i = 0; i < list.n; i++)
	{
		char	   *item_path = element_path(path, i);

		list.names[i] = identifier_value(array_element(array, i), item_path);
		if (table != NULL && schemata_find_model_column(table, list.names[i]) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" named at %s does not exist in table \"%s\"",
							list.names[i], item_path, table->name)));
	}
	return list;
}

/* A unique constraint's nullsNotDistinct: true needs PostgreSQL 15. */
static bool
read_nulls_not_distinct(const JsonbValue *value, const char *path)
{
	bool		nulls_not_distinct = bool_value(value, path);

#if PG_VERSION_NUM < 150000
	if (nulls_not_distinct)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot be true on PostgreSQL %s", path, PG_MAJORVERSION),
				 errdetail("UNIQUE NULLS NOT DISTINCT came with PostgreSQL 15.")));
#endif
	return nulls_not_distinct;
}

static void
read_unique(const ModelTable *table, const JsonbValue *value, const char *path,
			ModelUnique *unique)
{
	JsonbValue *item;

	memset(unique, 0, sizeof(ModelUnique));
	unique->path = pstrdup(path);
	if (is_container(value, true))
		unique->columns = read_column_list(value, path, table);
	else
	{
		JsonbContainer *object = checked_object(value, path, unique_keys, no_keys);

		unique->columns = read_column_list(required_field(object, "columns", path),
										   key_path(path, "columns"), table);
		if ((item = field(object, "nullsNotDistinct")) != NULL)
			unique->nulls_not_distinct = read_nulls_not_distinct(item, key_path(path, "nullsNotDistinct"));
		if ((item = field(object, "name")) != NULL)
			unique->name = identifier_value(item, key_path(path, "name"));
	}
	if (unique->name == NULL)
	{
		unique->name = schemata_unique_name(table->name, &unique->columns);
		unique->derived_name = true;
		check_name_length(unique->name, path, "Give the constraint a shorter \"name\".");
	}
}

static char
fk_action(const JsonbValue *value, const char *path)
{
	char	   *name = string_value(value, path);

	for (int i = 0; i < lengthof(fk_actions); i++)
		if (pg_strcasecmp(name, fk_actions[i].name) == 0)
			return fk_actions[i].action;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid foreign key action \"%s\" at %s", name, path),
			 errhint("Valid actions are CASCADE, RESTRICT, NO ACTION, SET NULL and SET DEFAULT.")));
	return 0;					/* keep compiler quiet */
}

/*
 * references: {table, columns, schema}; table may be "schema.table".  The
 * hash of the constraint name follows pg-schemata: references.table as
 * written, plus references.schema when the table is not dotted.
 */
static void
read_references(const ModelReader *reader, const ModelTable *table, const JsonbValue *value,
				const char *path, ModelForeignKey *fk)
{
	JsonbContainer *object = checked_object(value, path, references_keys, no_keys);
	char	   *ref = string_value(required_field(object, "table", path), key_path(path, "table"));
	char	   *dot = strchr(ref, '.');
	JsonbValue *schema = field(object, "schema");
	JsonbValue *db_schema = field(object, "dbSchema");

	if (dot != NULL)
	{
		if (dot == ref || dot[1] == '\0' || strchr(dot + 1, '.') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be \"table\" or \"schema.table\", not \"%s\"",
							key_path(path, "table"), ref)));
		fk->ref_schema = pnstrdup(ref, dot - ref);
		fk->ref_table = pstrdup(dot + 1);
	}
	else
	{
		fk->ref_table = pstrdup(ref);
		if (schema != NULL)
			fk->ref_schema = identifier_value(schema, key_path(path, "schema"));
		else if (db_schema != NULL && reader->target_schema == NULL)
			fk->ref_schema = identifier_value(db_schema, key_path(path, "dbSchema"));
		else
			fk->ref_schema = pstrdup(table->schema);
	}
	check_name_length(fk->ref_schema, key_path(path, "table"), NULL);
	check_name_length(fk->ref_table, key_path(path, "table"), NULL);
	fk->ref_columns = read_column_list(required_field(object, "columns", path),
									   key_path(path, "columns"), NULL);
	fk->ref_hash_prefix = dot != NULL ? psprintf("%s.", fk->ref_schema) : "";
	fk->ref_hash_suffix = dot == NULL && schema != NULL ? fk->ref_schema : "";
}

static void
read_foreign_key(const ModelReader *reader, const ModelTable *table, const JsonbValue *value,
				 const char *path, ModelForeignKey *fk)
{
	JsonbContainer *object = checked_object(value, path, foreign_key_keys, no_keys);
	JsonbValue *item;

	memset(fk, 0, sizeof(ModelForeignKey));
	fk->path = pstrdup(path);
	if ((item = field(object, "type")) != NULL &&
		strcmp(string_value(item, key_path(path, "type")), "ForeignKey") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be \"ForeignKey\"", key_path(path, "type"))));
	fk->columns = read_column_list(required_field(object, "columns", path),
								   key_path(path, "columns"), table);
	read_references(reader, table, required_field(object, "references", path),
					key_path(path, "references"), fk);
	if (fk->ref_columns.n != fk->columns.n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("%s has %d columns but its references have %d",
						path, fk->columns.n, fk->ref_columns.n)));
	fk->on_delete = FKCONSTR_ACTION_NOACTION;
	fk->on_update = FKCONSTR_ACTION_NOACTION;
	if ((item = field(object, "onDelete")) != NULL)
		fk->on_delete = fk_action(item, key_path(path, "onDelete"));
	if ((item = field(object, "onUpdate")) != NULL)
		fk->on_update = fk_action(item, key_path(path, "onUpdate"));
	fk->name = schemata_foreign_key_name(table->name, fk);
	check_name_length(fk->name, path, "Foreign key names are made from the table name; shorten it.");
}

/* The distinct column names an expression's raw parse tree refers to. */
static bool
collect_column_refs(Node *node, List **names)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef) && IsA(llast(((ColumnRef *) node)->fields), String))
	{
		char	   *name = strVal(llast(((ColumnRef *) node)->fields));

		if (!list_member(*names, makeString(name)))
			*names = lappend(*names, makeString(name));
		return false;
	}
	return raw_expression_tree_walker(node, collect_column_refs, (void *) names);
}

/* The distinct column names (String nodes) SQL expression "expr" uses. */
List *
schemata_expression_columns(const char *expr, const char *path)
{
	List	   *names = NIL;

	(void) collect_column_refs(schemata_parse_expression(expr, path), &names);
	return names;
}

/*
 * The name PostgreSQL gives check "expr" of "table": <table>_<column>_check
 * when it names one column, else <table>_check.  It must not need
 * truncating.
 */
static void
check_check_name(const ModelTable *table, const char *expr, const char *path)
{
	List	   *names = schemata_expression_columns(expr, path);
	char	   *name;

	if (list_length(names) == 1)
		name = psprintf("%s_%s_check", table->name, strVal(linitial(names)));
	else
		name = psprintf("%s_check", table->name);
	check_name_length(name, path,
					  "PostgreSQL names an unnamed check <table>_<column>_check; shorten the table or column name.");
}

/* checks: an expression string, or {type: "Check", expression}. */
static void
read_check(const ModelTable *table, const JsonbValue *value, const char *path, ModelCheck *check)
{
	char	   *expr_path = pstrdup(path);
	char	   *expr;

	check->path = pstrdup(path);
	if (value->type == jbvString)
		expr = string_value(value, path);
	else
	{
		JsonbContainer *object = checked_object(value, path, check_keys, no_keys);
		JsonbValue *item;

		if ((item = field(object, "type")) != NULL &&
			strcmp(string_value(item, key_path(path, "type")), "Check") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be \"Check\"", key_path(path, "type"))));
		expr_path = key_path(path, "expression");
		expr = string_value(required_field(object, "expression", path), expr_path);
	}
	check->expr_sql = schemata_check_expression(expr, expr_path, false);
	check_check_name(table, expr, expr_path);
}

static void
read_index_column(const ModelTable *table, const JsonbValue *value, const char *path,
				  ModelIndexColumn *column)
{
	const JsonbValue *name = value;
	char	   *name_path = pstrdup(path);

	memset(column, 0, sizeof(ModelIndexColumn));
	if (value->type != jbvString)
	{
		JsonbContainer *object = checked_object(value, path, index_column_keys, no_keys);
		JsonbValue *item;

		name = required_field(object, "column", path);
		name_path = key_path(path, "column");
		if ((item = field(object, "opclass")) != NULL)
		{
			PathContext ctx;
			char	   *opclass_path = key_path(path, "opclass");

			schemata_push_path(&ctx, opclass_path, NULL);
			column->opclass_sql =
				NameListToQuotedString(stringToQualifiedNameList(string_value(item, opclass_path)));
			schemata_pop_path(&ctx);
		}
		if ((item = field(object, "order")) != NULL)
		{
			char	   *order = string_value(item, key_path(path, "order"));

			if (pg_strcasecmp(order, "DESC") == 0)
				column->descending = true;
			else if (pg_strcasecmp(order, "ASC") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be \"ASC\" or \"DESC\"", key_path(path, "order"))));
		}
	}
	column->name = identifier_value(name, name_path);
	if (schemata_find_model_column(table, column->name) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" named at %s does not exist in table \"%s\"",
						column->name, name_path, table->name)));
}

/* with: {fillfactor: 70, ...}: a string value is quoted, others are not. */
static char *
read_index_with(const JsonbValue *value, const char *path)
{
	JsonbContainer *object = object_value(value, path);
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbIteratorToken token;
	JsonbValue	item;
	StringInfoData buf;
	char	   *key = NULL;

	initStringInfo(&buf);
	while ((token = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
			key = pnstrdup(item.val.string.val, item.val.string.len);
		else if (token == WJB_VALUE)
		{
			char	   *item_path;
			char	   *sql;

			/* an object's value comes after its key */
			Assert(key != NULL);
			item_path = key_path(path, key);

			check_name_length(key, item_path, NULL);
			if (item.type == jbvString)
				sql = quote_literal_cstr(string_value(&item, item_path));
			else if (item.type == jbvNumeric || item.type == jbvBool)
				sql = default_sql(&item, item_path);
			else
				wrong_json_type(item_path, gettext_noop("%s must be a string, number or boolean"));
			appendStringInfo(&buf, "%s%s = %s", buf.len > 0 ? ", " : "",
							 quote_identifier(key), sql);
		}
	}
	return buf.len > 0 ? buf.data : NULL;
}

static void
read_index(const ModelTable *table, const JsonbValue *value, const char *path,
		   ModelIndex *index)
{
	JsonbContainer *object = checked_object(value, path, index_keys, no_keys);
	char	   *columns_path = key_path(path, "columns");
	JsonbContainer *columns = array_value(required_field(object, "columns", path), columns_path);
	JsonbValue *item;

	memset(index, 0, sizeof(ModelIndex));
	index->path = pstrdup(path);
	if ((item = field(object, "type")) != NULL &&
		strcmp(string_value(item, key_path(path, "type")), "Index") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be \"Index\"", key_path(path, "type"))));
	if ((item = field(object, "unique")) != NULL)
		index->unique = bool_value(item, key_path(path, "unique"));
	index->ncolumns = container_length(columns);
	if (index->ncolumns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", columns_path)));
	index->columns = palloc(index->ncolumns * sizeof(ModelIndexColumn));
	for (int i = 0; i < index->ncolumns; i++)
		read_index_column(table, array_element(columns, i), element_path(columns_path, i),
						  &index->columns[i]);
	if ((item = field(object, "name")) != NULL)
		index->name = identifier_value(item, key_path(path, "name"));
	else
	{
		index->name = schemata_index_name(table->name, index);
		index->derived_name = true;
		check_name_length(index->name, path, "Give the index a shorter \"name\".");
	}
	if ((item = field(object, "using")) != NULL)
	{
		char	   *using_path = key_path(path, "using");
		char	   *method = identifier_value(item, using_path);
		PathContext ctx;

		/* pg-schemata writes it unquoted, so it is folded to lower case */
		index->method = str_tolower(method, strlen(method), DEFAULT_COLLATION_OID);
		schemata_push_path(&ctx, using_path, NULL);
		(void) get_index_am_oid(index->method, false);
		schemata_pop_path(&ctx);
	}
	if ((item = field(object, "where")) != NULL)
		index->where_sql = schemata_check_expression(string_value(item, key_path(path, "where")),
													 key_path(path, "where"), false);
	if ((item = field(object, "with")) != NULL)
		index->with_sql = read_index_with(item, key_path(path, "with"));
	if ((item = field(object, "tablespace")) != NULL)
		index->tablespace = identifier_value(item, key_path(path, "tablespace"));
	if ((item = field(object, "ifNotExists")) != NULL)
		(void) bool_value(item, key_path(path, "ifNotExists"));
}

/* The array at key "key" of "object" (or none), with its length. */
static JsonbContainer *
optional_array(JsonbContainer *object, const char *key, const char *path, int *n)
{
	JsonbValue *value = field(object, key);
	JsonbContainer *array;

	*n = 0;
	if (value == NULL)
		return NULL;
	array = array_value(value, key_path(path, key));
	*n = container_length(array);
	return array;
}

static void read_indexes(ModelTable *table, JsonbContainer *object, const char *path);

static void
read_constraints(const ModelReader *reader, ModelTable *table, const JsonbValue *value,
				 const char *path)
{
	JsonbContainer *object = checked_object(value, path, constraint_keys, no_keys);
	JsonbContainer *array;
	JsonbValue *item;
	int			n;

	if ((item = field(object, "primaryKey")) != NULL)
	{
		table->primary_key = read_column_list(item, key_path(path, "primaryKey"), table);
		check_name_length(psprintf("%s_pkey", table->name), key_path(path, "primaryKey"),
						  "PostgreSQL names the primary key <table>_pkey; shorten the table name.");
	}

	array = optional_array(object, "unique", path, &n);
	table->nuniques = n;
	table->uniques = palloc0(Max(n, 1) * sizeof(ModelUnique));
	for (int i = 0; i < n; i++)
		read_unique(table, array_element(array, i),
					element_path(key_path(path, "unique"), i), &table->uniques[i]);

	array = optional_array(object, "foreignKeys", path, &n);
	table->nforeign_keys = n;
	table->foreign_keys = palloc0(Max(n, 1) * sizeof(ModelForeignKey));
	for (int i = 0; i < n; i++)
		read_foreign_key(reader, table, array_element(array, i),
						 element_path(key_path(path, "foreignKeys"), i), &table->foreign_keys[i]);

	array = optional_array(object, "checks", path, &n);
	table->nchecks = n;
	table->checks = palloc0(Max(n, 1) * sizeof(ModelCheck));
	for (int i = 0; i < n; i++)
		read_check(table, array_element(array, i), element_path(key_path(path, "checks"), i),
				   &table->checks[i]);

	read_indexes(table, object, path);
}

/*
 * The indexes at key "indexes" of "object" (constraints, or the model itself
 * as in pg-schemata before 2.0), unless the table has some already.
 */
static void
read_indexes(ModelTable *table, JsonbContainer *object, const char *path)
{
	int			n;
	JsonbContainer *array = optional_array(object, "indexes", path, &n);

	if (n == 0)
		return;
	if (table->nindexes > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot have both \"indexes\" and \"constraints.indexes\"",
						table->path),
				 errdetail("pg-schemata reads the top-level \"indexes\" only when \"constraints.indexes\" is empty."),
				 errhint("Move the indexes into \"constraints.indexes\".")));
	table->nindexes = n;
	table->indexes = palloc0(n * sizeof(ModelIndex));
	for (int i = 0; i < n; i++)
		read_index(table, array_element(array, i), element_path(key_path(path, "indexes"), i),
				   &table->indexes[i]);
}

/*---- tables ----*/

static void
read_table(ModelReader *reader, const JsonbValue *value, const char *path,
		   ModelTable *table)
{
	JsonbContainer *object = checked_object(value, path, table_keys, table_ignored);
	JsonbValue *item;

	memset(table, 0, sizeof(ModelTable));
	table->path = pstrdup(path);
	table->name = identifier_value(required_field(object, "table", path), key_path(path, "table"));
	/* as in pg-schemata, an empty dbSchema means schemaName, else public */
	table->schema = "public";
	if ((item = field(object, "schemaName")) != NULL &&
		string_value(item, key_path(path, "schemaName"))[0] != '\0')
		table->schema = identifier_value(item, key_path(path, "schemaName"));
	if ((item = field(object, "dbSchema")) != NULL &&
		string_value(item, key_path(path, "dbSchema"))[0] != '\0')
		table->schema = identifier_value(item, key_path(path, "dbSchema"));
	if (reader->target_schema != NULL)
		table->schema = pstrdup(reader->target_schema);
	reader->table_schema = table->schema;
	if ((item = field(object, "renamedFrom")) != NULL)
		table->renamed_from = identifier_value(item, key_path(path, "renamedFrom"));
	read_columns(reader, table, object, path);
	if ((item = field(object, "constraints")) != NULL)
		read_constraints(reader, table, item, key_path(path, "constraints"));
	read_indexes(table, object, path);
}

const ModelTable *
schemata_find_model(const ModelSet *set, const char *schema, const char *name)
{
	for (int i = 0; i < set->ntables; i++)
		if (strcmp(set->tables[i].schema, schema) == 0 &&
			strcmp(set->tables[i].name, name) == 0)
			return &set->tables[i];
	return NULL;
}

/*
 * A foreign key must reference a table of the models or one that exists,
 * and columns of it.
 */
static void
check_foreign_key_target(const ModelSet *set, const ModelForeignKey *fk)
{
	const ModelTable *target = schemata_find_model(set, fk->ref_schema, fk->ref_table);
	Oid			relid = InvalidOid;

	/* read_foreign_key() checked that the column lists match */
	Assert(fk->ref_columns.n == fk->columns.n);
	if (target == NULL)
	{
		Oid			nsp = get_namespace_oid(fk->ref_schema, true);

		if (OidIsValid(nsp))
			relid = get_relname_relid(fk->ref_table, nsp);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s.%s\" referenced at %s does not exist",
							fk->ref_schema, fk->ref_table, fk->path),
					 errdetail("It is neither one of the models nor a table of the database.")));
	}
	for (int i = 0; i < fk->ref_columns.n; i++)
	{
		const char *name = fk->ref_columns.names[i];

		if (target != NULL ? schemata_find_model_column(target, name) == NULL
			: get_attnum(relid, name) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" referenced at %s.references.columns[%d] does not exist in table \"%s.%s\"",
							name, fk->path, i, fk->ref_schema, fk->ref_table)));
	}
}

/*
 * An enum, as Linkgress's create_enum operation writes it: {type:
 * "create_enum", enumName, values}, with dbSchema as a table's.
 */
static void
add_enum(ModelReader *reader, JsonbContainer *object, const char *path)
{
	ModelSet   *set = reader->set;
	ModelEnum  *e = &set->enums[set->nenums];
	char	   *values_path = key_path(path, "values");
	JsonbContainer *values;
	JsonbValue *item;

	check_object_keys(object, path, enum_keys, no_keys);
	e->path = pstrdup(path);
	if ((item = field(object, "type")) != NULL &&
		strcmp(string_value(item, key_path(path, "type")), "create_enum") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be \"create_enum\"", key_path(path, "type"))));
	e->name = identifier_value(required_field(object, "enumName", path), key_path(path, "enumName"));
	e->schema = "public";
	if ((item = field(object, "dbSchema")) != NULL &&
		string_value(item, key_path(path, "dbSchema"))[0] != '\0')
		e->schema = identifier_value(item, key_path(path, "dbSchema"));
	if (reader->target_schema != NULL)
		e->schema = pstrdup(reader->target_schema);
	values = array_value(required_field(object, "values", path), values_path);
	e->nvalues = container_length(values);
	if (e->nvalues == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be empty", values_path)));
	e->values = palloc(e->nvalues * sizeof(char *));
	for (int i = 0; i < e->nvalues; i++)
	{
		char	   *value_path = element_path(values_path, i);

		e->values[i] = string_value(array_element(values, i), value_path);
		if (e->values[i][0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s cannot be empty", value_path)));
		if (strlen(e->values[i]) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is longer than %d bytes", value_path, NAMEDATALEN - 1),
					 errdetail("PostgreSQL limits enum labels to %d bytes.", NAMEDATALEN - 1)));
		for (int j = 0; j < i; j++)
			if (strcmp(e->values[i], e->values[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("value \"%s\" is given twice in %s", e->values[i], values_path)));
	}
	for (int i = 0; i < set->nenums; i++)
		if (strcmp(set->enums[i].schema, e->schema) == 0 && strcmp(set->enums[i].name, e->name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("enum \"%s.%s\" is defined twice, at %s and %s",
							e->schema, e->name, set->enums[i].path, path)));
	set->nenums++;
}

/* Whether "value", an element of the models, is an enum (has enumName). */
static bool
is_enum_model(const JsonbValue *value)
{
	return is_container(value, false) && field(value->val.binary.data, "enumName") != NULL;
}

static void
add_table(ModelReader *reader, const JsonbValue *value, const char *path)
{
	ModelSet   *set = reader->set;
	ModelTable *table = &set->tables[set->ntables];
	const ModelTable *other;

	read_table(reader, value, path, table);
	other = schemata_find_model(set, table->schema, table->name);
	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("table \"%s.%s\" is defined twice, at %s and %s",
						table->schema, table->name, other->path, path)));
	set->ntables++;
}

/* Add "value", an element of the models: its enums, or else its tables. */
static void
add_model(ModelReader *reader, const JsonbValue *value, const char *path, bool enums)
{
	if (is_enum_model(value) != enums)
		return;
	if (enums)
		add_enum(reader, value->val.binary.data, path);
	else
		add_table(reader, value, path);
}

/*
 * Read "models": an array of table models, or an object whose values are
 * table models.  target_schema, when not NULL, overrides every dbSchema.
 */
ModelSet *
schemata_read_models(Jsonb *models, const char *target_schema)
{
	ModelReader reader;
	ModelSet   *set = palloc0(sizeof(ModelSet));
	JsonbContainer *root = &models->root;
	int			nestlevel = schemata_pin_search_path();

	reader.target_schema = target_schema;
	reader.set = set;
	reader.types = NIL;
	if (JB_ROOT_IS_SCALAR(models))
		wrong_json_type("models", gettext_noop("%s must be an array or an object"));
	set->tables = palloc0(Max(JsonContainerSize(root), 1) * sizeof(ModelTable));
	set->enums = palloc0(Max(JsonContainerSize(root), 1) * sizeof(ModelEnum));
	/* enums first: the tables' columns may be of them */
	for (int pass = 0; pass < 2; pass++)
	{
		if (JB_ROOT_IS_ARRAY(models))
		{
			for (int i = 0; i < container_length(root); i++)
				add_model(&reader, array_element(root, i), element_path("models", i), pass == 0);
		}
		else
		{
			JsonbIterator *it = JsonbIteratorInit(root);
			JsonbIteratorToken token;
			JsonbValue	item;
			char	   *path = NULL;

			while ((token = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
			{
				if (token == WJB_KEY)
					path = key_path("models", pnstrdup(item.val.string.val, item.val.string.len));
				else if (token == WJB_VALUE)
				{
					Assert(path != NULL);
					add_model(&reader, &item, path, pass == 0);
				}
			}
		}
	}
	/* each element of the models is one enum or one table */
	Assert(set->ntables + set->nenums <= JsonContainerSize(root));
	for (int i = 0; i < set->ntables; i++)
		for (int j = 0; j < set->tables[i].nforeign_keys; j++)
			check_foreign_key_target(set, &set->tables[i].foreign_keys[j]);
	schemata_restore_search_path(nestlevel);
	return set;
}
