/*-------------------------------------------------------------------------
 *
 * rehearse.c
 *	  rehearse(): running the pending migrations for real inside a
 *	  subtransaction, observing what each does, and rolling it all back.
 *
 * The whole rehearsal is one internal subtransaction of the caller's
 * transaction: the plan is made as apply() makes it (same checks, the
 * target's advisory lock), each migration runs as apply() runs it, and the
 * subtransaction is rolled back at the end, which undoes the migrations,
 * drops the history rows they queued (never written) and releases the locks
 * they took.  An error in a migration ends the call with that error, and
 * the caller's transaction (or its savepoint) undoes the rest.
 *
 * Around each migration the backend's own state is observed:
 *	  - the relation locks it holds (GetLockStatusData(), this backend's
 *	    entries), on relations outside the system schemas: those held after
 *	    and not before, with their modes, are the migration's;
 *	  - the relations, functions and types outside the system and temporary
 *	    schemas, each with a signature made of the transaction IDs that last
 *	    wrote its catalog rows (pg_class, pg_attribute, pg_constraint;
 *	    pg_proc; pg_type): one present only after was created, one present
 *	    only before was dropped, one whose signature changed was altered;
 *	  - a table whose relfilenode changed was rewritten;
 *	  - the transaction's own counts of rows inserted, updated and deleted in
 *	    each table it holds a lock on (pg_stat_get_xact_tuples_*()).
 * The catalog is read with one query per observation (pg_catalog's own
 * objects left out there, the other system schemas here), with search_path
 * pinned; a rehearsal costs those two reads per migration on top of the
 * migrations themselves.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/rehearse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "migration.h"

/* One object of the catalog outside the system schemas. */
typedef struct ObservedObject
{
	char	   *key;			/* "class oid": unique across catalogs */
	char	   *name;			/* "table public.t" */
	char	   *qualified;		/* "public.t" */
	char	   *signature;		/* xmins of its catalog rows */
	Oid			relid;			/* tables: the relation, else InvalidOid */
	Oid			relfilenode;
} ObservedObject;

/* What the backend holds and the catalog has, at one moment. */
typedef struct Observation
{
	int			nobjects;
	ObservedObject *objects;	/* sorted by key */
	List	   *locks;			/* "relid mode" strings */
	List	   *tables;			/* Oids of tables it holds locks on */
	int64	   *rows;			/* per entry of tables: inserted, updated,
								 * deleted */
} Observation;

/*
 * The objects outside the system and temporary schemas.  kind is what
 * messages call the object; relid and relfilenode are given for tables and
 * materialized views.
 */
static const char *const objects_query =
"SELECT * FROM ("
"SELECT 'pg_class ' OPERATOR(pg_catalog.||) c.oid AS key, "
"       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'i' THEN 'index' "
"            WHEN 'I' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' "
"            WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' "
"            ELSE 'relation' END, "
"       pg_catalog.format('%I.%I', n.nspname, c.relname), "
"       c.xmin::pg_catalog.text OPERATOR(pg_catalog.||) "
"         coalesce((SELECT pg_catalog.string_agg(a.xmin::pg_catalog.text, ',') "
"                     FROM pg_catalog.pg_attribute a "
"                    WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid), '') "
"         OPERATOR(pg_catalog.||) "
"         coalesce((SELECT pg_catalog.string_agg(k.xmin::pg_catalog.text, ',') "
"                     FROM pg_catalog.pg_constraint k "
"                    WHERE k.conrelid OPERATOR(pg_catalog.=) c.oid), ''), "
"       CASE WHEN c.relkind IN ('r', 'm') THEN c.oid END, "
"       CASE WHEN c.relkind IN ('r', 'm') THEN c.relfilenode END, "
"       c.relnamespace "
"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
"    ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
" WHERE c.relnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.regnamespace "
"   AND c.relkind OPERATOR(pg_catalog.<>) 't' "
"UNION ALL "
"SELECT 'pg_proc ' OPERATOR(pg_catalog.||) p.oid, "
"       'function', p.oid::pg_catalog.regprocedure::pg_catalog.text, "
"       p.xmin::pg_catalog.text, NULL, NULL, p.pronamespace "
"  FROM pg_catalog.pg_proc p "
" WHERE p.pronamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.regnamespace "
"UNION ALL "
"SELECT 'pg_type ' OPERATOR(pg_catalog.||) t.oid, "
"       'type', pg_catalog.format_type(t.oid, NULL), "
"       t.xmin::pg_catalog.text, NULL, NULL, t.typnamespace "
"  FROM pg_catalog.pg_type t "
" WHERE t.typnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.regnamespace "
"   AND t.typrelid OPERATOR(pg_catalog.=) 0 "
"   AND t.typcategory OPERATOR(pg_catalog.<>) 'A' "
") o ORDER BY key COLLATE pg_catalog.\"C\"";

