/*-------------------------------------------------------------------------
 *
 * access.c
 *	  Who may do what: the checks on the target schema that the entry points
 *	  make before anything is read or changed, and the switch to the role
 *	  that applied a migration for running its down script.
 *
 * Writing a target schema's history (apply, migrate, rollback, baseline,
 * repair, adopt) needs the privileges of the schema's owner, as ALTER SCHEMA
 * does; reading it (status, plan, version) needs USAGE on the schema.  A schema
 * that does not exist has no owner and no privileges: apply and migrate
 * create it, owned by the caller, plan, status and version read what the
 * history holds for it, and only superusers may change its history
 * otherwise (rollback, baseline, repair, adopt).
 *
 * A stored script runs with the privileges of the role that applied it, the
 * way PostgreSQL runs a SECURITY DEFINER function (fmgr_security_definer):
 * the user ID is switched with SECURITY_LOCAL_USERID_CHANGE set, so the
 * script cannot SET ROLE its way elsewhere, and restored on every way out; an
 * error that escapes is also undone by the (sub)transaction abort, which
 * restores the user ID saved when it started.  Only members of that role
 * (and superusers) may have it run.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "migration.h"

/* The caller must have the privileges of the owner of an existing schema. */
static void
check_schema_owner(Oid nsp, const char *target_schema)
{
	if (!pg_namespace_ownercheck(nsp, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_SCHEMA, target_schema);
}

/*
 * apply() and migrate(): the privileges of the target schema's owner, unless
 * the schema does not exist yet (they create it, owned by the caller).
 * Called at the start of the call, and again once the lock is held and the
 * schema exists (schemata_start_batch()).
 */
void
schemata_check_may_apply(const char *target_schema)
{
	Oid			nsp;

	schemata_check_target_schema(target_schema);
	nsp = get_namespace_oid(target_schema, true);
	if (OidIsValid(nsp))
		check_schema_owner(nsp, target_schema);
}

/*
 * rollback(), baseline(), repair() and adopt(): the privileges of the target
 * schema's owner; the history of a schema that does not exist is a
 * superuser's.
 */
void
schemata_check_may_change_history(const char *target_schema)
{
	Oid			nsp;

	schemata_check_target_schema(target_schema);
	nsp = get_namespace_oid(target_schema, true);
	if (OidIsValid(nsp))
		check_schema_owner(nsp, target_schema);
	else if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", target_schema),
				 errdetail("Only superusers may change the history of a schema that does not exist.")));
}

/*
 * status(), plan() and version(): USAGE on the target schema, if it exists.
 */
void
schemata_check_may_read_history(const char *target_schema)
{
	Oid			nsp;

	schemata_check_target_schema(target_schema);
	nsp = get_namespace_oid(target_schema, true);
	if (OidIsValid(nsp) &&
		pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_SCHEMA, target_schema);
}

/* Whether the caller may act as a role given by name: a member, or superuser. */
bool
schemata_may_act_as(const char *rolename)
{
	Oid			role = get_role_oid(rolename, true);

	return superuser() || (OidIsValid(role) && is_member_of_role(GetUserId(), role));
}

/*
 * The role a migration's down script runs as: the one that applied it, which
 * must exist and of which the caller must be a member.
 */
Oid
schemata_down_script_role(const HistoryRow *row)
{
	Oid			role = get_role_oid(row->applied_by, true);

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\", which applied migration \"%s\", does not exist",
						row->applied_by, row->name),
				 errdetail("A down script runs as the role that applied its migration. Nothing was rolled back.")));
	if (!is_member_of_role(GetUserId(), role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to roll back migration \"%s\"", row->name),
				 errdetail("Its down script runs as role \"%s\", which applied it, and only members of that role may run it. Nothing was rolled back.",
						   row->applied_by)));
	return role;
}

/*
 * Run a script as another role, as a SECURITY DEFINER function runs: the
 * caller's user ID and security context are restored however it ends.
 */
double
schemata_run_script_as(const Script *script, const char *target_schema, Oid role)
{
	Oid			saved_user;
	int			saved_context;
	double		duration_ms;

	GetUserIdAndSecContext(&saved_user, &saved_context);
	SetUserIdAndSecContext(role, saved_context | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		duration_ms = schemata_run_script(script, target_schema);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_user, saved_context);
	}
	PG_END_TRY();
	return duration_ms;
}
