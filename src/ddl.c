/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  The DDL text of table models, and running one DDL statement.
 *
 * The statements bootstrap() runs and diff() lists, as text: CREATE TABLE
 * with its columns, primary key, unique constraints, foreign keys and
 * checks, in pg-schemata's createTable() order; CREATE INDEX with its
 * clauses in PostgreSQL's order; CREATE TYPE ... AS ENUM; and the parts
 * diff() and catalog.c use alone (a column definition, a key, a foreign
 * key).  Every identifier is quoted; the SQL fragments of the models (types,
 * defaults, expressions) were checked by model.c and sqltext.c, and go in
 * as they were checked.  The keys are written as pg_get_constraintdef()
 * writes them, so that catalog.c can compare a model's with the live ones.
 *
 * schemata_execute_ddl() runs one statement through SPI, its errors naming
 * the JSON path of what it came from.  The callers pin search_path (see
 * searchpath.c).
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/ddl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#include "model.h"

/* "schema"."table" of a model. */
char *
schemata_qualified_table(const ModelTable *table)
{
	return quote_qualified_identifier(table->schema, table->name);
}

/* (col, ...): model.c reads no empty column list. */
static void
append_column_list(StringInfo buf, const ModelColumnList *list)
{
	Assert(list->n > 0);
	appendStringInfoChar(buf, '(');
	for (int i = 0; i < list->n; i++)
		appendStringInfo(buf, "%s%s", i > 0 ? ", " : "", quote_identifier(list->names[i]));
	appendStringInfoChar(buf, ')');
}

static const char *
fk_action_sql(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return "NO ACTION";
	}
}

/* CONSTRAINT "u" UNIQUE [NULLS NOT DISTINCT] (...) */
char *
schemata_unique_sql(const ModelUnique *unique)
{
	return psprintf("CONSTRAINT %s %s", quote_identifier(unique->name),
					schemata_unique_key_sql(unique));
}

/* UNIQUE [NULLS NOT DISTINCT] (...) */
char *
schemata_unique_key_sql(const ModelUnique *unique)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "UNIQUE %s", unique->nulls_not_distinct ? "NULLS NOT DISTINCT " : "");
	append_column_list(&buf, &unique->columns);
	return buf.data;
}

/* PRIMARY KEY (...) */
char *
schemata_primary_key_sql(const ModelColumnList *columns)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "PRIMARY KEY ");
	append_column_list(&buf, columns);
	return buf.data;
}

/* CONSTRAINT "fk_x" FOREIGN KEY (...) REFERENCES "s"."t" (...) [ON ...] */
char *
schemata_foreign_key_sql(const ModelForeignKey *fk)
{
	StringInfoData buf;

	/* model.c checked that the two lists match */
	Assert(fk->columns.n == fk->ref_columns.n);
	initStringInfo(&buf);
	appendStringInfo(&buf, "CONSTRAINT %s FOREIGN KEY ", quote_identifier(fk->name));
	append_column_list(&buf, &fk->columns);
	appendStringInfo(&buf, " REFERENCES %s ",
					 quote_qualified_identifier(fk->ref_schema, fk->ref_table));
	append_column_list(&buf, &fk->ref_columns);
	if (fk->on_delete != FKCONSTR_ACTION_NOACTION)
		appendStringInfo(&buf, " ON DELETE %s", fk_action_sql(fk->on_delete));
	if (fk->on_update != FKCONSTR_ACTION_NOACTION)
		appendStringInfo(&buf, " ON UPDATE %s", fk_action_sql(fk->on_update));
	return buf.data;
}

static void
append_column_definition(StringInfo buf, const ModelColumn *column)
{
	appendStringInfo(buf, "%s %s", quote_identifier(column->name), column->type);
	if (column->generated_sql != NULL)
		appendStringInfo(buf, " GENERATED ALWAYS AS (%s) STORED", column->generated_sql);
	if (column->not_null)
		appendStringInfoString(buf, " NOT NULL");
	if (column->default_sql != NULL)
		appendStringInfo(buf, " DEFAULT %s", column->default_sql);
}

/* "name" type [GENERATED ...] [NOT NULL] [DEFAULT ...] */
char *
schemata_column_definition_sql(const ModelColumn *column)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_column_definition(&buf, column);
	return buf.data;
}