/* Whether objects of namespace "nsp" are the migrations' business. */
static bool
is_user_namespace(Oid nsp)
{
	char	   *name;

	if (!OidIsValid(nsp) || IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
		isAnyTempNamespace(nsp))
		return false;
	name = get_namespace_name(nsp);
	return name != NULL && strcmp(name, "information_schema") != 0;
}

static void
observe_objects(Observation *obs)
{
	int			nestlevel = schemata_pin_search_path();
	uint64		n;

	n = schemata_spi_execute(objects_query, 0, NULL, NULL, NULL, false, SPI_OK_SELECT);
	schemata_restore_search_path(nestlevel);
	obs->objects = palloc0(Max(n, 1) * sizeof(ObservedObject));
	obs->nobjects = 0;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ObservedObject *object = &obs->objects[obs->nobjects];
		bool		isnull;
		Oid			nsp = DatumGetObjectId(SPI_getbinval(tuple, desc, 7, &isnull));

		if (!is_user_namespace(nsp))
			continue;
		object->key = SPI_getvalue(tuple, desc, 1);
		object->qualified = SPI_getvalue(tuple, desc, 3);
		object->name = psprintf("%s %s", SPI_getvalue(tuple, desc, 2), object->qualified);
		object->signature = SPI_getvalue(tuple, desc, 4);
		object->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 5, &isnull));
		if (isnull)
			object->relid = InvalidOid;
		object->relfilenode = DatumGetObjectId(SPI_getbinval(tuple, desc, 6, &isnull));
		obs->nobjects++;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* This backend's relation locks on relations outside the system schemas. */
static void
observe_locks(Observation *obs)
{
	LockData   *data = GetLockStatusData();

	obs->locks = NIL;
	obs->tables = NIL;
	for (int i = 0; i < data->nelements; i++)
	{
		LockInstanceData *lock = &data->locks[i];
		Oid			relid = lock->locktag.locktag_field2;

		Oid			nsp;

		if (lock->pid != MyProcPid || lock->locktag.locktag_type != LOCKTAG_RELATION ||
			lock->locktag.locktag_field1 != MyDatabaseId)
			continue;
		/* a relation dropped meanwhile has none: compared with what was there */
		nsp = get_rel_namespace(relid);
		if (OidIsValid(nsp) && !is_user_namespace(nsp))
			continue;
		for (LOCKMODE mode = 1; mode <= MaxLockMode; mode++)
			if (lock->holdMask & LOCKBIT_ON(mode))
				obs->locks = lappend(obs->locks, psprintf("%u %d", relid, mode));
		if (OidIsValid(nsp) && get_rel_relkind(relid) == RELKIND_RELATION &&
			!list_member_oid(obs->tables, relid))
			obs->tables = lappend_oid(obs->tables, relid);
	}
}

static void
observe_rows(Observation *obs)
{
	ListCell   *lc;
	int			i = 0;

	obs->rows = palloc(Max(list_length(obs->tables), 1) * 3 * sizeof(int64));
	foreach(lc, obs->tables)
	{
		Datum		rel = ObjectIdGetDatum(lfirst_oid(lc));

		obs->rows[i++] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_inserted, rel));
		obs->rows[i++] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_updated, rel));
		obs->rows[i++] = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_deleted, rel));
	}
}

static void
observe(Observation *obs)
{
	observe_objects(obs);
	observe_locks(obs);
	observe_rows(obs);
}

/*---- comparing two observations ----*/

static bool
in_strings(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

static int
object_key_cmp(const void *a, const void *b)
{
	return strcmp(((const ObservedObject *) a)->key, ((const ObservedObject *) b)->key);
}

/* Relation "relid" as it was when "obs" was made, or NULL. */
static const ObservedObject *
observed_relation(const Observation *obs, Oid relid)
{
	ObservedObject key;

	key.key = psprintf("pg_class %u", relid);
	return bsearch(&key, obs->objects, obs->nobjects, sizeof(ObservedObject),
				   object_key_cmp);
}

/*
 * "public.t AccessExclusiveLock" for each lock held after and not before, on
 * a relation that existed before (the locks on what the migration created
 * keep nobody waiting).
 */
static List *
new_locks(const Observation *before, const Observation *after)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, after->locks)
	{
		const char *lock = (const char *) lfirst(lc);
		const ObservedObject *relation;
		Oid			relid;
		int			mode;

		if (in_strings(before->locks, lock) || sscanf(lock, "%u %d", &relid, &mode) != 2 ||
			(relation = observed_relation(before, relid)) == NULL)
			continue;
		result = lappend(result, psprintf("%s %s", relation->qualified,
										  GetLockmodeName(DEFAULT_LOCKMETHOD, mode)));
	}
	return result;
}

