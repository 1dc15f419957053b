/*-------------------------------------------------------------------------
 *
 * model.h
 *	  Declarations of the model side: JSON table models, their DDL, the catalog, diff.
 *
 * bootstrap()/teardown()/diff()/sync() work from JSON table models.  The
 * layers, each using only those above it (and common.h; sqltext.c uses the
 * migration side's script scanner, script.c, to trim SQL to its tokens):
 *	  sqltext.c   SQL written inside models: type names, single expressions,
 *	              pg-schemata's rule for defaults
 *	  model.c     reading and checking models into ModelTable structs, and
 *	              the names pg-schemata derives
 *	  ddl.c       the DDL text of models; running one DDL statement
 *	  catalog.c   a table as the catalog describes it, in canonical forms
 *	  bootstrap.c bootstrap and teardown, in foreign-key order
 *	  diff.c      the operations from the catalog to the models; sync
 * The declarations below follow that order.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMATA_MODEL_H
#define SCHEMATA_MODEL_H

#include "common.h"

#include "nodes/nodes.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/*---- sqltext.c: SQL inside models ----*/

/*
 * "path" arguments are JSON paths such as models[2].columns[3].type, named by
 * every error.  Returned SQL text is trimmed to its tokens, so a trailing
 * comment cannot swallow what the DDL puts after it.
 */
typedef struct PathContext
{
	ErrorContextCallback callback;
	const char *path;
	const char *query;			/* text that error positions point into */
} PathContext;

extern void schemata_push_path(PathContext *ctx, const char *path, const char *query);
extern void schemata_pop_path(PathContext *ctx);

/* A column type, checked. */
typedef struct ColumnType
{
	char	   *sql;			/* as written, trimmed */
	bool		is_serial;		/* serial, bigserial, smallserial, ... */
	Oid			type_oid;		/* for serial and its kin, their integer type */
	int32		typmod;
} ColumnType;

extern void schemata_check_type(const char *type, const char *path, ColumnType *checked);
extern char *schemata_check_expression(const char *expr, const char *path, bool parenthesize);
extern Node *schemata_parse_expression(const char *expr, const char *path);
extern char *schemata_string_default(const char *value, const char *path);

/*---- model.c: models read and checked ----*/

/*
 * A model is pg-schemata's table schema, with audit and soft-delete columns
 * already added and every name resolved: the schema (after target_schema),
 * the names of unique constraints, foreign keys and indexes.  SQL fragments
 * (types, defaults, expressions) are checked and ready to put into DDL.
 */
/* An enum type of the models (Linkgress's create_enum: enumName, values). */
typedef struct ModelEnum
{
	char	   *schema;
	char	   *name;
	int			nvalues;
	char	  **values;			/* labels, in order */
	char	   *path;
} ModelEnum;

typedef struct ModelColumn
{
	char	   *name;
	char	   *type;			/* as written, checked */
	const ModelEnum *enum_type; /* the models' enum it is of, or NULL */
	bool		is_serial;		/* serial, bigserial, smallserial, ... */
	Oid			type_oid;		/* of the type, see ColumnType */
	int32		typmod;
	bool		not_null;
	char	   *default_sql;	/* DEFAULT expression, or NULL */
	char	   *generated_sql;	/* GENERATED ALWAYS AS (...) STORED, or NULL */
	char	   *renamed_from;	/* former name, or NULL */
	char	   *path;
} ModelColumn;

typedef struct ModelColumnList
{
	int			n;
	char	  **names;
} ModelColumnList;

typedef struct ModelUnique
{
	char	   *name;
	bool		derived_name;	/* uidx_<table>_..., not given */
	ModelColumnList columns;
	bool		nulls_not_distinct;
	char	   *path;
} ModelUnique;

/* Foreign key actions use pg_constraint's letters (FKCONSTR_ACTION_*). */
typedef struct ModelForeignKey
{
	char	   *name;
	/* the md5 input of the name: table, then references.table as written */
	char	   *ref_hash_prefix;	/* "schema." of a dotted references.table */
	char	   *ref_hash_suffix;	/* references.schema after an undotted one */
	ModelColumnList columns;
	char	   *ref_schema;
	char	   *ref_table;
	ModelColumnList ref_columns;
	char		on_delete;
	char		on_update;
	char	   *path;
} ModelForeignKey;

typedef struct ModelCheck
{
	char	   *expr_sql;
	char	   *path;
} ModelCheck;

typedef struct ModelIndexColumn
{
	char	   *name;
	char	   *opclass_sql;	/* quoted, possibly qualified; or NULL */
	bool		descending;
} ModelIndexColumn;

typedef struct ModelIndex
{
	char	   *name;
	bool		derived_name;	/* idx_<table>_..., not given */
	bool		unique;
	char	   *method;			/* access method, or NULL for the default */
	int			ncolumns;
	ModelIndexColumn *columns;
	char	   *where_sql;		/* predicate, or NULL */
	char	   *with_sql;		/* "fillfactor = 70, ...", or NULL */
	char	   *tablespace;		/* or NULL */
	char	   *path;
} ModelIndex;

typedef struct ModelTable
{
	char	   *schema;
	char	   *name;
	char	   *renamed_from;	/* former name, or NULL */
	char	   *path;
	int			ncolumns;
	ModelColumn *columns;
	ModelColumnList primary_key;	/* n = 0: none */
	int			nuniques;
	ModelUnique *uniques;
	int			nforeign_keys;
	ModelForeignKey *foreign_keys;
	int			nchecks;
	ModelCheck *checks;
	int			nindexes;
	ModelIndex *indexes;
} ModelTable;