/*
 * CREATE TABLE for a model: columns, primary key, unique constraints,
 * foreign keys (those not deferred) and checks, in pg-schemata's order.
 */
char *
schemata_create_table_sql(const ModelTable *table, const bool *deferred)
{
	StringInfoData buf;
	const char *sep = "\n    ";

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TABLE %s (", schemata_qualified_table(table));
	for (int i = 0; i < table->ncolumns; i++, sep = ",\n    ")
	{
		appendStringInfoString(&buf, sep);
		append_column_definition(&buf, &table->columns[i]);
	}
	if (table->primary_key.n > 0)
	{
		appendStringInfo(&buf, "%s%s", sep, schemata_primary_key_sql(&table->primary_key));
		sep = ",\n    ";
	}
	for (int i = 0; i < table->nuniques; i++, sep = ",\n    ")
		appendStringInfo(&buf, "%s%s", sep, schemata_unique_sql(&table->uniques[i]));
	for (int i = 0; i < table->nforeign_keys; i++)
	{
		if (deferred != NULL && deferred[i])
			continue;
		appendStringInfo(&buf, "%s%s", sep, schemata_foreign_key_sql(&table->foreign_keys[i]));
		sep = ",\n    ";
	}
	for (int i = 0; i < table->nchecks; i++, sep = ",\n    ")
		appendStringInfo(&buf, "%sCHECK (%s)", sep, table->checks[i].expr_sql);
	appendStringInfoString(&buf, "\n)");
	return buf.data;
}

char *
schemata_create_index_sql(const ModelTable *table, const ModelIndex *index)
{
	StringInfoData buf;

	/* model.c reads no index without columns */
	Assert(index->ncolumns > 0);
	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sINDEX %s ON %s", index->unique ? "UNIQUE " : "",
					 quote_identifier(index->name), schemata_qualified_table(table));
	if (index->method != NULL)
		appendStringInfo(&buf, " USING %s", quote_identifier(index->method));
	appendStringInfoString(&buf, " (");
	for (int i = 0; i < index->ncolumns; i++)
	{
		const ModelIndexColumn *column = &index->columns[i];

		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", quote_identifier(column->name));
		if (column->opclass_sql != NULL)
			appendStringInfo(&buf, " %s", column->opclass_sql);
		if (column->descending)
			appendStringInfoString(&buf, " DESC");
	}
	appendStringInfoChar(&buf, ')');
	if (index->with_sql != NULL)
		appendStringInfo(&buf, " WITH (%s)", index->with_sql);
	if (index->tablespace != NULL)
		appendStringInfo(&buf, " TABLESPACE %s", quote_identifier(index->tablespace));
	if (index->where_sql != NULL)
		appendStringInfo(&buf, " WHERE %s", index->where_sql);
	return buf.data;
}

char *
schemata_add_foreign_key_sql(const ModelTable *table, const ModelForeignKey *fk)
{
	return psprintf("ALTER TABLE %s ADD %s", schemata_qualified_table(table),
					schemata_foreign_key_sql(fk));
}

/*
 * Run one DDL statement through SPI; errors name the JSON path of what it
 * came from.
 */
void
schemata_execute_ddl(const char *sql, const char *path)
{
	PathContext ctx;

	Assert(sql != NULL && path != NULL);
	schemata_push_path(&ctx, path, NULL);
	(void) schemata_spi_execute(sql, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
	schemata_pop_path(&ctx);
}

/* The labels of "model_enum", quoted and separated by commas. */
char *
schemata_enum_values_sql(const ModelEnum *model_enum)
{
	StringInfoData buf;

	/* model.c reads no enum without values */
	Assert(model_enum->nvalues > 0);
	initStringInfo(&buf);
	for (int i = 0; i < model_enum->nvalues; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", quote_literal_cstr(model_enum->values[i]));
	return buf.data;
}

char *
schemata_create_enum_sql(const ModelEnum *model_enum)
{
	return psprintf("CREATE TYPE %s AS ENUM (%s)",
					quote_qualified_identifier(model_enum->schema, model_enum->name),
					schemata_enum_values_sql(model_enum));
}