/* Walk both sorted object lists; fill the four lists of what changed. */
static void
compare_objects(const Observation *before, const Observation *after, RehearsedMigration *r)
{
	int			i = 0;
	int			j = 0;

	while (i < before->nobjects || j < after->nobjects)
	{
		const ObservedObject *b = i < before->nobjects ? &before->objects[i] : NULL;
		const ObservedObject *a = j < after->nobjects ? &after->objects[j] : NULL;
		int			cmp = (b == NULL) ? 1 : (a == NULL) ? -1 : object_key_cmp(b, a);

		if (cmp < 0)
		{
			r->dropped = lappend(r->dropped, b->name);
			i++;
		}
		else if (cmp > 0)
		{
			r->created = lappend(r->created, a->name);
			j++;
		}
		else
		{
			if (strcmp(b->signature, a->signature) != 0)
				r->altered = lappend(r->altered, a->name);
			if (OidIsValid(a->relid) && a->relfilenode != b->relfilenode)
				r->rewritten = lappend(r->rewritten, a->name);
			i++;
			j++;
		}
	}
}

/* The counts of a table in an observation: zero where it held no lock. */
static void
table_rows(const Observation *obs, Oid relid, int64 *rows)
{
	int			i = 0;
	ListCell   *lc;

	rows[0] = rows[1] = rows[2] = 0;
	foreach(lc, obs->tables)
	{
		if (lfirst_oid(lc) == relid)
		{
			memcpy(rows, &obs->rows[i * 3], 3 * sizeof(int64));
			return;
		}
		i++;
	}
}

static void
compare_rows(const Observation *before, const Observation *after, RehearsedMigration *r)
{
	ListCell   *lc;

	foreach(lc, after->tables)
	{
		Oid			relid = lfirst_oid(lc);
		int64		was[3];
		int64		now[3];

		table_rows(before, relid, was);
		table_rows(after, relid, now);
		if (now[0] == was[0] && now[1] == was[1] && now[2] == was[2])
			continue;
		r->row_tables = lappend(r->row_tables,
								quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
														   get_rel_name(relid)));
		r->row_counts = lappend(r->row_counts,
								psprintf("%lld %lld %lld",
										 (long long) (now[0] - was[0]),
										 (long long) (now[1] - was[1]),
										 (long long) (now[2] - was[2])));
	}
}

/* Lists of names in the order that makes a row read the same every time. */
static int
name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

static void
sort_names(RehearsedMigration *r)
{
	list_sort(r->locks, name_cmp);
	list_sort(r->rewritten, name_cmp);
	list_sort(r->created, name_cmp);
	list_sort(r->altered, name_cmp);
	list_sort(r->dropped, name_cmp);
}

/*---- the rehearsal ----*/

/* Run the plan's migrations, observing each; in the current subtransaction. */
static void
rehearse_plan(const ApplyOptions *options, RehearsedCallback callback, void *arg)
{
	MigrationPlan *plan = schemata_build_plan(options, PLAN_FOR_APPLY);
	RunHints	hints = {true, NULL, NULL};
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "schemata rehearsal",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext step = AllocSetContextCreate(CurrentMemoryContext, "schemata rehearsal step",
											   ALLOCSET_DEFAULT_SIZES);

	schemata_open_directory(plan->dir);
	for (int i = 0; i < plan->npending; i++)
	{
		MemoryContext outer = MemoryContextSwitchTo(step);
		Observation before;
		Observation after;
		RehearsedMigration r;

		memset(&r, 0, sizeof(r));
		observe(&before);
		MemoryContextSwitchTo(outer);
		r.planned = &plan->pending[i];
		r.duration_ms = schemata_apply_step(options, plan, r.planned, 1, &hints, work);
		MemoryContextSwitchTo(step);
		observe(&after);
		r.locks = new_locks(&before, &after);
		compare_objects(&before, &after, &r);
		compare_rows(&before, &after, &r);
		sort_names(&r);
		callback(&r, arg);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(step);
	}
	schemata_close_directory(plan->dir);
	MemoryContextDelete(step);
	MemoryContextDelete(work);
}

/* What rehearse_plan() needs, for schemata_run_rolled_back(). */
typedef struct Rehearsal
{
	const ApplyOptions *options;
	RehearsedCallback callback;
	void	   *arg;
} Rehearsal;

static void
rehearse_rolled_back(void *arg)
{
	Rehearsal  *r = (Rehearsal *) arg;

	rehearse_plan(r->options, r->callback, r->arg);
}

/*
 * rehearse(): run the pending migrations of options->dir as apply() would,
 * call "callback" with what each did, then undo everything.
 */
void
schemata_rehearse_pending(const ApplyOptions *options, RehearsedCallback callback, void *arg)
{
	Rehearsal	r = {options, callback, arg};

	schemata_run_rolled_back(rehearse_rolled_back, &r);
}