typedef struct ModelSet
{
	int			ntables;
	ModelTable *tables;			/* in the order of the models */
	int			nenums;
	ModelEnum  *enums;			/* in the order of the models */
} ModelSet;

extern ModelSet *schemata_read_models(Jsonb *models, const char *target_schema);
extern const ModelTable *schemata_find_model(const ModelSet *set, const char *schema,
											 const char *name);
extern const ModelColumn *schemata_find_model_column(const ModelTable *table,
													 const char *name);
extern bool schemata_in_column_list(const ModelColumnList *list, const char *name);
extern char *schemata_unique_name(const char *table, const ModelColumnList *columns);
extern char *schemata_foreign_key_name(const char *table, const ModelForeignKey *fk);
extern char *schemata_index_name(const char *table, const ModelIndex *index);
extern List *schemata_expression_columns(const char *expr, const char *path);
extern Oid	schemata_enum_oid(const ModelEnum *model_enum);
extern void schemata_resolve_enum_columns(ModelSet *set);

/*---- ddl.c: DDL text ----*/

extern char *schemata_qualified_table(const ModelTable *table);
extern char *schemata_create_table_sql(const ModelTable *table, const bool *deferred);
extern char *schemata_create_index_sql(const ModelTable *table, const ModelIndex *index);
extern char *schemata_enum_values_sql(const ModelEnum *model_enum);
extern char *schemata_create_enum_sql(const ModelEnum *model_enum);
extern char *schemata_add_foreign_key_sql(const ModelTable *table,
										  const ModelForeignKey *fk);
extern char *schemata_foreign_key_sql(const ModelForeignKey *fk);
extern char *schemata_unique_sql(const ModelUnique *unique);
extern char *schemata_unique_key_sql(const ModelUnique *unique);
extern char *schemata_primary_key_sql(const ModelColumnList *columns);
extern char *schemata_column_definition_sql(const ModelColumn *column);
extern void schemata_execute_ddl(const char *sql, const char *path);

/*---- catalog.c: tables as the catalog describes them ----*/

/*
 * A table as pg_catalog describes it, every part in a form that compares
 * equal exactly when PostgreSQL would store the same thing: format_type(),
 * pg_get_expr(), pg_get_constraintdef(), and for indexes and foreign keys
 * their catalog fields.
 */
typedef enum CatalogItemKind
{
	ITEM_COLUMN,
	ITEM_PRIMARY_KEY,
	ITEM_UNIQUE,
	ITEM_CHECK,
	ITEM_FOREIGN_KEY,
	ITEM_INDEX					/* not backing a constraint */
} CatalogItemKind;

typedef struct CatalogItem
{
	CatalogItemKind kind;
	char	   *name;
	char	   *definition;		/* constraints and indexes: canonical form */
	char	   *model_definition;	/* a model's check: its definition under
									 * the model's column names, where
									 * definition has the live ones */
	/* columns */
	char	   *type;			/* format_type() */
	Oid			type_oid;
	int32		typmod;
	bool		not_null;
	char	   *default_expr;	/* pg_get_expr(), "serial" for an owned
								 * sequence's nextval, or NULL */
	bool		generated;		/* default_expr is a generation expression */
	bool		identity;		/* an identity column */
	/* indexes */
	char	   *tablespace;		/* its name; in a model's description NULL
								 * when the model names none: not compared */
	bool		matched;		/* set while diffing */
} CatalogItem;

typedef struct CatalogTable
{
	int			nitems;
	CatalogItem *items;
} CatalogTable;

/* Several tables, sorted by relid. */
typedef struct CatalogTables
{
	int			ntables;
	Oid		   *relids;
	CatalogTable *tables;
} CatalogTables;

extern CatalogTables *schemata_describe_tables(const Oid *relids, int n);
extern CatalogTable *schemata_catalog_table(const CatalogTables *tables, Oid relid);
extern CatalogTable *schemata_describe_model(const ModelTable *table, const CatalogTable *live);
extern const char *schemata_live_column_name(const CatalogTable *live, const ModelColumn *column);
extern char *schemata_model_foreign_key_definition(const ModelForeignKey *fk);
extern List *schemata_schema_tables(const char *schema);
extern List *schemata_enum_labels(Oid typid);

/*---- bootstrap.c: bootstrap() and teardown() ----*/

/* Each object bootstrap() or teardown() reports: its type, name, and action. */
typedef void (*ObjectCallback) (const char *object_type, const char *object_name,
								const char *action, void *arg);

extern void schemata_bootstrap(ModelSet *set, ArrayType *extensions,
							   ObjectCallback callback, void *arg);
extern void schemata_teardown(const ModelSet *set, bool cascade, bool drop_schema,
							  ObjectCallback callback, void *arg);

/*---- diff.c: diff() and sync() ----*/

typedef struct DiffStep
{
	const char *operation;
	char	   *object_name;
	bool		destructive;
	char	   *sql;
} DiffStep;

typedef void (*StepCallback) (int step, const DiffStep *diff_step, void *arg);

extern void schemata_diff(ModelSet *set, bool run, bool allow_destructive,
						  StepCallback callback, void *arg);

#endif							/* SCHEMATA_MODEL_H */
